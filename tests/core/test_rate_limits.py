"""Rate limits per API key and per user, their headers, the 429, and sharing across processes."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.conftest import PASSWORD, make_app
from tests.core.helpers import assert_error, org_of
from tests.support.services import free_port, wait_port
from tests.support.sessions import session_client

ROOT = Path(__file__).resolve().parents[2]
HEADERS = ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset")


@pytest.fixture(scope="module")
def limited(database_url, redis_url, app):
    return make_app(
        database_url,
        redis_url,
        RATE_LIMIT_PER_KEY="3/hour",
        RATE_LIMIT_PER_USER="4/hour",
        LOGIN_RATE_LIMIT="2/minute",
    )


def _rl(r) -> tuple[int, int, int]:
    return tuple(int(r.headers[h]) for h in HEADERS)  # type: ignore[return-value]


def test_every_authenticated_response_has_the_headers(api_as, factory):
    org = factory.org()
    admin = factory.user(org, roles=["admin"])
    viewer = factory.user(org, roles=["viewer"])
    api, ro = api_as(admin), api_as(viewer, key=True)
    now = time.time()
    responses = [
        api.get("/api/v1/users"),  # 200
        api.post("/api/v1/api-keys", json={"name": "k"}),  # 201
        api.get("/api/v1/users/user-unknown"),  # 404
        api.post("/api/v1/users", json={"email": "nope"}),  # 400
        ro.post(
            "/api/v1/users", json={"email": "a@example.com", "name": "A", "password": "long-enough"}
        ),  # 403
        ro.get("/api/v1/organization"),  # 200 via key
    ]
    assert [r.status_code for r in responses] == [200, 201, 404, 400, 403, 200]
    for r in responses:
        limit, remaining, reset = _rl(r)
        assert limit > 0 and 0 <= remaining < limit
        assert now - 5 <= reset <= now + 3600 + 5  # epoch seconds, within the hour window


def test_defaults_are_1000_per_key_and_5000_per_user(api_as, factory):
    uid = factory.user()
    assert api_as(uid).get("/api/v1/users/me").headers["X-RateLimit-Limit"] == "5000"
    assert api_as(uid, key=True).get("/api/v1/users/me").headers["X-RateLimit-Limit"] == "1000"


def test_open_and_unauthenticated_requests_spend_nothing(client):
    r = client.get("/api/v1/health")
    assert not any(h in r.headers for h in HEADERS)
    r = client.get("/api/v1/users")
    assert r.status_code == 401 and not any(h in r.headers for h in HEADERS)


def test_per_key_limit_then_429(limited, factory):
    uid = factory.user()
    key = factory.api_key(uid)
    c = limited.test_client()
    remaining = []
    for _ in range(3):
        r = c.get("/api/v1/users/me", headers={"X-API-Key": key})
        assert r.status_code == 200
        assert r.headers["X-RateLimit-Limit"] == "3"
        remaining.append(int(r.headers["X-RateLimit-Remaining"]))
    assert remaining == [2, 1, 0]
    r = c.get("/api/v1/users/me", headers={"X-API-Key": key})
    body = assert_error(r, 429, "rate_limit_exceeded")
    retry = int(r.headers["Retry-After"])
    assert 0 < retry <= 3600 and body["retryAfter"] == retry
    assert r.headers["X-RateLimit-Remaining"] == "0"
    # Writes are limited by the same budget.
    assert_error(
        c.post("/api/v1/api-keys", json={"name": "x"}, headers={"X-API-Key": key}),
        429,
        "rate_limit_exceeded",
    )


def test_each_key_has_its_own_budget(limited, factory):
    uid = factory.user()
    first, second = factory.api_key(uid), factory.api_key(uid)
    c = limited.test_client()
    for _ in range(3):
        assert c.get("/api/v1/users/me", headers={"X-API-Key": first}).status_code == 200
    assert c.get("/api/v1/users/me", headers={"X-API-Key": first}).status_code == 429
    r = c.get("/api/v1/users/me", headers={"X-API-Key": second})
    assert r.status_code == 200 and r.headers["X-RateLimit-Remaining"] == "2"
    # The key's user, with a token, is limited by the per-user budget, untouched so far.
    r = c.get("/api/v1/users/me", headers={"Authorization": f"Bearer {factory.token(uid)}"})
    assert r.status_code == 200 and r.headers["X-RateLimit-Limit"] == "4"
    assert r.headers["X-RateLimit-Remaining"] == "3"


def test_per_user_limit_is_shared_by_tokens_and_session(limited, factory):
    org = factory.org()
    uid = factory.user(org)
    other = factory.user(org)
    c = limited.test_client()
    bearer = {"Authorization": f"Bearer {factory.token(uid)}"}
    fresh = {"Authorization": f"Bearer {factory.token(uid)}"}
    assert c.get("/api/v1/users/me", headers=bearer).status_code == 200
    assert c.get("/api/v1/users/me", headers=fresh).status_code == 200
    session = session_client(limited, uid)
    r = session.get("/api/v1/users/me")
    assert r.status_code == 200 and r.headers["X-RateLimit-Remaining"] == "1"
    assert c.get("/api/v1/users/me", headers=bearer).status_code == 200
    r = session.get("/api/v1/users/me")
    body = assert_error(r, 429, "rate_limit_exceeded")
    assert body["retryAfter"] == int(r.headers["Retry-After"])
    # Someone else in the same organization is unaffected.
    r = c.get("/api/v1/users/me", headers={"Authorization": f"Bearer {factory.token(other)}"})
    assert r.status_code == 200 and r.headers["X-RateLimit-Remaining"] == "3"


def test_bad_credentials_spend_no_budget(limited, factory):
    uid = factory.user()
    key = factory.api_key(uid)
    c = limited.test_client()
    for _ in range(5):
        assert c.get("/api/v1/users/me", headers={"X-API-Key": key + "x"}).status_code == 401
    assert (
        c.get("/api/v1/users/me", headers={"X-API-Key": key}).headers["X-RateLimit-Remaining"]
        == "2"
    )


def test_login_is_limited_per_address(limited, factory):
    factory.user(email="brute@example.com")
    c = limited.test_client()
    for _ in range(2):
        r = c.post("/api/v1/auth/login", json={"email": "brute@example.com", "password": "bad"})
        assert r.status_code == 401
    r = c.post("/api/v1/auth/login", json={"email": "brute@example.com", "password": PASSWORD})
    assert_error(r, 429, "rate_limit_exceeded")
    assert int(r.headers["Retry-After"]) <= 60


# --- two real web processes share one budget ----------------------------------------------


@pytest.fixture
def two_servers(database_url, redis_url, app):
    env = {
        **os.environ,
        "SECRET_KEY": "test-secret-key-that-is-long-enough-for-hs256",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "RATE_LIMIT_PER_KEY": "5/hour",
        "LOG_LEVEL": "WARNING",
    }
    env.pop("API_PORT", None)
    gunicorn = str(Path(sys.executable).parent / "gunicorn")
    procs, urls = [], []
    try:
        for _ in range(2):
            port = free_port()
            procs.append(
                subprocess.Popen(
                    [
                        gunicorn,
                        "-b",
                        f"127.0.0.1:{port}",
                        "-w",
                        "1",
                        "--log-level",
                        "warning",
                        "--no-control-socket",
                        "app:create_app()",
                    ],
                    cwd=ROOT,
                    env=env,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.PIPE,
                )
            )
            urls.append(f"http://127.0.0.1:{port}")
        for proc, url in zip(procs, urls, strict=True):
            wait_port(int(url.rsplit(":", 1)[1]), timeout=90)
            assert proc.poll() is None
        yield urls
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)


@pytest.mark.slow
def test_two_web_processes_share_the_limit(two_servers, factory, app):
    uid = factory.user()
    key = factory.api_key(uid)
    a, b = two_servers
    statuses, remaining = [], []
    for i in range(7):
        url = (a, b)[i % 2]
        r = requests.get(f"{url}/api/v1/users/me", headers={"X-API-Key": key}, timeout=60)
        statuses.append(r.status_code)
        remaining.append(r.headers.get("X-RateLimit-Remaining"))
        if r.status_code == 200:
            assert r.json()["id"] == uid
            assert org_of(app, uid) == r.json()["organizationId"]
    assert statuses == [200, 200, 200, 200, 200, 429, 429]
    assert remaining == ["4", "3", "2", "1", "0", "0", "0"]
    body = r.json()
    assert body["error"] == "rate_limit_exceeded" and body["retryAfter"] > 0
    assert int(r.headers["Retry-After"]) == body["retryAfter"]


def test_one_redis_round_trip_counts_and_survives_a_script_flush(limited, factory):
    """The limit costs one pipelined round trip (issue 16); a Redis that lost its scripts
    (restarted, SCRIPT FLUSH) still counts every request exactly once."""
    from blueprints.core.extensions import get_redis

    org = factory.org()
    uid = factory.user(org, roles=["viewer"])
    c = limited.test_client()
    key = factory.api_key(uid)
    with limited.app_context():
        redis = get_redis()
    r = c.get("/api/v1/users/me", headers={"X-API-Key": key})
    assert _rl(r)[:2] == (3, 2)
    redis.script_flush()
    r = c.get("/api/v1/users/me", headers={"X-API-Key": key})
    assert r.status_code == 200 and _rl(r)[:2] == (3, 1)
    r = c.get("/api/v1/users/me", headers={"X-API-Key": key})
    assert r.status_code == 200 and _rl(r)[:2] == (3, 0)
    assert c.get("/api/v1/users/me", headers={"X-API-Key": key}).status_code == 429
