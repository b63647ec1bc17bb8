"""The error envelope for every kind of failure, and request ids on every response."""

from __future__ import annotations

import pytest

from tests.conftest import make_app
from tests.core.helpers import assert_error


@pytest.fixture
def admin_api(api_as, admin):
    return api_as(admin)


def test_unknown_api_route_is_404_envelope(client):
    body = assert_error(client.get("/api/v1/no-such-thing"), 404, "not_found")
    assert "/api/v1/no-such-thing" in body["message"]


def test_unknown_api_route_is_404_even_authenticated(admin_api):
    assert_error(admin_api.post("/api/v1/nope", json={}), 404, "not_found")


def test_unknown_page_is_html_404(client):
    r = client.get("/no-such-page")
    assert r.status_code == 404
    assert r.content_type.startswith("text/html")


def test_method_not_allowed_is_405_with_allow(admin_api):
    r = admin_api.put("/api/v1/users/me", json={})
    body = assert_error(r, 405, "invalid_request")
    assert "PUT" in body["message"]
    allowed = {m.strip() for m in r.headers["Allow"].split(",")}
    assert "GET" in allowed and "PUT" not in allowed


def test_405_on_open_route(client):
    r = client.post("/api/v1/health")
    assert_error(r, 405, "invalid_request")
    assert "GET" in r.headers["Allow"]


@pytest.mark.parametrize("body", ['{"email": ', "{'single': 'quotes'}", "not json", "[1,2"])
def test_malformed_json_is_400_with_a_clear_message(admin_api, body):
    r = admin_api.post("/api/v1/users", data=body, headers={"Content-Type": "application/json"})
    out = assert_error(r, 400, "invalid_request")
    assert "not valid JSON" in out["message"]


def test_malformed_json_on_patch(admin_api, admin):
    r = admin_api.patch(
        f"/api/v1/users/{admin}", data="{", headers={"Content-Type": "application/json"}
    )
    assert "not valid JSON" in assert_error(r, 400, "invalid_request")["message"]


def test_non_object_json_body_is_400(admin_api):
    r = admin_api.post("/api/v1/users", json=[1, 2])
    assert_error(r, 400, "invalid_request")


def test_unknown_field_is_400_naming_it(admin_api):
    r = admin_api.post(
        "/api/v1/users",
        json={"email": "a@example.com", "name": "A", "password": "long-enough", "isRoot": True},
    )
    body = assert_error(r, 400, "invalid_request", field="isRoot")
    assert body["details"]["reason"]
    assert "isRoot" in body["message"]


def test_snake_case_field_is_unknown(admin_api):
    r = admin_api.post("/api/v1/api-keys", json={"name": "k", "user_id": "user-x"})
    assert_error(r, 400, "invalid_request", field="user_id")


@pytest.mark.parametrize(
    "payload,field",
    [
        ({"email": 5, "name": "A", "password": "long-enough"}, "email"),
        ({"email": "not-an-email", "name": "A", "password": "long-enough"}, "email"),
        ({"email": "a@example.com", "name": ["A"], "password": "long-enough"}, "name"),
        (
            {"email": "a@example.com", "name": "A", "password": "long-enough", "roles": "admin"},
            "roles",
        ),
        (
            {"email": "a@example.com", "name": "A", "password": "long-enough", "roles": ["root"]},
            "roles.0",
        ),
        ({"email": "a@example.com", "name": "A", "password": "short"}, "password"),
    ],
)
def test_wrong_types_and_values_are_400_naming_the_field(admin_api, payload, field):
    body = assert_error(
        admin_api.post("/api/v1/users", json=payload), 400, "invalid_request", field=field
    )
    assert body["details"]["reason"]


@pytest.mark.parametrize("missing", ["email", "name", "password"])
def test_missing_field_is_400_naming_it(admin_api, missing):
    payload = {"email": "a@example.com", "name": "A", "password": "long-enough"}
    del payload[missing]
    body = assert_error(
        admin_api.post("/api/v1/users", json=payload), 400, "invalid_request", field=missing
    )
    assert "required" in body["details"]["reason"].lower()


def test_empty_body_on_post_is_400(admin_api):
    r = admin_api.post("/api/v1/users")
    assert_error(r, 400, "invalid_request")


def test_duplicate_email_is_409(admin_api):
    payload = {"email": "dup@example.com", "name": "A", "password": "long-enough"}
    assert admin_api.post("/api/v1/users", json=payload).status_code == 201
    again = {**payload, "email": "DUP@example.com"}
    assert_error(admin_api.post("/api/v1/users", json=again), 409, "conflict", field="email")


def test_duplicate_email_on_patch_is_409(admin_api, admin):
    payload = {"email": "taken@example.com", "name": "A", "password": "long-enough"}
    assert admin_api.post("/api/v1/users", json=payload).status_code == 201
    assert_error(
        admin_api.patch(f"/api/v1/users/{admin}", json={"email": "taken@example.com"}),
        409,
        "conflict",
        field="email",
    )


@pytest.mark.parametrize(
    "query,field",
    [
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("limit=-1", "limit"),
        ("limit=abc", "limit"),
        ("page=0", "page"),
        ("page=abc", "page"),
        ("page=1.5", "page"),
        ("page=-3", "page"),
        ("cursor=garbage", "cursor"),
        ("cursor=%%%", "cursor"),
        ("role=root", "role"),
    ],
)
def test_bad_pagination_values_are_400(admin_api, query, field):
    body = assert_error(
        admin_api.get(f"/api/v1/users?{query}"), 400, "invalid_request", field=field
    )
    assert body["details"]["reason"]


