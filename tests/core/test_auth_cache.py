"""The API-key cache (issue 16): no SQL to authenticate a key seen less than
AUTH_CACHE_SECONDS ago, and nothing of the security model relaxed for it.

A second app built on the same database and Redis stands for a second web process: what one
process changes, the other sees when its cached entry expires. Expiry is driven through the
cache's own clock (`TTLCache.expire(now)`), not by sleeping, so the tests do not depend on
timing; `AUTH_CACHE_SECONDS` (1 s) is the bound they show.
"""

from __future__ import annotations

import pytest
from sqlalchemy import event

from blueprints.core.auth import _KEY_CACHE
from blueprints.core.extensions import db
from tests.conftest import PASSWORD, make_app

ME = "/api/v1/users/me"


@pytest.fixture
def other(database_url, redis_url):
    """A second web process: its own app, with its own cache, on the same stores."""
    return make_app(database_url, redis_url).test_client()


def _expire(app) -> None:
    """Let AUTH_CACHE_SECONDS pass on `app`'s cache clock."""
    cache = app.extensions[_KEY_CACHE]
    cache.expire(cache.timer() + app.config["AUTH_CACHE_SECONDS"] + 0.001)


def _statements(app, client, headers) -> tuple[int, list[str]]:
    seen: list[str] = []
    with app.app_context():
        engine = db.engine
    listener = lambda conn, cursor, statement, *args: seen.append(statement)  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        status = client.get(ME, headers=headers).status_code
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    return status, seen


def test_a_cached_key_costs_no_sql(app, client, factory):
    uid = factory.user(roles=["viewer"])
    headers = {"X-API-Key": factory.api_key(uid)}
    for _ in range(2):  # the first use touches last_used_at; the next one is cached
        assert client.get(ME, headers=headers).status_code == 200
    status, statements = _statements(app, client, headers)
    assert status == 200 and statements == []


def test_a_revoke_in_this_process_takes_effect_at_once(client, factory, api_as):
    uid = factory.user(roles=["viewer"])
    raw = factory.api_key(uid)
    headers = {"X-API-Key": raw}
    assert client.get(ME, headers=headers).status_code == 200
    keys = api_as(uid).get("/api/v1/api-keys").get_json()["data"]
    assert api_as(uid).delete(f"/api/v1/api-keys/{keys[0]['id']}").status_code in (200, 204)
    assert client.get(ME, headers=headers).status_code == 401


def test_a_revoke_in_another_process_takes_effect_within_the_cache_time(
    app, client, other, factory
):
    uid = factory.user(roles=["viewer"])
    headers = {"X-API-Key": factory.api_key(uid)}
    for _ in range(2):
        assert client.get(ME, headers=headers).status_code == 200
    assert other.get(ME, headers=headers).status_code == 200
    keys = other.get("/api/v1/api-keys", headers=headers).get_json()["data"]
    assert other.delete(f"/api/v1/api-keys/{keys[0]['id']}", headers=headers).status_code in (
        200,
        204,
    )
    assert other.get(ME, headers=headers).status_code == 401  # the revoking process: at once
    _expire(app)  # AUTH_CACHE_SECONDS later in this process
    assert client.get(ME, headers=headers).status_code == 401


@pytest.mark.parametrize(
    ("change", "then"),
    [({"roles": ["admin"]}, 200), ({"active": False}, 401)],
)
def test_role_and_status_changes_elsewhere_are_seen_within_the_cache_time(
    app, client, other, factory, change, then
):
    admin = factory.user(roles=["admin"])
    org_id = None
    with app.app_context():
        from blueprints.users.models import User

        org_id = db.session.get(User, admin).org_id
    uid = factory.user(org_id, roles=["viewer"])
    headers = {"X-API-Key": factory.api_key(uid)}
    for _ in range(2):
        assert client.get(ME, headers=headers).status_code == 200
    assert client.get("/api/v1/users", headers=headers).status_code in (200, 403)
    admin_headers = {"X-API-Key": factory.api_key(admin)}
    assert (
        other.patch(f"/api/v1/users/{uid}", json=change, headers=admin_headers).status_code == 200
    )
    _expire(app)
    resp = client.get(ME, headers=headers)
    assert resp.status_code == then
    if then == 200:
        assert resp.get_json()["roles"] == ["admin"]


def test_a_cached_key_reading_its_caller_takes_no_database_connection(app, client, factory):
    """`/users/me` through a cached key reads the cache's copy (`Principal.user_view`): no
    database session is opened, so no pooled connection is taken (issue 16)."""
    uid = factory.user(roles=["viewer"])
    headers = {"X-API-Key": factory.api_key(uid)}
    for _ in range(2):
        assert client.get(ME, headers=headers).status_code == 200
    with app.app_context():
        engine = db.engine
    checkouts: list[object] = []
    listener = lambda *args: checkouts.append(args)  # noqa: E731
    event.listen(engine, "checkout", listener)
    try:
        answer = client.get(ME, headers=headers)
    finally:
        event.remove(engine, "checkout", listener)
    assert answer.status_code == 200 and answer.get_json()["id"] == uid
    assert checkouts == []


def test_a_cached_key_writes_through_its_own_copy_of_the_user(app, client, factory):
    """A write through a cached key gets the user merged into its session
    (`Principal.user`); the cache's shared copy stays detached and unchanged."""
    from sqlalchemy import inspect

    uid = factory.user(roles=["maintainer"])
    raw = factory.api_key(uid)
    headers = {"X-API-Key": raw}
    for _ in range(2):
        assert client.get(ME, headers=headers).status_code == 200
    made = client.post("/api/v1/projects", json={"name": "via-cache"}, headers=headers)
    assert made.status_code == 201, made.get_json()
    assert made.get_json()["owner"]["id"] == uid
    assert [m["userId"] for m in made.get_json()["members"]] == [uid]
    (cached,) = [k for k in app.extensions[_KEY_CACHE].values() if k.user_id == uid]
    assert inspect(cached).detached and inspect(cached.user).detached
    assert client.get(ME, headers=headers).get_json()["id"] == uid


