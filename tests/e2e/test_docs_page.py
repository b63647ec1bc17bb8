"""The API docs page renders the generated OpenAPI document from local assets only."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import screenshot

pytestmark = pytest.mark.e2e


def test_docs_page_renders_openapi_without_network(page, live_server):
    outside = []

    def record(req):
        if not req.url.startswith((live_server.url, "data:")):
            outside.append(req.url)

    page.on("request", record)
    page.goto(f"{live_server.url}/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Sparki API")
    expect(page.locator(".opblock-summary-path", has_text="/api/v1/users/me").first).to_be_visible()
    screenshot(page, "api-docs")
    assert outside == []


def test_try_it_out_writes_with_the_session(page, log_in, factory, live_server):
    """A logged-in user's "Try it out" on a write sends the CSRF token and succeeds."""
    org = factory.org("Initech")
    factory.user(org, roles=["admin"], email="ada@example.com")
    log_in("ada@example.com")
    page.goto(f"{live_server.url}/docs")
    expect(page.locator("#docs-auth-hint")).to_contain_text("acts as you")
    block = page.locator(
        ".opblock-post", has=page.locator(".opblock-summary-path", has_text="/api/v1/projects")
    ).first
    block.locator(".opblock-summary").click()
    block.get_by_role("button", name="Try it out").click()
    block.locator("textarea.body-param__text").fill('{"name": "From the docs"}')
    block.get_by_role("button", name="Execute").click()
    status = block.locator(".live-responses-table tbody td.response-col_status").first
    expect(status).to_contain_text("201", timeout=30_000)
    with live_server.app_context():
        from blueprints.core.extensions import db
        from blueprints.projects.models import Project

        assert db.session.query(Project).filter_by(name="From the docs").count() == 1
