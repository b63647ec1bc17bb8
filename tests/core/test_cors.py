"""CORS headers for the API (from CORS_ORIGINS), never for pages."""

from __future__ import annotations

import pytest

from tests.conftest import make_app


@pytest.fixture(scope="module")
def restricted(database_url, redis_url, app):
    return make_app(
        database_url, redis_url, CORS_ORIGINS="https://ui.example.com, https://admin.example.com"
    )


def test_default_allows_any_origin_on_the_api(client, api_as, factory):
    r = client.get("/api/v1/health", headers={"Origin": "https://elsewhere.example"})
    assert r.headers["Access-Control-Allow-Origin"] in ("*", "https://elsewhere.example")
    r = api_as(factory.user()).get("/api/v1/users/me", headers={"Origin": "https://x.example"})
    assert r.headers["Access-Control-Allow-Origin"]
    exposed = {h.strip().lower() for h in r.headers["Access-Control-Expose-Headers"].split(",")}
    assert {"x-request-id", "x-ratelimit-remaining", "retry-after"} <= exposed


def test_errors_carry_cors_headers_too(client):
    r = client.get("/api/v1/users", headers={"Origin": "https://x.example"})
    assert r.status_code == 401 and r.headers["Access-Control-Allow-Origin"]


def test_preflight_allows_the_api_headers(client):
    r = client.options(
        "/api/v1/users",
        headers={
            "Origin": "https://ui.example.com",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "X-API-Key, Idempotency-Key, Content-Type",
        },
    )
    assert r.status_code == 200
    assert r.headers["Access-Control-Allow-Origin"]
    allowed = {h.strip().lower() for h in r.headers["Access-Control-Allow-Headers"].split(",")}
    assert {"x-api-key", "idempotency-key", "content-type"} <= allowed
    assert "POST" in r.headers["Access-Control-Allow-Methods"]


def test_preflight_needs_no_credentials_and_spends_nothing(client):
    r = client.options(
        "/api/v1/organization",
        headers={
            "Origin": "https://ui.example.com",
            "Access-Control-Request-Method": "PATCH",
            "Access-Control-Request-Headers": "Authorization",
        },
    )
    assert r.status_code == 200 and "X-RateLimit-Limit" not in r.headers


def test_configured_origins_only(restricted):
    c = restricted.test_client()
    ok = c.get("/api/v1/health", headers={"Origin": "https://admin.example.com"})
    assert ok.headers["Access-Control-Allow-Origin"] == "https://admin.example.com"
    other = c.get("/api/v1/health", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in other.headers
    pre = c.options(
        "/api/v1/users",
        headers={
            "Origin": "https://ui.example.com",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "X-API-Key, Idempotency-Key",
        },
    )
    assert pre.headers["Access-Control-Allow-Origin"] == "https://ui.example.com"


@pytest.mark.parametrize("path", ["/login", "/docs", "/static/css/sparki.css"])
def test_no_cors_on_pages(client, path):
    r = client.get(path, headers={"Origin": "https://elsewhere.example"})
    assert r.status_code == 200
    assert "Access-Control-Allow-Origin" not in r.headers