def _during_commit_of(change: type, test, request) -> dict:
    """Run `request()` on another thread of this process while a flush that changed a
    `change` (checked by `test(obj)`) waits for its commit: a concurrent read that sees the
    rows from before the change."""
    import threading

    state: dict = {"fired": False}

    def after_flush(session, _context):
        if state["fired"] or not any(
            isinstance(obj, change) and test(obj) for obj in session.dirty
        ):
            return
        state["fired"] = True
        worker = threading.Thread(target=lambda: state.__setitem__("status", request()))
        worker.start()
        worker.join(60)

    event.listen(db.session, "after_flush", after_flush)
    state["remove"] = lambda: event.remove(db.session, "after_flush", after_flush)
    return state


def test_a_read_between_a_demotion_and_its_commit_does_not_keep_the_old_roles(app, client, factory):
    """Found by review: a request that read the user between the demotion's flush (which
    clears the cache) and its commit put the old roles back for AUTH_CACHE_SECONDS."""
    from blueprints.users.models import User

    admin = factory.user(roles=["admin"])
    with app.app_context():
        org_id = db.session.get(User, admin).org_id
    other_admin = factory.user(org_id, roles=["admin"])
    mine = {"X-API-Key": factory.api_key(admin)}
    theirs = {"X-API-Key": factory.api_key(other_admin)}
    for headers in (mine, theirs):
        for _ in range(2):
            assert client.get(ME, headers=headers).status_code == 200
    nested = app.test_client()
    state = _during_commit_of(
        User, lambda user: user.id == admin, lambda: nested.get(ME, headers=mine).status_code
    )
    try:
        demoted = client.patch(f"/api/v1/users/{admin}", json={"roles": ["viewer"]}, headers=theirs)
    finally:
        state["remove"]()
    assert demoted.status_code == 200 and state["fired"] and state["status"] == 200
    assert client.get(ME, headers=mine).get_json()["roles"] == ["viewer"]
    assert client.get("/api/v1/api-keys?all=true", headers=mine).status_code == 403


def test_a_read_between_a_revoke_and_its_commit_does_not_keep_the_key(app, client, factory):
    from blueprints.users.models import ApiKey

    uid = factory.user(roles=["developer"])
    headers = {"X-API-Key": factory.api_key(uid)}
    for _ in range(2):
        assert client.get(ME, headers=headers).status_code == 200
    key_id = client.get("/api/v1/api-keys", headers=headers).get_json()["data"][0]["id"]
    nested = app.test_client()
    state = _during_commit_of(
        ApiKey,
        lambda key: key.revoked_at is not None,
        lambda: nested.get(ME, headers=headers).status_code,
    )
    try:
        assert client.delete(f"/api/v1/api-keys/{key_id}", headers=headers).status_code == 200
    finally:
        state["remove"]()
    assert state["fired"] and state["status"] == 200
    assert client.get(ME, headers=headers).status_code == 401


def test_a_merged_user_has_its_own_lists_and_dicts(app, client, factory):
    """Found by review: merge copied roles and modules by reference, so an in-place change to
    a request's user reached every request of the process, unsaved."""
    from blueprints.core.auth import Principal

    uid = factory.user(roles=["developer"])
    headers = {"X-API-Key": factory.api_key(uid)}
    for _ in range(2):
        assert client.get(ME, headers=headers).status_code == 200
    (cached,) = [k for k in app.extensions[_KEY_CACHE].values() if k.user_id == uid]
    with app.test_request_context():
        user = Principal(via="key", api_key=cached, cached_user=cached.user).user
        assert user.roles == cached.user.roles and user.roles is not cached.user.roles
        assert user.organization.modules is not cached.user.organization.modules
        user.roles.append("admin")
        db.session.rollback()
    assert client.get(ME, headers=headers).get_json()["roles"] == ["developer"]
    assert client.get("/api/v1/api-keys?all=true", headers=headers).status_code == 403


def test_a_password_change_through_a_cached_key_acts_on_the_row_as_it_is(
    app, client, other, factory
):
    """Found by review: through a cached key the actor is a copy up to AUTH_CACHE_SECONDS
    old; a password check and the credentials epoch must come from the row as it is now,
    or a logout everywhere done meanwhile in another process loses its epoch."""
    from blueprints.users.models import User

    uid = factory.user(roles=["developer"])
    headers = {"X-API-Key": factory.api_key(uid)}
    for _ in range(2):
        assert client.get(ME, headers=headers).status_code == 200
    with app.app_context():
        epoch = db.session.get(User, uid).credentials_epoch
    assert other.post("/api/v1/auth/logout-everywhere", headers=headers).status_code == 200
    new = "another-horse-battery-2"
    body = {"currentPassword": PASSWORD, "newPassword": new}
    assert client.post("/api/v1/users/me/password", json=body, headers=headers).status_code == 200
    with app.app_context():
        assert db.session.get(User, uid).credentials_epoch == epoch + 2
    # And the old password no longer proves anything, cached copy or not.
    again = {"currentPassword": PASSWORD, "newPassword": "third-horse-battery-3"}
    answer = client.post("/api/v1/users/me/password", json=again, headers=headers)
    assert answer.status_code == 400 and answer.get_json()["details"]["field"] == "currentPassword"
