"""Authentication: API keys, bearer tokens, browser sessions (with CSRF), and the open health."""

from __future__ import annotations

import re
import time

import jwt
import pytest

from tests.conftest import PASSWORD, make_app
from tests.core.helpers import assert_error
from tests.support.sessions import session_client
from tests.support.waiting import wait_past

SECRET = "test-secret-key-that-is-long-enough-for-hs256"


def test_health_is_open_and_reports_every_dependency(client):
    r = client.get("/api/v1/health")
    assert r.status_code == 200
    assert r.json["status"] == "ok"
    assert r.json["checks"] == {"app": "ok", "database": "ok", "redis": "ok"}
    assert r.json["timestamp"].endswith("Z")
    assert "X-RateLimit-Limit" not in r.headers  # unauthenticated: no budget spent


@pytest.mark.parametrize(
    "path", ["/api/v1/users", "/api/v1/users/me", "/api/v1/api-keys", "/api/v1/organization"]
)
def test_no_credentials_is_401(client, path):
    body = assert_error(client.get(path), 401, "authentication_failed")
    assert "X-API-Key" in body["message"]


def test_no_credentials_on_write_is_401(client):
    assert_error(client.post("/api/v1/users", json={}), 401, "authentication_failed")
    assert_error(client.post("/api/v1/auth/refresh"), 401, "authentication_failed")


def test_api_key_in_header_and_as_bearer(client, factory):
    uid = factory.user(roles=["viewer"])
    key = factory.api_key(uid)
    assert key.startswith("sk_")
    for headers in ({"X-API-Key": key}, {"Authorization": f"Bearer {key}"}):
        r = client.get("/api/v1/users/me", headers=headers)
        assert r.status_code == 200, r.json
        assert r.json["id"] == uid


def test_wrong_api_key_is_401(client, factory):
    factory.user()
    assert_error(
        client.get("/api/v1/users/me", headers={"X-API-Key": "sk_nope"}),
        401,
        "authentication_failed",
    )
    assert_error(
        client.get("/api/v1/users/me", headers={"Authorization": "Bearer sk_nope"}),
        401,
        "authentication_failed",
    )


def test_revoked_key_is_401(client, factory, api_as):
    uid = factory.user(roles=["developer"])
    key = factory.api_key(uid)
    me = client.get("/api/v1/api-keys", headers={"X-API-Key": key})
    key_id = me.json["data"][0]["id"]
    r = client.delete(f"/api/v1/api-keys/{key_id}", headers={"X-API-Key": key})
    assert r.status_code == 200
    assert r.json == {"success": True, "message": f"API key {key_id} revoked"}
    assert_error(
        client.get("/api/v1/users/me", headers={"X-API-Key": key}), 401, "authentication_failed"
    )
    # Another credential of the same user still sees the key, now revoked.
    listed = api_as(uid).get(f"/api/v1/api-keys/{key_id}")
    assert listed.json["status"] == "revoked" and listed.json["revokedAt"].endswith("Z")


def test_key_of_deactivated_user_is_401(client, factory, api_as):
    org = factory.org()
    admin = factory.user(org, roles=["admin"])
    uid = factory.user(org, roles=["viewer"])
    key = factory.api_key(uid)
    assert api_as(admin).patch(f"/api/v1/users/{uid}", json={"active": False}).status_code == 200
    assert_error(
        client.get("/api/v1/users/me", headers={"X-API-Key": key}), 401, "authentication_failed"
    )


def test_key_is_stored_as_hash_and_listed_by_prefix(app, api_as, factory):
    uid = factory.user(roles=["viewer"])
    r = api_as(uid).post("/api/v1/api-keys", json={"name": "ci"})
    assert r.status_code == 201
    raw = r.json["key"]
    assert raw.startswith("sk_") and len(raw) > 40
    assert raw.startswith(r.json["prefix"])
    listed = api_as(uid).get("/api/v1/api-keys").json["data"]
    assert [k["name"] for k in listed] == ["ci"]
    assert "key" not in listed[0]
    with app.app_context():
        from blueprints.core.extensions import db
        from blueprints.users.models import ApiKey

        stored = db.session.get(ApiKey, r.json["id"])
        assert raw not in (stored.key_hash, stored.prefix)
        assert len(stored.key_hash) == 64


