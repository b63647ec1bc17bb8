"""The dashboard as a user meets it (issue 11): Back after an htmx swap shows a whole page,
errors swapped into a panel are fragments, login keeps its form."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import choose_filter

pytestmark = pytest.mark.e2e


def _whole_page(page) -> None:
    """The page has its layout: the sidebar, the styles and a live htmx."""
    expect(page.locator("aside.sidebar")).to_be_visible()
    expect(page.locator("head link[rel=stylesheet]").first).to_be_attached()
    assert page.evaluate("typeof htmx") == "object"


def test_back_after_filters_and_polls_shows_whole_pages(page, log_in, factory, live_server):
    org = factory.org("Acme Back")
    factory.user(org, roles=["admin"], email="ada@example.com")
    factory.user(org, roles=["viewer"], email="vic@example.com")
    log_in("ada@example.com")

    # Users: a role filter (pushes /users?role=viewer), away, Back.
    page.goto(f"{live_server.url}/users")
    choose_filter(page, "#role-filter", "viewer")
    expect(page.locator("#users")).not_to_contain_text("ada@example.com")
    page.click("nav >> text=Projects")
    page.wait_for_url(f"{live_server.url}/projects")
    page.go_back()
    page.wait_for_url(f"{live_server.url}/users?role=viewer")
    _whole_page(page)
    expect(page.locator("#users")).not_to_contain_text("ada@example.com")
    expect(page.locator("#role-filter")).to_have_value("viewer")

    # Services: a status filter, away, Back.
    page.goto(f"{live_server.url}/services")
    choose_filter(page, "#status-filter", "running")
    page.click("nav >> text=Projects")
    page.wait_for_url(f"{live_server.url}/projects")
    page.go_back()
    _whole_page(page)
    expect(page.locator("#status-filter")).to_have_value("running")

    # Cluster: wait for one self-refresh (same URL as the page), away, Back.
    page.goto(f"{live_server.url}/cluster")
    with page.expect_response(lambda r: r.request.headers.get("hx-request") == "true"):
        pass
    page.click("nav >> text=Projects")
    page.wait_for_url(f"{live_server.url}/projects")
    page.go_back()
    page.wait_for_url(f"{live_server.url}/cluster")
    _whole_page(page)
    expect(page.locator("#window-select")).to_be_visible()

    # The window chosen survives a reload (it is in the page's URL).
    with page.expect_response(lambda r: "/cluster/plot" in r.url):
        page.select_option("#window-select", "6h")
    page.wait_for_url(f"{live_server.url}/cluster?window=6h")
    page.reload()
    expect(page.locator("#window-select")).to_have_value("6h")
