"""Idempotency-Key on POST: replay the first response; a different body is a conflict."""

from __future__ import annotations

from blueprints.core.extensions import db
from tests.core.helpers import assert_error


def _count_users(app, org_id: str) -> int:
    from blueprints.users.models import User

    with app.app_context():
        return db.session.query(User).filter_by(org_id=org_id).count()


def _count_keys(app) -> int:
    from blueprints.users.models import ApiKey

    with app.app_context():
        return db.session.query(ApiKey).count()


BODY = {"email": "idem@example.com", "name": "Idem", "password": "long-enough", "roles": ["viewer"]}


def test_same_key_same_body_replays_the_first_response(app, api_as, factory):
    org = factory.org()
    admin = factory.user(org)
    api = api_as(admin)
    first = api.post("/api/v1/users", json=BODY, headers={"Idempotency-Key": "abc-1"})
    assert first.status_code == 201
    assert "Idempotent-Replayed" not in first.headers
    second = api.post("/api/v1/users", json=BODY, headers={"Idempotency-Key": "abc-1"})
    assert second.status_code == 201
    assert second.headers["Idempotent-Replayed"] == "true"
    assert second.json == first.json
    assert second.content_type == first.content_type
    assert _count_users(app, org) == 2  # the admin and one new user, not two


def test_replay_works_from_another_credential_of_the_same_user(app, api_as, factory):
    uid = factory.user()
    first = api_as(uid).post(
        "/api/v1/api-keys", json={"name": "k"}, headers={"Idempotency-Key": "k-1"}
    )
    again = api_as(uid, key=True).post(
        "/api/v1/api-keys", json={"name": "k"}, headers={"Idempotency-Key": "k-1"}
    )
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json["id"] == first.json["id"]
    assert _count_keys(app) == 2  # the fixture's key for api_as(key=True) and one created key


def test_same_key_different_body_is_409(app, api_as, factory):
    org = factory.org()
    admin = factory.user(org)
    api = api_as(admin)
    assert (
        api.post("/api/v1/users", json=BODY, headers={"Idempotency-Key": "abc-2"}).status_code
        == 201
    )
    other = {**BODY, "email": "other@example.com"}
    r = api.post("/api/v1/users", json=other, headers={"Idempotency-Key": "abc-2"})
    assert_error(r, 409, "conflict", field="Idempotency-Key")
    assert _count_users(app, org) == 2


def test_same_key_on_another_endpoint_is_409(api_as, factory):
    api = api_as(factory.user())
    assert (
        api.post(
            "/api/v1/api-keys", json={"name": "k"}, headers={"Idempotency-Key": "shared"}
        ).status_code
        == 201
    )
    assert_error(
        api.post("/api/v1/users", json=BODY, headers={"Idempotency-Key": "shared"}), 409, "conflict"
    )


def test_keys_are_per_user(app, api_as, factory):
    org = factory.org()
    first, second = factory.user(org), factory.user(org)
    a = api_as(first).post(
        "/api/v1/api-keys", json={"name": "k"}, headers={"Idempotency-Key": "same"}
    )
    b = api_as(second).post(
        "/api/v1/api-keys", json={"name": "k"}, headers={"Idempotency-Key": "same"}
    )
    assert a.status_code == b.status_code == 201
    assert "Idempotent-Replayed" not in b.headers
    assert a.json["id"] != b.json["id"] and b.json["userId"] == second
    # And a different body from the second user is not a conflict with the first user's.
    c = api_as(second).post(
        "/api/v1/api-keys", json={"name": "other"}, headers={"Idempotency-Key": "same-2"}
    )
    assert c.status_code == 201


def test_a_refused_request_does_not_use_up_the_key(app, api_as, factory):
    """A 4xx changed nothing, so it is not stored: the same request may be retried once fixed."""
    org = factory.org()
    admin = factory.user(org)
    api = api_as(admin)
    existing = api.post("/api/v1/users", json=BODY).json["id"]
    first = api.post("/api/v1/users", json=BODY, headers={"Idempotency-Key": "dup"})
    assert_error(first, 409, "conflict", field="email")
    assert api.delete(f"/api/v1/users/{existing}").status_code == 200
    again = api.post("/api/v1/users", json=BODY, headers={"Idempotency-Key": "dup"})
    assert again.status_code == 201 and "Idempotent-Replayed" not in again.headers
    replay = api.post("/api/v1/users", json=BODY, headers={"Idempotency-Key": "dup"})
    assert replay.headers["Idempotent-Replayed"] == "true" and replay.json == again.json


def test_without_a_key_posts_are_not_deduplicated(app, api_as, factory):
    uid = factory.user()
    api = api_as(uid)
    ids = {api.post("/api/v1/api-keys", json={"name": "k"}).json["id"] for _ in range(2)}
    assert len(ids) == 2


def test_overlong_key_is_400(api_as, factory):
    r = api_as(factory.user()).post(
        "/api/v1/api-keys", json={"name": "k"}, headers={"Idempotency-Key": "x" * 256}
    )
    assert_error(r, 400, "invalid_request", field="Idempotency-Key")


def test_key_is_stored_for_24_hours(app, api_as, factory):
    from blueprints.core.extensions import get_redis

    api_as(factory.user()).post(
        "/api/v1/api-keys", json={"name": "k"}, headers={"Idempotency-Key": "ttl"}
    )
    with app.app_context():
        redis = get_redis()
        keys = list(redis.scan_iter("sparki:idem:*"))
        assert len(keys) == 1
        assert 24 * 3600 - 60 < redis.ttl(keys[0]) <= 24 * 3600


def test_idempotency_key_is_ignored_on_patch(api_as, factory):
    uid = factory.user()
    api = api_as(uid)
    for name in ("One", "Two"):
        r = api.patch(
            f"/api/v1/users/{uid}", json={"name": name}, headers={"Idempotency-Key": "patch"}
        )
        assert r.status_code == 200 and r.json["name"] == name


def test_same_key_while_the_first_is_running_is_409(app, api_as, factory):
    import hashlib

    from blueprints.core.extensions import get_redis

    uid = factory.user()
    digest = hashlib.sha256(f"{uid}:busy".encode()).hexdigest()
    with app.app_context():
        get_redis().set(f"sparki:idem-lock:{digest}", "1", ex=60)  # a first request in flight
    r = api_as(uid).post(
        "/api/v1/api-keys", json={"name": "k"}, headers={"Idempotency-Key": "busy"}
    )
    body = assert_error(r, 409, "conflict", field="Idempotency-Key")
    assert body["details"]["reason"] == "in progress"
    assert _count_keys(app) == 0
