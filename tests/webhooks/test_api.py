"""The webhooks and events JSON API: CRUD, secrets, validation, roles, tenant isolation."""

from __future__ import annotations

import base64

import pytest

from blueprints.core.extensions import db
from blueprints.webhooks.models import Delivery, Webhook


def _create(api, url="http://127.0.0.1:9/hook", events=("deployment.completed",), **extra):
    return api.post("/api/v1/webhooks", json={"url": url, "events": list(events), **extra})


def test_create_returns_secret_once_and_lists(api_as, admin):
    api = api_as(admin)
    r = _create(api, events=["deployment.created", "alert.triggered"])
    assert r.status_code == 201, r.json
    body = r.json
    assert body["id"].startswith("webhook-")
    assert body["active"] is True and body["status"] == "active"
    assert body["secret"].startswith("whsec_")
    assert len(base64.b64decode(body["secret"][6:])) >= 24
    assert r.headers["Cache-Control"] == "no-store"
    got = api.get(f"/api/v1/webhooks/{body['id']}")
    assert got.status_code == 200 and "secret" not in got.json
    listed = api.get("/api/v1/webhooks").json
    assert [w["id"] for w in listed["data"]] == [body["id"]]
    assert "secret" not in listed["data"][0]
    assert listed["pagination"]["total"] == 1


@pytest.mark.parametrize(
    "events, reason",
    [
        (["deployment.exploded"], "unknown event"),
        ([], None),
        (["ping"], "unknown event"),
        (["nothing.*"], "unknown event"),
    ],
)
def test_unknown_or_empty_events_are_400(api_as, admin, events, reason):
    r = _create(api_as(admin), events=events)
    assert r.status_code == 400
    assert r.json["details"]["field"] == "events"
    if reason:
        assert reason in r.json["details"]["reason"]


def test_star_and_group_subscriptions(api_as, admin):
    api = api_as(admin)
    r = _create(api, events=["*", "user.created"])
    assert r.status_code == 201 and r.json["events"] == ["*"]
    r = _create(api, url="http://127.0.0.1:9/other", events=["deployment.*"])
    assert r.status_code == 201 and r.json["events"] == ["deployment.*"]


def test_bad_input_is_400_never_500(api_as, admin):
    api = api_as(admin)
    assert _create(api, url="ftp://example.com/x").json["details"]["field"] == "url"
    assert _create(api, url="not a url").status_code == 400
    r = api.post(
        "/api/v1/webhooks", json={"url": "http://127.0.0.1:9/", "events": ["*"], "color": "red"}
    )
    assert r.status_code == 400 and r.json["details"]["field"] == "color"
    r = api.post("/api/v1/webhooks", data="{", headers={"Content-Type": "application/json"})
    assert r.status_code == 400
    assert api.get("/api/v1/events?type=nope").status_code == 400


def test_event_types_are_read_from_the_app_registry_at_call_time(app, api_as, admin, monkeypatch):
    from blueprints.core.events import _TYPES_KEY, register_event_types

    # a private copy of the registry, restored after the test
    monkeypatch.setitem(app.extensions, _TYPES_KEY, list(app.extensions.get(_TYPES_KEY, ())))
    api = api_as(admin)
    assert _create(api, events=["demo.happened"]).status_code == 400
    assert api.get("/api/v1/events?type=demo.happened").status_code == 400
    register_event_types(app, "demo.happened")
    assert _create(api, events=["demo.happened", "demo.*"]).status_code == 201
    assert api.get("/api/v1/events?type=demo.happened").json["pagination"]["total"] == 0


def test_duplicate_url_is_409(api_as, admin):
    api = api_as(admin)
    assert _create(api).status_code == 201
    r = _create(api)
    assert r.status_code == 409 and r.json["details"]["field"] == "url"


def test_patch_disable_enable_and_delete(api_as, admin):
    api = api_as(admin)
    wid = _create(api).json["id"]
    r = api.patch(f"/api/v1/webhooks/{wid}", json={"active": False})
    assert r.json["status"] == "disabled" and "Disabled by" in r.json["disabledReason"]
    r = api.patch(
        f"/api/v1/webhooks/{wid}", json={"active": True, "events": ["*"], "description": "all"}
    )
    assert r.json["status"] == "active" and r.json["disabledReason"] is None
    assert r.json["events"] == ["*"] and r.json["description"] == "all"
    assert api.patch(f"/api/v1/webhooks/{wid}", json={"events": ["bogus"]}).status_code == 400
    r = api.delete(f"/api/v1/webhooks/{wid}")
    assert r.status_code == 200 and r.json["success"] is True
    assert api.get(f"/api/v1/webhooks/{wid}").status_code == 404