@pytest.mark.parametrize(
    "cursor",
    [
        "WyJub3QtYS1kYXRlIiwgIngiXQ",  # ["not-a-date", "x"]
        "WzEsIDIsIDNd",  # [1, 2, 3]
        "bnVsbA",  # null
        "eyJhIjogMX0",  # {"a": 1}
    ],
)
def test_well_encoded_but_wrong_cursor_is_400(admin_api, cursor):
    assert_error(
        admin_api.get(f"/api/v1/users?cursor={cursor}"), 400, "invalid_request", field="cursor"
    )


def test_bad_pagination_on_keys_list(admin_api):
    assert_error(
        admin_api.get("/api/v1/api-keys?limit=1000"), 400, "invalid_request", field="limit"
    )
    assert_error(admin_api.get("/api/v1/api-keys?all=maybe"), 400, "invalid_request", field="all")


@pytest.fixture(scope="module")
def boom_app(database_url, redis_url, app):
    """A separate app with a route that raises, added before its first request."""
    a = make_app(database_url, redis_url, PROPAGATE_EXCEPTIONS=False, TESTING=False)

    @a.get("/api/v1/boom")
    def boom():
        raise RuntimeError("secret internals: password=hunter2")

    @a.get("/boom-page")
    def boom_page():
        raise KeyError("page internals")

    @a.post("/api/v1/boom-locked")
    def boom_locked():
        import sqlite3

        from sqlalchemy.exc import OperationalError

        raise OperationalError("UPDATE x", {}, sqlite3.OperationalError("database is locked"))

    return a


def test_uncaught_exception_is_500_without_traceback(boom_app, caplog):
    with caplog.at_level("ERROR", logger="sparki.errors"):
        r = boom_app.test_client().get("/api/v1/boom", headers={"X-Request-Id": "trace-me-1"})
    body = assert_error(r, 500, "server_error")
    text = r.get_data(as_text=True)
    assert "Traceback" not in text and "hunter2" not in text and "RuntimeError" not in text
    assert body["requestId"] == "trace-me-1"
    logged = [rec for rec in caplog.records if "/api/v1/boom" in rec.getMessage()]
    assert logged and logged[0].exc_info  # the traceback goes to the log, not the client
    assert getattr(logged[0], "request_id", None) == "trace-me-1"  # logs carry the request id


def test_uncaught_exception_on_a_page_is_html_500(boom_app):
    r = boom_app.test_client().get("/boom-page")
    assert r.status_code == 500
    assert r.content_type.startswith("text/html")
    assert "page internals" not in r.get_data(as_text=True)
    assert r.headers["X-Request-Id"].startswith("req-")


# --- request ids ---------------------------------------------------------------------------


def test_request_id_is_generated(client):
    r = client.get("/api/v1/health")
    rid = r.headers["X-Request-Id"]
    assert rid.startswith("req-") and len(rid) > 8
    assert client.get("/api/v1/health").headers["X-Request-Id"] != rid


def test_sane_request_id_is_echoed(client):
    r = client.get("/api/v1/health", headers={"X-Request-Id": "abc-123_x.y:z"})
    assert r.headers["X-Request-Id"] == "abc-123_x.y:z"


@pytest.mark.parametrize("given", ["a" * 129, "has space", "semi;colon", "<script>", "é"])
def test_insane_request_id_is_replaced(client, given):
    r = client.get("/api/v1/health", headers={"X-Request-Id": given})
    assert r.headers["X-Request-Id"].startswith("req-")
    assert r.headers["X-Request-Id"] != given


def test_request_id_with_newline_is_replaced(app):
    # The test client refuses header values with newlines, so call the WSGI app directly.
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": "/api/v1/health",
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "80",
        "wsgi.url_scheme": "http",
        "HTTP_X_REQUEST_ID": "abc\ninjected: 1",
    }
    from werkzeug.test import EnvironBuilder, run_wsgi_app

    builder = EnvironBuilder(environ_base=environ, path="/api/v1/health")
    env = builder.get_environ()
    env["HTTP_X_REQUEST_ID"] = "abc\ninjected: 1"
    _, status, headers = run_wsgi_app(app, env)
    rid = dict(headers)["X-Request-Id"]
    assert rid.startswith("req-") and "\n" not in rid


def test_request_id_on_errors_and_pages(client, admin_api):
    r = client.get("/api/v1/users", headers={"X-Request-Id": "mine-401"})
    assert r.headers["X-Request-Id"] == "mine-401" and r.json["requestId"] == "mine-401"
    r = admin_api.get("/api/v1/users?limit=0", headers={"X-Request-Id": "mine-400"})
    assert r.json["requestId"] == "mine-400"
    r = client.get("/api/v1/missing")
    assert r.json["requestId"] == r.headers["X-Request-Id"]
    assert client.get("/login").headers["X-Request-Id"].startswith("req-")


def test_a_locked_sqlite_database_is_503_with_retry_after(boom_app):
    """Reviewer's finding: eight concurrent refunds on the default SQLite setup answered 500
    "database is locked". Load is not a bug: 503 in the envelope, Retry-After, nothing kept."""
    r = boom_app.test_client().post("/api/v1/boom-locked")
    body = assert_error(r, 503, "service_unavailable")
    assert r.headers["Retry-After"] == "1"
    assert "locked" not in body["message"] and "UPDATE" not in r.get_data(as_text=True)
