"""Who may do what: every users, api-keys and organization endpoint for every role."""

from __future__ import annotations

import pytest

from blueprints.core.auth import ROLES
from tests.conftest import PASSWORD
from tests.core.helpers import assert_error

EVERYONE = set(ROLES)
ADMIN = {"admin"}


def _new_user_body(n: str = "x") -> dict:
    return {
        "email": f"new-{n}@example.com",
        "name": "New",
        "password": "long-enough",
        "roles": ["developer"],
    }


def _target_key(api_as, factory, team):
    """An API key belonging to the target user; returns its id."""
    raw = factory.api_key(team["target"])
    listed = api_as(team["target"]).get("/api/v1/api-keys").json["data"]
    assert len(listed) == 1 and raw.startswith(listed[0]["prefix"])
    return listed[0]["id"]


# name -> (allowed roles, success status, call(api, team, helpers))
CASES = {
    "list users": (EVERYONE, 200, lambda api, t, h: api.get("/api/v1/users")),
    "get user": (EVERYONE, 200, lambda api, t, h: api.get(f"/api/v1/users/{t['target']}")),
    "me": (EVERYONE, 200, lambda api, t, h: api.get("/api/v1/users/me")),
    "refresh token": (EVERYONE, 200, lambda api, t, h: api.post("/api/v1/auth/refresh")),
    "create user": (ADMIN, 201, lambda api, t, h: api.post("/api/v1/users", json=_new_user_body())),
    "rename other user": (
        ADMIN,
        200,
        lambda api, t, h: api.patch(f"/api/v1/users/{t['target']}", json={"name": "Renamed"}),
    ),
    "change other's roles": (
        ADMIN,
        200,
        lambda api, t, h: api.patch(f"/api/v1/users/{t['target']}", json={"roles": ["maintainer"]}),
    ),
    "deactivate other": (
        ADMIN,
        200,
        lambda api, t, h: api.patch(f"/api/v1/users/{t['target']}", json={"active": False}),
    ),
    "delete other user": (ADMIN, 200, lambda api, t, h: api.delete(f"/api/v1/users/{t['target']}")),
    "rename self": (
        EVERYONE,
        200,
        lambda api, t, h: api.patch(f"/api/v1/users/{h['me']}", json={"name": "Me Myself"}),
    ),
    "change own password": (
        EVERYONE,
        200,
        lambda api, t, h: api.post(
            "/api/v1/users/me/password",
            json={"currentPassword": PASSWORD, "newPassword": "new-long-password"},
        ),
    ),
    "change own roles": (
        ADMIN,
        200,
        lambda api, t, h: api.patch(
            f"/api/v1/users/{h['me']}", json={"roles": ["admin", "maintainer"]}
        ),
    ),
    "change own email": (
        ADMIN,
        200,
        lambda api, t, h: api.patch(
            f"/api/v1/users/{h['me']}", json={"email": "changed@example.com"}
        ),
    ),
    "list own keys": (EVERYONE, 200, lambda api, t, h: api.get("/api/v1/api-keys")),
    "list everyone's keys": (ADMIN, 200, lambda api, t, h: api.get("/api/v1/api-keys?all=true")),
    "create own key": (
        EVERYONE,
        201,
        lambda api, t, h: api.post("/api/v1/api-keys", json={"name": "mine"}),
    ),
    "create key for other": (
        ADMIN,
        201,
        lambda api, t, h: api.post(
            "/api/v1/api-keys", json={"name": "theirs", "userId": t["target"]}
        ),
    ),
    "get other's key": (
        ADMIN,
        200,
        lambda api, t, h: api.get(f"/api/v1/api-keys/{h['target_key']()}"),
    ),
    "revoke other's key": (
        ADMIN,
        200,
        lambda api, t, h: api.delete(f"/api/v1/api-keys/{h['target_key']()}"),
    ),
    "get organization": (EVERYONE, 200, lambda api, t, h: api.get("/api/v1/organization")),
    "change modules": (
        ADMIN,
        200,
        lambda api, t, h: api.patch("/api/v1/organization", json={"modules": {"crm": True}}),
    ),
    "change limits": (
        ADMIN,
        200,
        lambda api, t, h: api.patch("/api/v1/organization", json={"limits": {"maxServices": 30}}),
    ),
    "rename organization": (
        ADMIN,
        200,
        lambda api, t, h: api.patch("/api/v1/organization", json={"name": "Renamed Org"}),
    ),
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("case", list(CASES))
def test_role_matrix(api_as, factory, team, role, case):
    allowed, status, call = CASES[case]
    helpers = {"me": team[role], "target_key": lambda: _target_key(api_as, factory, team)}
    r = call(api_as(team[role]), team, helpers)
    if role in allowed:
        assert r.status_code == status, (case, role, r.json)
    else:
        body = assert_error(r, 403, "insufficient_permissions")
        assert "admin" in body["details"]["required"], body
        assert body["details"]["roles"] == [role]


@pytest.mark.parametrize("role", ROLES)
def test_role_matrix_holds_for_api_keys_too(api_as, team, role):
    api = api_as(team[role], key=True)
    r = api.post("/api/v1/users", json=_new_user_body(role))
    if role == "admin":
        assert r.status_code == 201
    else:
        assert_error(r, 403, "insufficient_permissions")
    assert api.get("/api/v1/users").status_code == 200


def test_forbidden_changes_change_nothing(app, api_as, team):
    viewer = api_as(team["viewer"])
    viewer.patch(f"/api/v1/users/{team['target']}", json={"name": "Hacked", "roles": ["admin"]})
    viewer.patch(f"/api/v1/users/{team['viewer']}", json={"name": "Me", "roles": ["admin"]})
    viewer.patch("/api/v1/organization", json={"modules": {"crm": True}})
    admin = api_as(team["admin"])
    target = admin.get(f"/api/v1/users/{team['target']}").json
    assert target["roles"] == ["viewer"] and target["name"] != "Hacked"
    me = admin.get(f"/api/v1/users/{team['viewer']}").json
    assert me["roles"] == ["viewer"] and me["name"] != "Me"  # all-or-nothing
    assert admin.get("/api/v1/organization").json["modules"]["crm"] is False


def test_own_password_change_works_for_login(client, api_as, team, app):
    dev = api_as(team["developer"])
    email = dev.get("/api/v1/users/me").json["email"]
    r = dev.post(
        "/api/v1/users/me/password",
        json={"currentPassword": PASSWORD, "newPassword": "brand-new-password"},
    )
    assert r.status_code == 200
    ok = client.post("/api/v1/auth/login", json={"email": email, "password": "brand-new-password"})
    assert ok.status_code == 200
    old = client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
    assert old.status_code == 401


def test_admin_lists_everyones_keys_with_all(api_as, factory, team):
    factory.api_key(team["target"])
    factory.api_key(team["viewer"])
    admin = api_as(team["admin"])
    own = admin.get("/api/v1/api-keys").json["data"]
    assert own == []
    everyone = admin.get("/api/v1/api-keys?all=true").json
    assert {k["userId"] for k in everyone["data"]} == {team["target"], team["viewer"]}
    assert everyone["pagination"]["total"] == 2
    # A non-admin sees only their own, and ?all=false is the same as leaving it out.
    viewer = api_as(team["viewer"])
    assert {k["userId"] for k in viewer.get("/api/v1/api-keys?all=false").json["data"]} == {
        team["viewer"]
    }


def test_user_may_revoke_own_key(api_as, factory, team):
    factory.api_key(team["viewer"])
    viewer = api_as(team["viewer"])
    key_id = viewer.get("/api/v1/api-keys").json["data"][0]["id"]
    assert viewer.delete(f"/api/v1/api-keys/{key_id}").status_code == 200
    assert viewer.get(f"/api/v1/api-keys/{key_id}").json["status"] == "revoked"


def test_created_key_for_other_belongs_to_them(api_as, team):
    r = api_as(team["admin"]).post(
        "/api/v1/api-keys", json={"name": "for-target", "userId": team["target"]}
    )
    assert r.json["userId"] == team["target"]
    as_target = api_as(team["target"]).get("/api/v1/api-keys").json["data"]
    assert [k["id"] for k in as_target] == [r.json["id"]]


# --- the last admin ------------------------------------------------------------------------


def test_last_admin_cannot_be_demoted(api_as, team):
    admin = api_as(team["admin"])
    r = admin.patch(f"/api/v1/users/{team['admin']}", json={"roles": ["maintainer"]})
    assert_error(r, 409, "conflict", field="roles")
    assert admin.get("/api/v1/users/me").json["roles"] == ["admin"]


def test_last_admin_cannot_be_deactivated(api_as, team):
    r = api_as(team["admin"]).patch(f"/api/v1/users/{team['admin']}", json={"active": False})
    assert_error(r, 409, "conflict")


def test_admin_cannot_delete_themself(api_as, team):
    r = api_as(team["admin"]).delete(f"/api/v1/users/{team['admin']}")
    assert_error(r, 409, "conflict")


def test_last_admin_cannot_be_deleted_by_another_org(api_as, team, other_team):
    r = api_as(other_team["admin"]).delete(f"/api/v1/users/{team['admin']}")
    assert_error(r, 404, "not_found")


def test_with_two_admins_one_may_go(api_as, team):
    admin = api_as(team["admin"])
    assert (
        admin.patch(f"/api/v1/users/{team['target']}", json={"roles": ["admin"]}).status_code == 200
    )
    # Now the original admin may step down, and the new one may delete them.
    assert (
        admin.patch(f"/api/v1/users/{team['admin']}", json={"roles": ["viewer"]}).status_code == 200
    )
    new_admin = api_as(team["target"])
    assert_error(
        new_admin.patch(f"/api/v1/users/{team['target']}", json={"roles": ["viewer"]}),
        409,
        "conflict",
    )
    assert new_admin.delete(f"/api/v1/users/{team['admin']}").status_code == 200


def test_deactivated_admin_does_not_count(api_as, team):
    admin = api_as(team["admin"])
    admin.patch(f"/api/v1/users/{team['target']}", json={"roles": ["admin"]})
    assert admin.patch(f"/api/v1/users/{team['target']}", json={"active": False}).status_code == 200
    assert_error(
        admin.patch(f"/api/v1/users/{team['admin']}", json={"roles": ["viewer"]}), 409, "conflict"
    )


def test_delete_user_answers_success_envelope(api_as, team):
    r = api_as(team["admin"]).delete(f"/api/v1/users/{team['target']}")
    assert r.json == {"success": True, "message": f"User {team['target']} deleted"}
    assert_error(api_as(team["admin"]).get(f"/api/v1/users/{team['target']}"), 404, "not_found")


def test_created_user_defaults_and_shape(api_as, team):
    body = {"email": "Fresh@Example.com", "name": "Fresh", "password": "long-enough"}
    r = api_as(team["admin"]).post("/api/v1/users", json=body)
    assert r.status_code == 201
    out = r.json
    assert out["id"].startswith("user-") and out["email"] == "fresh@example.com"
    assert out["roles"] == ["viewer"] and out["active"] is True
    assert out["createdAt"].endswith("Z") and out["lastLoginAt"] is None
    assert "password" not in out and "passwordHash" not in out


def test_new_organization_modules_and_limits(api_as, team):
    org = api_as(team["viewer"]).get("/api/v1/organization").json
    assert org["modules"] == {"schedules": True, "crm": False}
    assert set(org["limits"]) == {"maxServices", "activeServiceLimit"}
    assert org["slug"] and org["name"]


def test_deleting_a_user_deletes_their_keys(app, api_as, factory, team):
    """ON DELETE CASCADE holds on SQLite too (foreign keys are switched on per connection)."""
    from blueprints.core.extensions import db
    from blueprints.users.models import ApiKey

    raw = factory.api_key(team["target"])
    admin = api_as(team["admin"])
    assert admin.delete(f"/api/v1/users/{team['target']}").status_code == 200
    assert admin.get("/api/v1/api-keys?all=true").json["data"] == []
    with app.app_context():
        assert db.session.query(ApiKey).filter_by(user_id=team["target"]).count() == 0
    assert app.test_client().get("/api/v1/users/me", headers={"X-API-Key": raw}).status_code == 401
