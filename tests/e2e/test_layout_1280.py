"""At 1280×800 (and 390 px) every action button of the crowded pages is reachable: Playwright's
actionability check (a trial click) fails when another element covers the button (issue 11)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from blueprints.core.extensions import db
from tests.e2e.conftest import screenshot

pytestmark = pytest.mark.e2e

LONG_PROJECT = "p" * 100
# The innermost elements reaching past the viewport's right edge (what makes a page scroll).
WIDEST = """() => [...document.querySelectorAll('body *')]
  .filter(e => e.getBoundingClientRect().right > innerWidth + 1 &&
               ![...e.children].some(c => c.getBoundingClientRect().right > innerWidth + 1))
  .slice(0, 8).map(e => e.tagName + '#' + e.id + '.' + e.className + ' ' +
                   Math.round(e.getBoundingClientRect().right))"""
LONG_SERVICE = "s" + "-long" * 12 + "-a"  # 63 characters


def _successful_deployments(app, service_id: str, n: int) -> None:
    """Revisions 1..n, each deployed successfully (what three deploys through an agent leave)."""
    from blueprints.core.models import utcnow
    from blueprints.services.models import Deployment, Revision, Service

    with app.app_context():
        svc = db.session.get(Service, service_id)
        for number in range(1, n + 1):
            image = f"registry.example.com/team/{'x' * 30}:v{number}"
            db.session.add(
                Revision(
                    org_id=svc.org_id,
                    service_id=svc.id,
                    number=number,
                    image=image,
                    command=svc.command,
                    env={},
                    replicas=2,
                )
            )
            db.session.add(
                Deployment(
                    org_id=svc.org_id,
                    service_id=svc.id,
                    status="success",
                    revision=number,
                    image=image,
                    replicas=2,
                    started_at=utcnow(),
                    finished_at=utcnow(),
                )
            )
        svc.current_revision = n
        db.session.commit()
        db.session.remove()


def _reachable(page, *selectors: str) -> None:
    for selector in selectors:
        for button in page.locator(selector).all():
            # Actionability (scrolled to, visible, enabled, not covered), no click: the panels
            # that refresh themselves may replace the button meanwhile, and this retries.
            button.click(trial=True)


def test_crowded_pages_at_1280(page, log_in, factory, live_server, api_as, app):
    page.set_viewport_size({"width": 1280, "height": 800})
    org = factory.org("Acme Layout")
    ada = factory.user(org, roles=["admin"], email="ada@example.com")
    api = api_as(ada)
    project = api.post("/api/v1/projects", json={"name": LONG_PROJECT}).get_json()["id"]
    sid = api.post(
        "/api/v1/services",
        json={
            "projectId": project,
            "name": LONG_SERVICE,
            "image": "app:v1",
            "command": "true",
            "env": {"T_PEM": "-----BEGIN KEY-----\nabc\n-----END KEY-----\n"},
        },
    ).get_json()["id"]
    _successful_deployments(app, sid, 3)
    for n in range(3):
        api.post("/api/v1/api-keys", json={"name": f"a deploy bot with a long name {n}"})
    log_in("ada@example.com")

    def no_page_scroll():
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 1280, f"the page is {width} px wide"

    page.goto(f"{live_server.url}/projects")
    expect(page.locator("#projects a.truncate")).to_have_attribute("title", LONG_PROJECT)
    no_page_scroll()
    _reachable(page, "#projects a", "#project-create button[type=submit]")

    page.goto(f"{live_server.url}/services")
    no_page_scroll()
    _reachable(page, "#services a", "#service-create button[type=submit]", "[data-env-add]")

    page.goto(f"{live_server.url}/services/{sid}")
    expect(page.locator("#deployments .rollback")).to_have_count(2)
    no_page_scroll()
    _reachable(
        page,
        ".svc-actions button",
        "#deployments .rollback",
        "#check-health",
        "#deploy-form button",
        "#save-settings",
        "[data-env-reveal]",
        "[data-env-remove]",
        "[data-env-add]",
    )
    page.click("#save-settings")
    expect(page.locator("#settings-form")).to_contain_text("Settings saved")

    page.goto(f"{live_server.url}/api-keys?all=1")
    no_page_scroll()
    _reachable(page, ".page-head a", "#keys button", "#create-key")

    page.goto(f"{live_server.url}/cluster")
    no_page_scroll()

    # A phone: the sidebar becomes a bar on top, the content takes the width.
    page.set_viewport_size({"width": 390, "height": 844})
    for path in ("/services", f"/services/{sid}", "/projects", "/users", "/cluster"):
        page.goto(f"{live_server.url}{path}")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, (path, width, page.evaluate(WIDEST))
        box = page.locator("main").bounding_box()
        assert box["x"] < 5 and box["width"] > 350, (path, box)
    page.goto(f"{live_server.url}/services/{sid}")
    _reachable(page, ".svc-actions button", "#deployments .rollback", "#save-settings", "#logout")
    screenshot(page, "service-phone")
