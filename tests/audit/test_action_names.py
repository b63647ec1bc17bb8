"""One action name per change: a page records the action of the JSON endpoint that makes the
same change, so the trail's `action` filter finds it whichever way it was made; a POST that
changes nothing (a preview, a quote) records nothing."""

from __future__ import annotations

from flask import Flask

from blueprints.core.audit import action_name
from tests.audit.test_audit import entries
from tests.services.conftest import HTTP_SERVER

# Changes only pages make (no JSON endpoint does the same), and page actions named by what
# they note themselves (`audit.note`), not by their endpoint.
PAGE_ONLY = {
    "services.check",  # a health check run now, from the service page
    "users.login",  # noted as auth.login / auth.login_failed
}
WRITES = {"POST", "PUT", "PATCH", "DELETE"}


def _actions(app: Flask) -> tuple[set[str], dict[str, set[str]]]:
    """(the API's action names, each page write endpoint -> the names it can record)."""
    api: set[str] = set()
    pages: dict[str, set[str]] = {}
    for rule in app.url_map.iter_rules():
        if not (rule.methods or set()) & WRITES:
            continue
        view = app.view_functions[rule.endpoint]
        if getattr(view, "_sparki_not_audited", False):
            continue
        named = getattr(view, "_sparki_audit_action", None) or ""
        if rule.endpoint.startswith("api."):
            api.add(action_name(rule.endpoint, view))
        elif "{" in named:  # filled from the URL: every value its converters admit
            [(field, converter)] = [
                (f, c) for f, c in rule._converters.items() if "{" + f + "}" in named
            ]
            pages[rule.endpoint] = {
                action_name(rule.endpoint, view, {field: v}) for v in converter.items
            }
        else:
            pages[rule.endpoint] = {action_name(rule.endpoint, view)}
    return api, pages


def test_every_page_write_records_an_action_the_api_records_too(app):
    api, pages = _actions(app)
    strays = {
        endpoint: names - api
        for endpoint, names in pages.items()
        if names - api and endpoint not in PAGE_ONLY
    }
    assert strays == {}, "name these page views' actions with @audit_action(<the API's name>)"


def test_a_page_and_the_api_record_the_same_action(app, api_as, login_as, factory):
    org = factory.org("Acme")
    admin = factory.user(org, roles=["admin"], email="admin@acme.test")
    api, browser = api_as(admin), login_as(admin)

    assert api.post("/api/v1/projects", json={"name": "by-api"}).status_code == 201
    created = browser.post("/projects", data={"name": "by-page", "description": ""})
    assert created.status_code in (200, 201, 302, 303), created.status_code
    made = entries(app, action="projects.create_project")
    assert sorted(e.channel for e in made) == ["api", "page"]

    project = made[0].target_id
    service = api.post(
        "/api/v1/services",
        json={"projectId": project, "name": "web", "image": "app:v1", "command": HTTP_SERVER},
    ).get_json()
    stopped = browser.post(f"/services/{service['id']}/stop")
    assert stopped.status_code in (200, 204, 302, 303, 409), stopped.status_code
    assert [e.channel for e in entries(app, action="services.stop")] == ["page"]
    assert not entries(app, action="services.lifecycle")


def test_a_preview_records_nothing(app, api_as, login_as, factory):
    org = factory.org("Acme")
    admin = factory.user(org, roles=["admin"], email="admin@acme.test")
    body = {"scheduleType": "cron", "expression": "*/5 * * * *", "timezone": "UTC"}
    assert api_as(admin).post("/api/v1/schedules/preview", json=body).status_code == 200
    page = login_as(admin).post("/schedules/preview", data=body)
    assert page.status_code == 200, page.status_code
    assert entries(app) == []
