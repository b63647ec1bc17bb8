"""Page/limit and cursor paging over a real list endpoint (users)."""

from __future__ import annotations

import pytest

from tests.core.helpers import bulk_users


@pytest.fixture
def org_with_users(factory):
    org = factory.org()
    admin = factory.user(org, roles=["admin"])
    bulk_users(factory.app, org, 24)
    return org, admin


def test_page_and_limit_totals(api_as, org_with_users):
    _, admin = org_with_users
    api = api_as(admin)
    first = api.get("/api/v1/users?limit=10").json
    assert first["pagination"]["page"] == 1
    assert first["pagination"]["limit"] == 10
    assert first["pagination"]["total"] == 25
    assert first["pagination"]["totalPages"] == 3
    assert len(first["data"]) == 10
    third = api.get("/api/v1/users?limit=10&page=3").json
    assert len(third["data"]) == 5 and third["pagination"]["page"] == 3
    beyond = api.get("/api/v1/users?limit=10&page=4").json
    assert beyond["data"] == [] and beyond["pagination"]["total"] == 25
    ids = set()
    for page in (1, 2, 3):
        ids |= {u["id"] for u in api.get(f"/api/v1/users?limit=10&page={page}").json["data"]}
    assert len(ids) == 25


def test_default_limit_is_20(api_as, org_with_users):
    _, admin = org_with_users
    body = api_as(admin).get("/api/v1/users").json
    assert body["pagination"]["limit"] == 20 and len(body["data"]) == 20
    assert body["pagination"]["totalPages"] == 2


def test_limit_bounds_are_inclusive(api_as, org_with_users):
    _, admin = org_with_users
    api = api_as(admin)
    assert len(api.get("/api/v1/users?limit=1").json["data"]) == 1
    assert len(api.get("/api/v1/users?limit=100").json["data"]) == 25


def test_empty_list_has_zero_pages(api_as, factory):
    uid = factory.user(roles=["viewer"])
    body = api_as(uid).get("/api/v1/api-keys").json
    assert body == {
        "data": [],
        "pagination": {"page": 1, "limit": 20, "total": 0, "totalPages": 0, "nextCursor": None},
    }


def test_newest_first(api_as, org_with_users):
    _, admin = org_with_users
    rows = api_as(admin).get("/api/v1/users?limit=100").json["data"]
    stamps = [u["createdAt"] for u in rows]
    assert stamps == sorted(stamps, reverse=True)


def test_cursor_walks_every_row_once_while_rows_are_inserted(api_as, factory, org_with_users):
    org, admin = org_with_users
    api = api_as(admin)
    before = {u["id"] for u in api.get("/api/v1/users?limit=100").json["data"]}
    seen: list[str] = []
    body = api.get("/api/v1/users?limit=7").json
    pages = 0
    while True:
        pages += 1
        seen += [u["id"] for u in body["data"]]
        # New rows arrive between pages: they are newer than the cursor and must not shift it.
        bulk_users(factory.app, org, 1)
        cursor = body["pagination"]["nextCursor"]
        if cursor is None:
            break
        body = api.get(f"/api/v1/users?limit=7&cursor={cursor}").json
        assert pages < 10
    assert len(seen) == len(set(seen)) == 25
    assert set(seen) == before
    assert pages == 4


def test_page_mode_has_next_cursor_until_last_page(api_as, org_with_users):
    _, admin = org_with_users
    api = api_as(admin)
    assert api.get("/api/v1/users?limit=25").json["pagination"]["nextCursor"] is None
    assert api.get("/api/v1/users?limit=24").json["pagination"]["nextCursor"]
    assert api.get("/api/v1/users?limit=10&page=3").json["pagination"]["nextCursor"] is None


def test_cursor_with_role_filter(api_as, factory, org_with_users):
    org, admin = org_with_users
    bulk_users(factory.app, org, 3, roles=["maintainer"])
    api = api_as(admin)
    body = api.get("/api/v1/users?role=maintainer&limit=2").json
    assert body["pagination"]["total"] == 3
    nxt = api.get(
        f"/api/v1/users?role=maintainer&limit=2&cursor={body['pagination']['nextCursor']}"
    ).json
    ids = [u["id"] for u in body["data"] + nxt["data"]]
    assert len(set(ids)) == 3 and nxt["pagination"]["nextCursor"] is None
    assert all(u["roles"] == ["maintainer"] for u in body["data"] + nxt["data"])


def test_role_filter(api_as, factory):
    org = factory.org()
    admin = factory.user(org, roles=["admin"])
    dev = factory.user(org, roles=["developer", "viewer"])
    factory.user(org, roles=["viewer"])
    api = api_as(admin)
    assert [u["id"] for u in api.get("/api/v1/users?role=developer").json["data"]] == [dev]
    assert api.get("/api/v1/users?role=viewer").json["pagination"]["total"] == 2
    assert api.get("/api/v1/users?role=").json["pagination"]["total"] == 3
