"""The API docs page renders the generated OpenAPI document from local assets only."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.e2e.conftest import screenshot


def test_docs_page_renders_openapi_without_network(page, live_server):
    outside = []
    page.on("request", lambda req: outside.append(req.url)
            if not req.url.startswith(live_server.url) and not req.url.startswith("data:") else None)
    page.goto(f"{live_server.url}/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Sparki API")
    expect(page.locator(".opblock-summary-path", has_text="/api/v1/users/me").first).to_be_visible()
    screenshot(page, "api-docs")
    assert outside == []
