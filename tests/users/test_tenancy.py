"""Tenancy: another organization's id is a 404 everywhere, and lists never show its rows."""

from __future__ import annotations

import pytest

from tests.core.helpers import assert_error


@pytest.fixture
def world(api_as, factory, team, other_team):
    """Two organizations, each with users and API keys."""
    for t in (team, other_team):
        factory.api_key(t["admin"])
        factory.api_key(t["target"])
    theirs = api_as(other_team["admin"]).get("/api/v1/api-keys?all=true").json["data"]
    target_key = next(k["id"] for k in theirs if k["userId"] == other_team["target"])
    return {"mine": team, "theirs": other_team, "their_target_key": target_key}


def _callers(api_as, login_as, uid):
    return {"token": api_as(uid), "key": api_as(uid, key=True), "session": _Session(login_as(uid))}


class _Session:
    """The page client (cookie session) with the ApiClient call shape."""

    def __init__(self, client):
        self.client = client

    def __getattr__(self, method):
        return getattr(self.client, method)


ID_ENDPOINTS = [
    ("get", "/api/v1/users/{user}", None),
    ("patch", "/api/v1/users/{user}", {"name": "Taken over"}),
    ("patch", "/api/v1/users/{user}", {"roles": ["viewer"]}),
    ("patch", "/api/v1/users/{user}", {"active": False}),
    ("patch", "/api/v1/users/{user}", {"password": "hijacked-password"}),
    ("delete", "/api/v1/users/{user}", None),
    ("get", "/api/v1/api-keys/{key}", None),
    ("delete", "/api/v1/api-keys/{key}", None),
    ("post", "/api/v1/api-keys", {"name": "planted", "userId": "{user}"}),
]


def _request(api, method, path, body, ids):
    kwargs = {}
    if body is not None:
        kwargs["json"] = {
            k: (v.format(**ids) if isinstance(v, str) else v) for k, v in body.items()
        }
    return getattr(api, method)(path.format(**ids), **kwargs)


@pytest.mark.parametrize("via", ["token", "key", "session"])
@pytest.mark.parametrize("method,path,body", ID_ENDPOINTS)
def test_other_orgs_ids_are_404(api_as, login_as, world, via, method, path, body):
    api = _callers(api_as, login_as, world["mine"]["admin"])[via]
    theirs = {"user": world["theirs"]["target"], "key": world["their_target_key"]}
    out = assert_error(_request(api, method, path, body, theirs), 404, "not_found")
    # Exactly like an id that exists nowhere: same status, code and message shape.
    nowhere = {"user": "user-0000", "key": "key-0000"}
    unknown = assert_error(_request(api, method, path, body, nowhere), 404, "not_found")
    for kind in ("user", "key"):
        out["message"] = out["message"].replace(theirs[kind], nowhere[kind])
    assert out["message"] == unknown["message"]


def test_nothing_changed_in_the_other_org(api_as, world):
    mine, theirs = world["mine"], world["theirs"]
    attacker = api_as(mine["admin"])
    attacker.patch(f"/api/v1/users/{theirs['target']}", json={"name": "Taken", "active": False})
    attacker.delete(f"/api/v1/users/{theirs['target']}")
    attacker.delete(f"/api/v1/api-keys/{world['their_target_key']}")
    attacker.post("/api/v1/api-keys", json={"name": "planted", "userId": theirs["target"]})
    owner = api_as(theirs["admin"])
    target = owner.get(f"/api/v1/users/{theirs['target']}").json
    assert target["active"] is True and target["name"] != "Taken"
    keys = owner.get("/api/v1/api-keys?all=true").json["data"]
    assert len(keys) == 2 and all(k["status"] == "active" for k in keys)


def test_lists_never_show_another_orgs_rows(api_as, world):
    mine, theirs = world["mine"], world["theirs"]
    api = api_as(mine["admin"])
    users = api.get("/api/v1/users?limit=100").json
    assert {u["id"] for u in users["data"]} == set(mine.ids.values())
    assert users["pagination"]["total"] == len(mine.ids)
    assert all(u["organizationId"] == mine.org for u in users["data"])
    for role in ("admin", "viewer"):
        filtered = api.get(f"/api/v1/users?role={role}").json["data"]
        assert not {u["id"] for u in filtered} & set(theirs.ids.values())
    keys = api.get("/api/v1/api-keys?all=true").json
    assert {k["userId"] for k in keys["data"]} == {mine["admin"], mine["target"]}
    assert keys["pagination"]["total"] == 2


def test_cursor_from_another_org_does_not_leak(api_as, world):
    mine, theirs = world["mine"], world["theirs"]
    their_page = api_as(theirs["admin"]).get("/api/v1/users?limit=1").json
    cursor = their_page["pagination"]["nextCursor"]
    rows = api_as(mine["admin"]).get(f"/api/v1/users?limit=100&cursor={cursor}").json["data"]
    assert not {u["id"] for u in rows} & set(theirs.ids.values())


def test_patch_organization_changes_only_the_callers(api_as, world):
    mine, theirs = world["mine"], world["theirs"]
    before = api_as(theirs["admin"]).get("/api/v1/organization").json
    r = api_as(mine["admin"]).patch(
        "/api/v1/organization",
        json={"name": "Mine Renamed", "modules": {"crm": True}, "limits": {"maxServices": 99}},
    )
    assert r.status_code == 200 and r.json["id"] == mine.org
    assert r.json["modules"]["crm"] is True and r.json["limits"]["maxServices"] == 99
    after = api_as(theirs["admin"]).get("/api/v1/organization").json
    assert after == before


def test_organization_endpoint_shows_the_callers_org(api_as, world):
    assert (
        api_as(world["mine"]["viewer"]).get("/api/v1/organization").json["id"] == world["mine"].org
    )
    assert (
        api_as(world["theirs"]["viewer"], key=True).get("/api/v1/organization").json["id"]
        == world["theirs"].org
    )


def test_email_uniqueness_is_global(api_as, world):
    """Emails log people in, so they are unique across organizations (409, not a leak of
    which organization holds it)."""
    theirs_email = api_as(world["theirs"]["target"]).get("/api/v1/users/me").json["email"]
    r = api_as(world["mine"]["admin"]).post(
        "/api/v1/users", json={"email": theirs_email, "name": "Clash", "password": "long-enough"}
    )
    body = assert_error(r, 409, "conflict", field="email")
    assert world["theirs"].org not in str(body)


# --- pages ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "method,path",
    [
        ("get", "/users/{user}/row"),
        ("get", "/users/{user}/row?edit=1"),
        ("post", "/users/{user}/roles"),
        ("delete", "/users/{user}"),
        ("post", "/api-keys/{key}/revoke"),
    ],
)
def test_pages_answer_404_for_other_orgs_ids(login_as, world, method, path):
    c = login_as(world["mine"]["admin"])
    url = path.format(user=world["theirs"]["target"], key=world["their_target_key"])
    kwargs = {"data": {"roles": ["admin"]}} if method == "post" else {}
    r = getattr(c, method)(url, **kwargs)
    assert r.status_code == 404


def test_users_page_lists_only_own_org(login_as, world, api_as):
    html = login_as(world["mine"]["admin"]).get("/users?limit=100").get_data(as_text=True)
    their_emails = [
        u["email"] for u in api_as(world["theirs"]["admin"]).get("/api/v1/users").json["data"]
    ]
    assert their_emails and not any(e in html for e in their_emails)
    keys_html = login_as(world["mine"]["admin"]).get("/api-keys?all=1").get_data(as_text=True)
    assert world["their_target_key"] not in keys_html
