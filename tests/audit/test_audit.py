"""The audit trail: what every write records, its transaction, filters, roles, retention and
the chain deploy -> events -> webhook deliveries."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from blueprints.audit.models import AuditEntry
from blueprints.core.extensions import db
from blueprints.core.jobs import periodic_jobs
from blueprints.core.models import utcnow
from tests.conftest import PASSWORD


@pytest.fixture
def org(factory):
    return factory.org("Acme")


@pytest.fixture
def admin_id(factory, org):
    return factory.user(org, roles=["admin"], email="admin@acme.test")


def entries(app, **where) -> list[AuditEntry]:
    with app.app_context():
        stmt = select(AuditEntry).order_by(AuditEntry.created_at)
        for name, value in where.items():
            stmt = stmt.where(getattr(AuditEntry, name) == value)
        found = list(db.session.execute(stmt).scalars())
        db.session.expunge_all()
        return found


def _project(api, name="web"):
    r = api.post("/api/v1/projects", json={"name": name, "description": "x"})
    assert r.status_code == 201, r.get_json()
    return r


def test_an_api_write_records_who_what_when_where_and_the_request_id(app, api_as, admin_id):
    api = api_as(admin_id)
    r = _project(api)
    project_id = r.get_json()["id"]
    [entry] = entries(app, action="projects.create_project")
    assert entry.outcome == "success"
    assert (entry.user_id, entry.user_email, entry.via) == (admin_id, "admin@acme.test", "token")
    assert (entry.target_type, entry.target_id) == ("project", project_id)
    assert entry.request_id == r.headers["X-Request-Id"]
    assert entry.client == "127.0.0.1" and entry.method == "POST" and entry.channel == "api"
    created = [c for c in entry.changes if c["id"] == project_id]
    assert created and created[0]["op"] == "created" and created[0]["fields"]["name"] == "web"

    r = api.patch(f"/api/v1/projects/{project_id}", json={"description": "the shop"})
    assert r.status_code == 200
    [update] = entries(app, action="projects.update_project")
    [change] = [c for c in update.changes if c["id"] == project_id]
    assert change["op"] == "updated"
    assert change["fields"] == {"description": "the shop"} and change["before"] == {
        "description": "x"
    }


def test_an_api_key_names_the_key_and_secrets_never_reach_the_trail(app, api_as, factory, admin_id):
    raw_key = factory.api_key(admin_id)
    from tests.conftest import ApiClient

    api = ApiClient(app.test_client(), {"X-API-Key": raw_key})
    r = api.post("/api/v1/webhooks", json={"url": "http://127.0.0.1:9/hook", "events": ["*"]})
    assert r.status_code == 201, r.get_json()
    secret = r.get_json()["secret"]
    rotated = api.post(f"/api/v1/webhooks/{r.get_json()['id']}/rotate-secret")
    assert rotated.status_code == 200, rotated.get_json()
    new_key = api.post("/api/v1/api-keys", json={"name": "ci"})
    assert new_key.status_code == 201, new_key.get_json()
    [created] = entries(app, action="webhooks.create_webhook")
    assert created.via == "key" and created.api_key_id and created.api_key_id.startswith("key")
    text = json.dumps([e.changes for e in entries(app)] + [e.details for e in entries(app)])
    for value in (secret, rotated.get_json()["secret"], new_key.get_json()["key"], raw_key):
        assert value not in text
    assert '"secret": "[secret]"' in text
    assert [e.action for e in entries(app, target_id=r.get_json()["id"])] == [
        "webhooks.create_webhook",
        "webhooks.rotate_secret",
    ]


def test_a_failed_transaction_leaves_no_entry_and_a_committed_one_always_does(app, org, admin_id):
    from blueprints.projects.models import Project

    with app.test_request_context("/api/v1/projects", method="POST"):
        db.session.add(Project(org_id=org, name="doomed", owner_id=admin_id))
        db.session.flush()  # written, then undone
        db.session.rollback()
        assert db.session.scalar(select(func.count()).select_from(AuditEntry)) == 0
        db.session.add(Project(org_id=org, name="kept", owner_id=admin_id))
        db.session.commit()
        project_id = db.session.scalar(select(Project.id).where(Project.name == "kept"))
    [entry] = entries(app)
    assert entry.target_id == project_id and entry.outcome == "success"
    assert not entries(app, target_type="project", outcome="failure")


def test_a_refused_write_records_its_outcome_but_no_change(app, api_as, factory, org, admin_id):
    viewer = factory.user(org, roles=["viewer"])
    r = api_as(viewer).post("/api/v1/projects", json={"name": "nope"})
    assert r.status_code == 403
    [denied] = entries(app, user_id=viewer)
    assert (denied.outcome, denied.status_code, denied.changes) == ("denied", 403, [])
    _project(api_as(admin_id), "dup")
    dup = api_as(admin_id).post("/api/v1/projects", json={"name": "dup"})
    assert dup.status_code == 409
    [failed] = entries(app, outcome="failure")
    assert failed.status_code == 409 and failed.changes == []
    # an anonymous refusal names nobody: not recorded
    assert app.test_client().post("/api/v1/projects", json={}).status_code == 401
    assert len(entries(app)) == 3


def test_login_failed_login_and_logout_are_recorded(app, client, admin_id):
    bad = client.post("/login", data={"email": "admin@acme.test", "password": "wrong"})
    assert bad.status_code == 401
    unknown = client.post("/login", data={"email": "who@nowhere.test", "password": "x"})
    assert unknown.status_code == 401
    ok = client.post("/login", data={"email": "admin@acme.test", "password": PASSWORD})
    assert ok.status_code == 302
    assert client.post("/logout").status_code == 302
    api_login = app.test_client().post(
        "/api/v1/auth/login", json={"email": "admin@acme.test", "password": PASSWORD}
    )
    assert api_login.status_code == 200
    found = [(e.action, e.outcome, e.user_id, e.details.get("email")) for e in entries(app)]
    assert found == [
        ("auth.login_failed", "denied", None, "admin@acme.test"),
        ("auth.login_failed", "denied", None, "who@nowhere.test"),
        ("auth.login", "success", admin_id, None),
        ("auth.logout", "success", admin_id, None),  # the page logs out as the API does
        ("auth.login", "success", admin_id, None),
    ]
    for e in entries(app):
        assert PASSWORD not in json.dumps([e.changes, e.details])


def test_the_audit_log_api_is_for_admins_filters_and_pages_by_cursor(
    app, api_as, factory, org, admin_id
):
    maintainer = factory.user(org, roles=["maintainer"], email="m@acme.test")
    assert api_as(maintainer).get("/api/v1/audit-log").status_code == 403
    admin_api = api_as(admin_id)
    ids = [_project(api_as(maintainer), f"p{i}").get_json()["id"] for i in range(5)]
    _project(admin_api, "mine")
    r = admin_api.get("/api/v1/audit-log", query_string={"actor": "m@acme.test", "limit": 2})
    body = r.get_json()
    assert (
        r.status_code == 200 and body["pagination"]["total"] == 5
    )  # reads (the 403 above) are not writes
    seen, cursor = [], None
    while True:
        q = {"action": "projects.create_project", "actor": maintainer, "limit": 2}
        if cursor:
            q["cursor"] = cursor
        page = admin_api.get("/api/v1/audit-log", query_string=q).get_json()
        seen += [e["target"]["id"] for e in page["data"]]
        cursor = page["pagination"]["nextCursor"]
        if not cursor:
            break
    assert seen == list(reversed(ids))
    one = admin_api.get("/api/v1/audit-log", query_string={"target": ids[2]}).get_json()["data"]
    assert [e["target"]["id"] for e in one] == [ids[2]]
    assert one[0]["actor"]["email"] == "m@acme.test" and one[0]["requestId"].startswith("req-")
    later = (utcnow() + timedelta(minutes=1)).isoformat()
    assert (
        admin_api.get("/api/v1/audit-log", query_string={"since": later}).get_json()["data"] == []
    )
    assert (
        len(admin_api.get("/api/v1/audit-log", query_string={"until": later}).get_json()["data"])
        >= 6  # and the admin's own
    )
    bad = admin_api.get("/api/v1/audit-log", query_string={"since": later, "until": later})
    assert bad.status_code == 400 and bad.get_json()["details"]["field"] == "until"
    # another organization's admin sees none of it
    other_admin = factory.user(factory.org("Other"), roles=["admin"])
    assert api_as(other_admin).get("/api/v1/audit-log").get_json()["data"] == []


def test_entries_are_never_updated_and_retention_prunes_old_ones(app, api_as, admin_id):
    from blueprints.audit import jobs

    _project(api_as(admin_id))
    with app.app_context():
        entry = db.session.execute(select(AuditEntry)).scalar_one()
        entry.action = "rewritten"
        with pytest.raises(RuntimeError, match="never updated"):
            db.session.commit()
        db.session.rollback()
        old = AuditEntry(
            org_id=entry.org_id,
            created_at=utcnow() - timedelta(days=400),
            action="old",
            outcome="success",
            method="POST",
            path="/",
            channel="api",
        )
        db.session.add(old)
        db.session.commit()
        assert jobs.prune() == 1  # AUDIT_RETENTION_DAYS: 365 by default
        assert [e.action for e in db.session.execute(select(AuditEntry)).scalars()] == [
            "projects.create_project"
        ]
    assert any(j.func is jobs.prune for j in periodic_jobs(app))


def test_the_audit_page_filters_and_a_page_write_is_recorded(app, login_as, factory, org, admin_id):
    browser = login_as(admin_id)
    created = browser.post("/projects", data={"name": "from-page", "description": ""})
    assert created.status_code in (200, 201, 302, 303), created.status_code
    [entry] = entries(app, channel="page", outcome="success")
    assert entry.via == "session" and entry.session_id and entry.user_id == admin_id
    page = browser.get("/audit", query_string={"actor": "admin@acme.test"})
    assert page.status_code == 200 and entry.action in page.get_data(as_text=True)
    none = browser.get("/audit", query_string={"action": "nothing.at_all"}).get_data(as_text=True)
    assert "No entries match these filters" in none
    detail = browser.get(f"/audit/{entry.id}").get_data(as_text=True)
    assert entry.request_id in detail and "from-page" in detail
    viewer = login_as(factory.user(org, roles=["viewer"]))
    assert viewer.get("/audit").status_code == 403
