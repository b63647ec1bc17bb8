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
