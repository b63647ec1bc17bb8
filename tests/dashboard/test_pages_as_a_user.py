"""Issue 11 through the Flask client: caching of partials, htmx error fragments, the one
e-mail rule, the login lockout page and the favicon."""

from __future__ import annotations

import pytest

from tests.conftest import PASSWORD, make_app

HX = {"HX-Request": "true"}


def test_a_partial_is_never_cached_and_every_page_varies_on_hx_request(factory, login_as):
    org = factory.org()
    admin = login_as(factory.user(org, roles=["admin"]))
    page = admin.get("/users?role=viewer")
    partial = admin.get("/users?role=viewer", headers=HX)
    assert "HX-Request" in page.headers["Vary"] and "<aside" in page.text
    assert "HX-Request" in partial.headers["Vary"] and "<aside" not in partial.text
    assert "no-store" in partial.headers["Cache-Control"]
    # htmx re-fetching a page it has no snapshot of (after Back) gets the whole page.
    restore = admin.get("/cluster", headers={**HX, "HX-History-Restore-Request": "true"})
    assert restore.status_code == 200 and "<aside" in restore.text
    assert "htmx-config" in page.text and '"historyRestoreAsHxRequest": false' in page.text


def test_the_cluster_window_goes_into_the_page_url(factory, login_as):
    admin = login_as(factory.user(factory.org(), roles=["admin"]))
    assert "HX-Replace-Url" not in admin.get("/cluster/plot?window=6h", headers=HX).headers
    r = admin.get("/cluster/plot?window=6h", headers={**HX, "HX-Trigger": "window-select"})
    assert r.status_code == 200 and r.headers["HX-Replace-Url"] == "/cluster?window=6h"
    assert 'value="6h" selected' in admin.get("/cluster?window=6h").text


def test_an_error_answered_to_htmx_is_a_toast_not_a_page(factory, login_as):
    org = factory.org()
    viewer = login_as(factory.user(org, roles=["viewer"]))
    r = viewer.post("/webhooks/whk-nope/ping", headers=HX)
    assert r.status_code in (403, 404)
    assert "<aside" not in r.text and "<html" not in r.text and 'class="toast' in r.text
    assert r.headers["HX-Retarget"] == "#toasts" and r.headers["HX-Reswap"] == "beforeend"
    # Without htmx: the whole error page, as before.
    page = viewer.post("/webhooks/whk-nope/ping")
    assert "<aside" in page.text and "HX-Retarget" not in page.headers


@pytest.mark.parametrize("email", ["admin@sparki.local", "ops@acme.test", "me@box.localhost"])
def test_the_login_page_takes_the_addresses_the_api_takes(app, factory, email):
    factory.user(factory.org(), roles=["admin"], email=email)
    api = app.test_client().post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
    assert api.status_code == 200
    page = app.test_client().post("/login", data={"email": email, "password": PASSWORD})
    assert page.status_code == 302, page.text
    refused = app.test_client().post("/login", data={"email": "no-at-sign", "password": "x"})
    assert refused.status_code == 400 and "Not a valid email address" in refused.text


@pytest.fixture(scope="module")
def limited(database_url, redis_url, app):
    return make_app(database_url, redis_url, LOGIN_RATE_LIMIT="2/minute")


def test_the_lockout_keeps_the_login_form_with_a_countdown(limited, factory):
    factory.user(factory.org(), roles=["admin"], email="brute@example.com")
    c = limited.test_client()
    for _ in range(2):
        assert c.post("/login", data={"email": "brute@example.com", "password": "bad"}).status_code
    r = c.post("/login", data={"email": "brute@example.com", "password": PASSWORD})
    assert r.status_code == 429
    wait = int(r.headers["Retry-After"])
    assert 1 <= wait <= 60
    assert 'id="login-submit"' in r.text and 'name="email"' in r.text  # the form stays
    assert f'data-countdown="{wait}"' in r.text and "Too many login attempts" in r.text
    assert 'value="brute@example.com"' in r.text  # what the user typed is kept


def test_the_favicon_is_served(client):
    r = client.get("/favicon.ico")
    assert r.status_code == 200 and r.data[:4] == b"\x00\x00\x01\x00"


def test_polling_reads_log_at_debug_and_changes_at_info(factory, login_as, caplog):
    import logging

    caplog.set_level(logging.DEBUG, logger="sparki.access")
    page = login_as(factory.user(factory.org(), roles=["admin"]))
    page.get("/cluster", headers=HX)  # a panel's poll
    page.post("/users", data={"email": "bad"})  # a change (refused: 400)
    page.get("/nowhere")  # a failure
    levels = [(r.levelname, r.getMessage().split()[:3]) for r in caplog.records]
    assert levels == [
        ("DEBUG", ["GET", "/cluster", "200"]),
        ("INFO", ["POST", "/users", "400"]),
        ("INFO", ["GET", "/nowhere", "404"]),
    ]