def test_login_refresh_and_me(client, factory):
    uid = factory.user(roles=["viewer"], email="ann@example.com")
    r = client.post("/api/v1/auth/login", json={"email": "ANN@example.com", "password": PASSWORD})
    assert r.status_code == 200, r.json
    assert r.json["expiresIn"] == 3600
    assert r.json["tokenType"] == "Bearer"
    token = r.json["token"]
    me = client.get("/api/v1/users/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200 and me.json["id"] == uid
    assert me.json["lastLoginAt"].endswith("Z")
    assert "passwordHash" not in me.json and "password" not in me.json
    refreshed = client.post("/api/v1/auth/refresh", headers={"Authorization": f"Bearer {token}"})
    assert refreshed.status_code == 200
    assert refreshed.json["token"] != token and refreshed.json["expiresIn"] == 3600
    again = client.get(
        "/api/v1/users/me", headers={"Authorization": f"Bearer {refreshed.json['token']}"}
    )
    assert again.json["id"] == uid


@pytest.mark.parametrize(
    "email,password", [("ann@example.com", "wrong-password"), ("nobody@example.com", PASSWORD)]
)
def test_bad_login_is_401_with_the_same_message(client, factory, email, password):
    factory.user(email="ann@example.com")
    body = assert_error(
        client.post("/api/v1/auth/login", json={"email": email, "password": password}),
        401,
        "authentication_failed",
    )
    assert body["message"] == "Email or password is wrong"


def test_login_validates_its_body(client):
    assert_error(
        client.post("/api/v1/auth/login", json={"email": "a@b.c"}),
        400,
        "invalid_request",
        field="password",
    )


def _claims(uid: str, org_id: str, **over):
    now = int(time.time())
    return {"sub": uid, "org": org_id, "iat": now, "exp": now + 600, "typ": "access", **over}


def _org_of(app, uid: str) -> str:
    from blueprints.core.extensions import db
    from blueprints.users.models import User

    with app.app_context():
        return db.session.get(User, uid).org_id


def test_expired_token_is_401(app, client, factory):
    uid = factory.user()
    token = jwt.encode(
        _claims(uid, _org_of(app, uid), exp=int(time.time()) - 5), SECRET, algorithm="HS256"
    )
    body = assert_error(
        client.get("/api/v1/users/me", headers={"Authorization": f"Bearer {token}"}),
        401,
        "authentication_failed",
    )
    assert "expired" in body["message"]


def test_short_ttl_token_expires(database_url, redis_url, factory):
    # `exp` is whole seconds, so a 1 s token may be valid for only a few milliseconds: on a
    # busy machine it expired before its first use. A few seconds leave room for that use.
    short = make_app(database_url, redis_url, TOKEN_TTL_SECONDS=5)
    uid = factory.user()
    c = short.test_client()
    token = c.post(
        "/api/v1/auth/login", json={"email": _email(short, uid), "password": PASSWORD}
    ).json["token"]
    bearer = {"Authorization": f"Bearer {token}"}
    assert c.get("/api/v1/users/me", headers=bearer).status_code == 200
    wait_past(jwt.decode(token, options={"verify_signature": False})["exp"])
    assert_error(c.get("/api/v1/users/me", headers=bearer), 401, "authentication_failed")


def _email(app, uid: str) -> str:
    from blueprints.core.extensions import db
    from blueprints.users.models import User

    with app.app_context():
        return db.session.get(User, uid).email


@pytest.mark.parametrize(
    "variant",
    [
        "signature",
        "payload",
        "other-secret",
        "not-access",
        "no-exp",
        "other-org",
        "garbage",
        "none-alg",
    ],
)
def test_tampered_tokens_are_401(app, client, factory, variant):
    uid = factory.user()
    org_id = _org_of(app, uid)
    good = factory.token(uid)
    head, payload, sig = good.split(".")
    if variant == "signature":
        token = f"{head}.{payload}.{sig[:-4]}{'AAAA' if sig[-4:] != 'AAAA' else 'BBBB'}"
    elif variant == "payload":
        other = factory.user(factory.org())
        forged = jwt.encode(_claims(other, _org_of(app, other)), "x" * 40, algorithm="HS256")
        token = f"{head}.{forged.split('.')[1]}.{sig}"
    elif variant == "other-secret":
        token = jwt.encode(
            _claims(uid, org_id), "another-secret-that-is-long-enough-xx", algorithm="HS256"
        )
    elif variant == "not-access":
        token = jwt.encode(_claims(uid, org_id, typ="refresh"), SECRET, algorithm="HS256")
    elif variant == "no-exp":
        claims = _claims(uid, org_id)
        del claims["exp"]
        token = jwt.encode(claims, SECRET, algorithm="HS256")
    elif variant == "other-org":
        token = jwt.encode(_claims(uid, factory.org()), SECRET, algorithm="HS256")
    elif variant == "garbage":
        token = "not-a-token"
    else:
        token = jwt.encode(_claims(uid, org_id), None, algorithm="none")
    assert_error(
        client.get("/api/v1/users/me", headers={"Authorization": f"Bearer {token}"}),
        401,
        "authentication_failed",
    )


@pytest.mark.parametrize("header", ["Basic dXNlcjpwYXNz", "Bearer", "Bearer    ", "Token abc"])
def test_malformed_authorization_header_is_401(client, header):
    assert_error(
        client.get("/api/v1/users/me", headers={"Authorization": header}),
        401,
        "authentication_failed",
    )


def test_bad_credentials_are_401_even_with_a_session(factory, login_as):
    uid = factory.user()
    c = login_as(uid)
    assert c.get("/api/v1/users/me").status_code == 200
    assert_error(
        c.get("/api/v1/users/me", headers={"X-API-Key": "sk_wrong"}), 401, "authentication_failed"
    )


def test_session_reads_the_api(factory, login_as):
    uid = factory.user(roles=["viewer"])
    r = login_as(uid).get("/api/v1/users/me")
    assert r.status_code == 200 and r.json["id"] == uid


@pytest.fixture(scope="module")
def csrf_app(database_url, redis_url, app):
    return make_app(database_url, redis_url, WTF_CSRF_ENABLED=True)


def _session_client(csrf_app, uid):
    return session_client(csrf_app, uid)


def _csrf_token(c) -> str:
    page = c.get("/api-keys").get_data(as_text=True)
    return re.search(r'"X-CSRFToken": "([^"]+)"', page).group(1)


def test_session_write_without_csrf_token_is_refused(csrf_app, factory):
    uid = factory.user()
    c = _session_client(csrf_app, uid)
    body = assert_error(c.post("/api/v1/api-keys", json={"name": "k"}), 400, "invalid_request")
    assert "CSRF" in body["message"]
    for method in ("patch", "delete"):
        r = getattr(c, method)(f"/api/v1/users/{uid}", json={"name": "x"})
        assert_error(r, 400, "invalid_request")
    assert c.get("/api/v1/api-keys").json["data"] == []  # nothing was created


def test_session_write_with_csrf_token_works(csrf_app, factory):
    uid = factory.user()
    c = _session_client(csrf_app, uid)
    token = _csrf_token(c)
    r = c.post("/api/v1/api-keys", json={"name": "k"}, headers={"X-CSRFToken": token})
    assert r.status_code == 201, r.json
    bad = c.post("/api/v1/api-keys", json={"name": "k"}, headers={"X-CSRFToken": "forged"})
    assert_error(bad, 400, "invalid_request")


def test_keys_and_tokens_need_no_csrf_token(csrf_app, factory):
    uid = factory.user()
    c = csrf_app.test_client()
    key = factory.api_key(uid)
    assert (
        c.post("/api/v1/api-keys", json={"name": "a"}, headers={"X-API-Key": key}).status_code
        == 201
    )
    assert (
        c.post(
            "/api/v1/api-keys",
            json={"name": "b"},
            headers={"Authorization": f"Bearer {factory.token(uid)}"},
        ).status_code
        == 201
    )


def test_page_forms_are_csrf_protected(csrf_app, factory):
    uid = factory.user()
    c = _session_client(csrf_app, uid)
    r = c.post("/api-keys", data={"name": "no-token"})
    assert r.status_code == 400
    assert c.get("/api/v1/api-keys").json["data"] == []


def test_deactivated_user_loses_token_session_and_login(client, factory, api_as, login_as):
    org = factory.org()
    admin = factory.user(org, roles=["admin"])
    uid = factory.user(org, roles=["developer"], email="gone@example.com")
    token_client, session_client = api_as(uid), login_as(uid)
    assert token_client.get("/api/v1/users/me").status_code == 200
    assert session_client.get("/api/v1/users/me").status_code == 200
    assert api_as(admin).patch(f"/api/v1/users/{uid}", json={"active": False}).status_code == 200
    assert_error(token_client.get("/api/v1/users/me"), 401, "authentication_failed")
    assert_error(session_client.get("/api/v1/users/me"), 401, "authentication_failed")
    assert_error(token_client.post("/api/v1/auth/refresh"), 401, "authentication_failed")
    body = assert_error(
        client.post("/api/v1/auth/login", json={"email": "gone@example.com", "password": PASSWORD}),
        401,
        "authentication_failed",
    )
    assert body["message"] == "Email or password is wrong"


def test_health_is_503_when_a_dependency_is_down(database_url, app, tmp_path):
    from blueprints.core.extensions import limiter
    from tests.support.services import free_port

    no_redis = make_app(database_url, f"redis://127.0.0.1:{free_port()}/0")
    try:
        body = assert_error(
            no_redis.test_client().get("/api/v1/health"), 503, "service_unavailable"
        )
    finally:
        limiter.init_app(app)  # the one Limiter keeps the storage of the app bound last
    assert body["details"]["checks"]["database"] == "ok"
    assert body["details"]["checks"]["redis"].startswith("error: ")
    no_db = make_app(f"sqlite:///{tmp_path}/missing/dir/x.db", app.config["REDIS_URL"])
    body = assert_error(no_db.test_client().get("/api/v1/health"), 503, "service_unavailable")
    assert body["details"]["checks"]["database"].startswith("error: ")
    assert body["details"]["checks"]["redis"] == "ok"


def test_page_forms_accept_the_htmx_csrf_header(csrf_app, factory):
    uid = factory.user()
    c = _session_client(csrf_app, uid)
    r = c.post(
        "/api-keys",
        data={"name": "via-htmx"},
        headers={"HX-Request": "true", "X-CSRFToken": _csrf_token(c)},
    )
    assert r.status_code == 200 and "via-htmx" in r.get_data(as_text=True)


def test_passwords_are_stored_with_argon2id(app, factory):
    from blueprints.core.extensions import db
    from blueprints.users.models import User

    uid = factory.user()
    with app.app_context():
        stored = db.session.get(User, uid).password_hash
    assert stored.startswith("$argon2id$") and PASSWORD not in stored


def test_health_checks_its_dependencies_at_most_once_a_second(app, client):
    """A poller in a loop costs one SELECT 1 a second per process, not one each (issue 16)."""
    from sqlalchemy import event

    from blueprints.core.extensions import db
    from blueprints.users.api import _HEALTH_CACHE

    app.extensions.pop(_HEALTH_CACHE, None)
    seen: list[str] = []
    with app.app_context():
        engine = db.engine
    listener = lambda conn, cursor, statement, *args: seen.append(statement)  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        for _ in range(5):
            assert client.get("/api/v1/health").status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    assert seen == ["SELECT 1"]
