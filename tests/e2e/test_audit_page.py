"""An admin finds who created and archived a project on the Audit page, and filters it."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import screenshot

pytestmark = pytest.mark.e2e


def test_admin_reads_and_filters_the_audit_trail(page, log_in, factory, live_server):
    org = factory.org("Initech")
    factory.user(org, roles=["admin"], email="bill@example.com")
    log_in("bill@example.com")

    page.click("nav >> text=Projects")
    form = page.locator("#project-create")
    form.locator("input[name=name]").fill("TPS reports")
    form.locator("button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/projects/proj-"))
    project_id = page.url.rsplit("/", 1)[-1]

    page.goto(f"{live_server.url}/audit")
    table = page.locator("#audit-table")
    expect(table).to_contain_text(project_id)
    expect(table).to_contain_text("bill@example.com")
    # Filter by target: only the project's entries stay.
    with page.expect_response(lambda r: "/audit" in r.url and r.request.method == "GET"):
        page.fill("input[name=target]", project_id)
        page.press("input[name=target]", "Enter")
    expect(table.locator("tbody tr")).not_to_have_count(0)
    for row in table.locator("tbody tr").all():
        expect(row).to_contain_text(project_id)
    screenshot(page, "audit")

    # An entry's page shows what changed.
    table.locator("tbody tr a").first.click()
    expect(page).to_have_url(re.compile(r"/audit/"))
    expect(page.locator("main")).to_contain_text(project_id)


def test_the_audit_page_is_for_admins(page, log_in, factory, live_server):
    org = factory.org("Initrode")
    factory.user(org, roles=["maintainer"], email="milton@example.com")
    log_in("milton@example.com")
    response = page.goto(f"{live_server.url}/audit")
    assert response is not None and response.status == 403
