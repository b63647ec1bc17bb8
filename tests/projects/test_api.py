"""Projects API: CRUD, archive, members, roles, tenancy, validation."""

from __future__ import annotations

import pytest


@pytest.fixture
def org(factory):
    return factory.org("Acme")


@pytest.fixture
def admin_api(api_as, factory, org):
    return api_as(factory.user(org, roles=["admin"]))


def create(api, name="Web", **extra):
    body = {
        "name": name,
        "description": "The storefront",
        "repository": {"url": "https://git.example.com/acme/web.git", "branch": "main"},
        "ci": {"enabled": True, "provider": "github-actions"},
        **extra,
    }
    r = api.post("/api/v1/projects", json=body)
    assert r.status_code == 201, r.json
    return r.json


def test_create_get_shape(admin_api):
    p = create(admin_api)
    assert p["id"].startswith("proj-")
    assert p["status"] == "active" and p["visibility"] == "private"
    assert p["repository"] == {"url": "https://git.example.com/acme/web.git", "branch": "main"}
    assert p["ci"] == {"enabled": True, "provider": "github-actions"}
    assert p["owner"]["email"].endswith("@example.com")
    assert [m["role"] for m in p["members"]] == ["owner"]
    assert p["createdAt"].endswith("Z")
    got = admin_api.get(f"/api/v1/projects/{p['id']}").json
    assert got == p


def test_duplicate_name_conflicts(admin_api):
    create(admin_api)
    r = admin_api.post("/api/v1/projects", json={"name": "Web"})
    assert r.status_code == 409
    assert r.json["error"] == "conflict" and r.json["details"]["field"] == "name"


@pytest.mark.parametrize(
    "body,field",
    [
        ({"name": ""}, "name"),
        ({"name": "x", "visibility": "secret"}, "visibility"),
        ({"name": "x", "ci": {"provider": "teamcity-x"}}, "ci.provider"),
        ({"name": "x", "bogus": 1}, "bogus"),
        ({"name": "x", "repository": {"url": "ftp://example.com/x"}}, "repository.url"),
        ({}, "name"),
    ],
)
def test_validation(admin_api, body, field):
    r = admin_api.post("/api/v1/projects", json=body)
    assert r.status_code == 400, r.json
    assert r.json["error"] == "invalid_request"
    assert r.json["details"]["field"] == field


def test_list_filter_and_pagination(admin_api):
    ids = [create(admin_api, name=f"P{i}")["id"] for i in range(5)]
    admin_api.delete(f"/api/v1/projects/{ids[0]}")
    r = admin_api.get("/api/v1/projects?status=archived")
    assert [p["id"] for p in r.json["data"]] == [ids[0]]
    r = admin_api.get("/api/v1/projects?status=active&limit=2")
    assert r.json["pagination"] == {
        "page": 1,
        "limit": 2,
        "total": 4,
        "totalPages": 2,
        "nextCursor": r.json["pagination"]["nextCursor"],
    }
    seen, cursor = [], None
    while True:
        url = "/api/v1/projects?limit=2" + (f"&cursor={cursor}" if cursor else "")
        body = admin_api.get(url).json
        seen += [p["id"] for p in body["data"]]
        cursor = body["pagination"]["nextCursor"]
        if not cursor:
            break
    assert sorted(seen) == sorted(ids)
    assert admin_api.get("/api/v1/projects?status=gone").status_code == 400


def test_update_and_archive(admin_api):
    p = create(admin_api)
    r = admin_api.patch(
        f"/api/v1/projects/{p['id']}",
        json={"visibility": "internal", "repository": {"branch": "release"}},
    )
    assert r.status_code == 200
    assert r.json["visibility"] == "internal"
    assert r.json["repository"]["branch"] == "release"
    r = admin_api.delete(f"/api/v1/projects/{p['id']}")
    assert r.json == {"success": True, "message": f"Project {p['id']} archived"}
    got = admin_api.get(f"/api/v1/projects/{p['id']}").json
    assert got["status"] == "archived" and got["archivedAt"]


def test_members(admin_api, factory, org):
    p = create(admin_api)
    dev = factory.user(org, roles=["developer"])
    r = admin_api.post(
        f"/api/v1/projects/{p['id']}/members", json={"userId": dev, "role": "contributor"}
    )
    assert r.status_code == 201 and r.json["userId"] == dev and r.json["role"] == "contributor"
    members = admin_api.get(f"/api/v1/projects/{p['id']}").json["members"]
    assert {m["userId"]: m["role"] for m in members}[dev] == "contributor"
    r = admin_api.post(f"/api/v1/projects/{p['id']}/members", json={"userId": dev, "role": "boss"})
    assert r.status_code == 400 and r.json["details"]["field"] == "role"
    assert admin_api.delete(f"/api/v1/projects/{p['id']}/members/{dev}").status_code == 200
    owner = members[0]["userId"]
    r = admin_api.delete(f"/api/v1/projects/{p['id']}/members/{owner}")
    assert r.status_code == 409  # the last owner stays
    assert admin_api.delete(f"/api/v1/projects/{p['id']}/members/{dev}").status_code == 404


@pytest.mark.parametrize(
    "role,can_create",
    [("admin", True), ("maintainer", True), ("developer", False), ("viewer", False)],
)
def test_roles(api_as, factory, org, role, can_create):
    api = api_as(factory.user(org, roles=[role]))
    r = api.post("/api/v1/projects", json={"name": f"by-{role}"})
    assert r.status_code == (201 if can_create else 403)
    if not can_create:
        assert r.json["error"] == "insufficient_permissions"
    assert api.get("/api/v1/projects").status_code == 200


def test_project_owner_may_manage_own_project(api_as, factory, org, admin_api):
    dev = factory.user(org, roles=["developer"])
    p = create(admin_api, ownerId=dev)
    dev_api = api_as(dev)
    url = f"/api/v1/projects/{p['id']}"
    assert dev_api.patch(url, json={"description": "mine"}).status_code == 200
    other = factory.user(org, roles=["developer"])
    assert api_as(other).patch(url, json={"description": "x"}).status_code == 403


def test_other_organization_sees_404_everywhere(admin_api, api_as, factory):
    p = create(admin_api)
    intruder = api_as(factory.user(factory.org("Intruders"), roles=["admin"]))
    pid = p["id"]
    member = p["members"][0]["userId"]
    calls = [
        ("get", f"/api/v1/projects/{pid}", None),
        ("patch", f"/api/v1/projects/{pid}", {"name": "pwned"}),
        ("delete", f"/api/v1/projects/{pid}", None),
        ("post", f"/api/v1/projects/{pid}/members", {"userId": member}),
        ("delete", f"/api/v1/projects/{pid}/members/{member}", None),
    ]
    for method, url, body in calls:
        r = getattr(intruder, method)(url, **({"json": body} if body is not None else {}))
        assert r.status_code == 404, (method, url, r.json)
        assert r.json["error"] == "not_found"
    assert intruder.get("/api/v1/projects").json["data"] == []
    assert admin_api.get(f"/api/v1/projects/{pid}").json["name"] == "Web"


def test_cannot_add_member_from_another_org(admin_api, factory):
    p = create(admin_api)
    outsider = factory.user(factory.org("Elsewhere"), roles=["viewer"])
    r = admin_api.post(f"/api/v1/projects/{p['id']}/members", json={"userId": outsider})
    assert r.status_code == 404