def test_rotate_secret_keeps_old_one_for_a_day(app, api_as, admin):
    api = api_as(admin)
    created = _create(api).json
    r = api.post(f"/api/v1/webhooks/{created['id']}/rotate-secret")
    assert r.status_code == 200 and r.json["secret"].startswith("whsec_")
    assert r.json["secret"] != created["secret"]
    assert r.json["previousSecretExpiresAt"]
    from blueprints.webhooks.delivery import signing_secrets

    with app.app_context():
        webhook = db.session.get(Webhook, created["id"])
        assert signing_secrets(webhook) == [r.json["secret"], created["secret"]]


def test_events_list_filters_by_type(api_as, factory, admin):
    org_admin = api_as(admin)
    me = org_admin.get("/api/v1/users/me").json
    factory.user(me["organizationId"], roles=["viewer"])
    r = org_admin.get("/api/v1/events?type=user.created")
    assert r.status_code == 200
    assert r.json["pagination"]["total"] == 2
    event = r.json["data"][0]
    assert event["id"].startswith("evt-") and event["type"] == "user.created"
    assert event["timestamp"].endswith("Z") and "email" in event["data"]
    assert org_admin.get("/api/v1/events?type=ping").json["pagination"]["total"] == 0
    assert org_admin.get(f"/api/v1/events/{event['id']}").json["id"] == event["id"]


@pytest.mark.parametrize(
    "role, can_manage",
    [("admin", True), ("maintainer", True), ("developer", False), ("viewer", False)],
)
def test_roles(api_as, factory, role, can_manage):
    org = factory.org()
    boss = api_as(factory.user(org, roles=["admin"]))
    wid = _create(boss).json["id"]
    api = api_as(factory.user(org, roles=[role]))
    assert api.get("/api/v1/webhooks").status_code == 200
    assert api.get(f"/api/v1/webhooks/{wid}").status_code == 200
    assert api.get(f"/api/v1/webhooks/{wid}/deliveries").status_code == 200
    assert api.get("/api/v1/events").status_code == 200
    expected = (201, 200, 202) if can_manage else (403, 403, 403)
    r = _create(api, url="http://127.0.0.1:9/mine")
    assert r.status_code == expected[0]
    assert (
        api.patch(f"/api/v1/webhooks/{wid}", json={"description": "x"}).status_code == expected[1]
    )
    assert api.post(f"/api/v1/webhooks/{wid}/ping").status_code == expected[2]
    if not can_manage:
        assert r.json["error"] == "insufficient_permissions"
        assert api.post(f"/api/v1/webhooks/{wid}/rotate-secret").status_code == 403
        assert api.delete(f"/api/v1/webhooks/{wid}").status_code == 403


def test_tenant_isolation_on_every_endpoint(app, api_as, factory):
    ours = api_as(factory.user(factory.org("Ours"), roles=["admin"]))
    theirs_admin = factory.user(factory.org("Theirs"), roles=["admin"])
    theirs = api_as(theirs_admin)
    wid = _create(theirs).json["id"]
    ping = theirs.post(f"/api/v1/webhooks/{wid}/ping").json
    did, eid = ping["id"], ping["eventId"]
    base = f"/api/v1/webhooks/{wid}"
    calls = [
        ("get", base, None),
        ("patch", base, {"active": False}),
        ("delete", base, None),
        ("post", f"{base}/rotate-secret", None),
        ("post", f"{base}/ping", None),
        ("get", f"{base}/deliveries", None),
        ("get", f"{base}/deliveries/{did}", None),
        ("post", f"{base}/deliveries/{did}/redeliver", None),
        ("post", f"{base}/recover", {"since": "2020-01-01T00:00:00Z"}),
        ("get", f"/api/v1/events/{eid}", None),
    ]
    for method, url, body in calls:
        kwargs = {"json": body} if body is not None else {}
        r = getattr(ours, method)(url, **kwargs)
        assert r.status_code == 404, (method, url, r.status_code)
        assert r.json["error"] == "not_found"
    assert ours.get("/api/v1/webhooks").json["data"] == []
    assert all(e["type"] != "ping" for e in ours.get("/api/v1/events").json["data"])
    # their endpoint is intact and still theirs
    assert theirs.get(base).json["active"] is True
    with app.app_context():
        assert db.session.query(Delivery).filter_by(webhook_id=wid).count() == 1
