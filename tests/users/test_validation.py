"""Every POST/PATCH body of the users feature: unknown fields, wrong types, bad values → 400."""

from __future__ import annotations

import pytest

from tests.core.helpers import assert_error

# (method, path, a valid body) for every body-taking endpoint of the users feature.
BODIES = [
    ("post", "/api/v1/auth/login", {"email": "a@example.com", "password": "whatever"}),
    ("post", "/api/v1/users", {"email": "n@example.com", "name": "N", "password": "long-enough"}),
    ("patch", "/api/v1/users/{me}", {"name": "N"}),
    ("post", "/api/v1/api-keys", {"name": "k"}),
    ("patch", "/api/v1/organization", {"name": "Org"}),
]


@pytest.mark.parametrize("method,path,body", BODIES)
@pytest.mark.parametrize("unknown", ["surprise", "org_id", "passwordHash", "id"])
def test_unknown_field_is_400_naming_it(api_as, team, method, path, body, unknown):
    api = api_as(team["admin"])
    r = getattr(api, method)(path.format(me=team["admin"]), json={**body, unknown: 1})
    out = assert_error(r, 400, "invalid_request", field=unknown)
    assert "Unknown field" in out["details"]["reason"]


@pytest.mark.parametrize("nested", ["modules", "limits"])
def test_unknown_nested_organization_key_is_400(api_as, team, nested):
    r = api_as(team["admin"]).patch("/api/v1/organization", json={nested: {"warpDrive": True}})
    assert_error(r, 400, "invalid_request", field=f"{nested}.warpDrive")


@pytest.mark.parametrize("method,path,body", BODIES)
def test_body_must_be_an_object(api_as, team, method, path, body):
    api = api_as(team["admin"])
    for bad in ([body], "text", 3, True):
        r = getattr(api, method)(path.format(me=team["admin"]), json=bad)
        body_error = assert_error(r, 400, "invalid_request")
        assert "must be an object" in body_error["message"]
        assert "field" not in body_error["details"]


@pytest.mark.parametrize(
    "body,field",
    [
        ({"name": ""}, "name"),
        ({"name": "x" * 121}, "name"),
        ({"name": 5}, "name"),
        ({"email": "nope"}, "email"),
        ({"password": "short"}, "password"),
        ({"roles": []}, "roles"),
        ({"roles": ["king"]}, "roles.0"),
        ({"roles": "admin"}, "roles"),
        ({"active": "sometimes"}, "active"),
    ],
)
def test_user_patch_values(api_as, team, body, field):
    r = api_as(team["admin"]).patch(f"/api/v1/users/{team['target']}", json=body)
    assert_error(r, 400, "invalid_request", field=field)


def test_whitespace_name_is_400(api_as, team):
    r = api_as(team["admin"]).patch(f"/api/v1/users/{team['target']}", json={"name": "   "})
    assert_error(r, 400, "invalid_request", field="name")


@pytest.mark.parametrize(
    "body,field",
    [
        ({"name": ""}, "name"),
        ({"modules": {"crm": "yes please"}}, "modules.crm"),
        ({"modules": "crm"}, "modules"),
        ({"limits": {"maxServices": -1}}, "limits.maxServices"),
        ({"limits": {"maxServices": 1.5}}, "limits.maxServices"),
        ({"limits": {"maxServices": "ten"}}, "limits.maxServices"),
        ({"limits": {"maxServices": 100_001}}, "limits.maxServices"),
        ({"limits": {"maxServices": 5, "activeServiceLimit": 6}}, "limits.activeServiceLimit"),
    ],
)
def test_organization_patch_values(api_as, team, body, field):
    api = api_as(team["admin"])
    before = api.get("/api/v1/organization").json
    assert_error(api.patch("/api/v1/organization", json=body), 400, "invalid_request", field=field)
    assert api.get("/api/v1/organization").json == before


def test_organization_patch_merges(api_as, team):
    api = api_as(team["admin"])
    api.patch("/api/v1/organization", json={"modules": {"crm": True}})
    r = api.patch("/api/v1/organization", json={"limits": {"activeServiceLimit": 5}})
    assert r.json["modules"] == {"schedules": True, "crm": True}
    assert r.json["limits"]["activeServiceLimit"] == 5 and r.json["limits"]["maxServices"] == 50


@pytest.mark.parametrize(
    "body,field",
    [
        ({}, "name"),
        ({"name": ""}, "name"),
        ({"name": "x" * 101}, "name"),
        ({"name": ["k"]}, "name"),
        ({"name": "k", "userId": 7}, "userId"),
    ],
)
def test_api_key_create_values(api_as, team, body, field):
    assert_error(
        api_as(team["admin"]).post("/api/v1/api-keys", json=body),
        400,
        "invalid_request",
        field=field,
    )


def test_api_key_for_unknown_user_is_404(api_as, team):
    r = api_as(team["admin"]).post("/api/v1/api-keys", json={"name": "k", "userId": "user-x"})
    assert_error(r, 404, "not_found")


@pytest.mark.parametrize(
    "body,field",
    [
        ({"email": "a@example.com"}, "password"),
        ({"password": "x"}, "email"),
        ({"email": "", "password": "x"}, "email"),
        ({"email": "a@example.com", "password": ""}, "password"),
        ({"email": 1, "password": "x"}, "email"),
    ],
)
def test_login_values(client, body, field):
    assert_error(client.post("/api/v1/auth/login", json=body), 400, "invalid_request", field=field)


def test_user_create_roles_are_deduplicated_and_ordered(api_as, team):
    r = api_as(team["admin"]).post(
        "/api/v1/users",
        json={
            "email": "multi@example.com",
            "name": "M",
            "password": "long-enough",
            "roles": ["viewer", "admin", "viewer"],
        },
    )
    assert r.status_code == 201 and r.json["roles"] == ["admin", "viewer"]


def test_form_encoded_body_is_400_not_500(api_as, team):
    r = api_as(team["admin"]).post("/api/v1/users", data={"email": "a@example.com"})
    assert_error(r, 400, "invalid_request")
