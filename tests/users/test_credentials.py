"""Credentials end on the server: logout, password, role and status changes, log out
everywhere, ending one session, and tokens refreshed from a revoked API key (issue 9, part 2).

Each cookie here is taken from a real login and replayed in a fresh client, as an attacker
holding a copy would.
"""

from __future__ import annotations

import pytest

from tests.conftest import PASSWORD
from tests.core.helpers import assert_error

NEW_PASSWORD = "a-brand-new-passphrase"


def _browser_login(app, email: str, password: str = PASSWORD, agent: str = "browser"):
    c = app.test_client()
    r = c.post("/login", data={"email": email, "password": password}, headers={"User-Agent": agent})
    assert r.status_code == 302, r.get_data(as_text=True)
    return c


def _cookie(c) -> str:
    return c.get_cookie("session").value


def _replay(app, cookie: str):
    """A fresh client carrying nothing but a copy of a saved session cookie."""
    c = app.test_client()
    c.set_cookie("session", cookie)
    return c


def _token(client, email: str, password: str = PASSWORD) -> str:
    r = client.post("/api/v1/auth/login", json={"email": email, "password": password})
    assert r.status_code == 200, r.json
    return r.json["token"]


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _refused(app, cookie: str) -> None:
    """The saved cookie opens neither a page (login instead) nor the API (401)."""
    page = _replay(app, cookie).get("/users")
    assert page.status_code == 302 and "/login" in page.headers["Location"]
    assert_error(_replay(app, cookie).get("/api/v1/users/me"), 401, "authentication_failed")


def _works(app, cookie: str) -> None:
    assert _replay(app, cookie).get("/users").status_code == 200
    assert _replay(app, cookie).get("/api/v1/users/me").status_code == 200


def _token_refused(client, token: str) -> None:
    assert_error(
        client.get("/api/v1/users/me", headers=_bearer(token)), 401, "authentication_failed"
    )


# --- logout ----------------------------------------------------------------------------------


def test_cookie_saved_before_logout_is_refused_after_it(app, factory):
    factory.user(email="saver@example.com")
    browser = _browser_login(app, "saver@example.com")
    saved = _cookie(browser)
    _works(app, saved)
    assert browser.post("/logout").status_code == 302
    _refused(app, saved)


def test_api_logout_ends_the_session(app, factory):
    factory.user(email="apiout@example.com")
    browser = _browser_login(app, "apiout@example.com")
    saved = _cookie(browser)
    r = browser.post("/api/v1/auth/logout")
    assert r.status_code == 200 and r.json["success"] is True
    _refused(app, saved)


def test_api_logout_with_a_token_says_what_ends_tokens(client, factory, api_as):
    api = api_as(factory.user())
    r = api.post("/api/v1/auth/logout")
    assert r.status_code == 200 and r.json["success"] is False
    assert "logout-everywhere" in r.json["message"]
    assert api.get("/api/v1/users/me").status_code == 200


def test_a_remember_cookie_does_not_revive_a_session(app, factory):
    from flask_login.utils import encode_cookie

    uid = factory.user(email="remember@example.com")
    with app.test_request_context():
        remember = encode_cookie(uid)
    c = app.test_client()
    c.set_cookie("remember_token", remember)
    page = c.get("/users")
    assert page.status_code == 302 and "/login" in page.headers["Location"]
    assert_error(c.get("/api/v1/users/me"), 401, "authentication_failed")


# --- password change ---------------------------------------------------------------------------


def test_password_change_ends_old_sessions_and_tokens(app, client, factory):
    uid = factory.user(roles=["developer"], email="changer@example.com")
    saved = _cookie(_browser_login(app, "changer@example.com"))
    token = _token(client, "changer@example.com")
    r = client.patch(
        f"/api/v1/users/{uid}", json={"password": NEW_PASSWORD}, headers=_bearer(token)
    )
    assert r.status_code == 200
    _refused(app, saved)
    _token_refused(client, token)
    assert_error(
        client.post("/api/v1/auth/refresh", headers=_bearer(token)), 401, "authentication_failed"
    )
    # The new password opens a new session and a new token.
    _works(app, _cookie(_browser_login(app, "changer@example.com", NEW_PASSWORD)))
    fresh = _token(client, "changer@example.com", NEW_PASSWORD)
    assert client.get("/api/v1/users/me", headers=_bearer(fresh)).status_code == 200


def test_own_password_change_through_the_api_with_a_token(app, client, factory):
    factory.user(email="me-pw@example.com")
    other = _cookie(_browser_login(app, "me-pw@example.com"))
    token = _token(client, "me-pw@example.com")
    r = client.post(
        "/api/v1/users/me/password",
        json={"currentPassword": PASSWORD, "newPassword": NEW_PASSWORD},
        headers=_bearer(token),
    )
    assert r.status_code == 200, r.json
    assert r.json["token"] and r.json["expiresIn"] > 0
    _token_refused(client, token)
    _refused(app, other)
    assert client.get("/api/v1/users/me", headers=_bearer(r.json["token"])).status_code == 200


def test_own_password_change_from_a_session_keeps_that_session_only(app, factory):
    factory.user(email="keep@example.com")
    keeper = _browser_login(app, "keep@example.com", agent="keeper")
    other = _cookie(_browser_login(app, "keep@example.com", agent="other"))
    r = keeper.post(
        "/api/v1/users/me/password",
        json={"currentPassword": PASSWORD, "newPassword": NEW_PASSWORD},
    )
    assert r.status_code == 200 and r.json["token"] is None
    _works(app, _cookie(keeper))
    _refused(app, other)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"currentPassword": "wrong-password", "newPassword": NEW_PASSWORD}, "currentPassword"),
        ({"currentPassword": PASSWORD, "newPassword": "short"}, "newPassword"),
        ({"newPassword": NEW_PASSWORD}, "currentPassword"),
    ],
)
def test_own_password_change_validates(client, factory, api_as, body, field):
    uid = factory.user(email="val@example.com")
    api = api_as(uid)
    body_out = assert_error(
        api.post("/api/v1/users/me/password", json=body), 400, "invalid_request"
    )
    assert field in str(body_out["details"])
    assert (
        client.post(
            "/api/v1/auth/login", json={"email": "val@example.com", "password": PASSWORD}
        ).status_code
        == 200
    )


# --- role change, deactivation ----------------------------------------------------------------


@pytest.mark.parametrize(
    "changes",
    [
        [{"roles": ["viewer"]}],
        [{"roles": ["developer", "maintainer"]}],
        [{"active": False}, {"active": True}],
    ],
    ids=["demoted", "promoted", "deactivated-and-back"],
)
def test_role_and_status_changes_end_sessions_and_tokens(app, client, factory, api_as, changes):
    org = factory.org()
    admin = factory.user(org, roles=["admin"])
    uid = factory.user(org, roles=["developer"], email="moved@example.com")
    saved = _cookie(_browser_login(app, "moved@example.com"))
    token = _token(client, "moved@example.com")
    for change in changes:
        assert api_as(admin).patch(f"/api/v1/users/{uid}", json=change).status_code == 200
    _refused(app, saved)
    _token_refused(client, token)


def test_saving_the_same_roles_ends_nothing(app, client, factory, api_as):
    org = factory.org()
    admin = factory.user(org, roles=["admin"])
    uid = factory.user(org, roles=["developer"], email="same@example.com")
    saved = _cookie(_browser_login(app, "same@example.com"))
    r = api_as(admin).patch(f"/api/v1/users/{uid}", json={"roles": ["developer"], "name": "N"})
    assert r.status_code == 200
    _works(app, saved)


# --- tokens refreshed from API keys -----------------------------------------------------------


def test_token_refreshed_from_an_api_key_dies_with_the_key(client, factory, api_as):
    uid = factory.user(roles=["admin"])
    raw = factory.api_key(uid)
    r = client.post("/api/v1/auth/refresh", headers={"X-API-Key": raw})
    assert r.status_code == 200
    token = r.json["token"]
    again = client.post("/api/v1/auth/refresh", headers=_bearer(token))
    assert again.status_code == 200
    chained = again.json["token"]
    key_id = client.get("/api/v1/api-keys", headers={"X-API-Key": raw}).json["data"][0]["id"]
    assert client.delete(f"/api/v1/api-keys/{key_id}", headers=_bearer(token)).status_code == 200
    for t in (token, chained):
        _token_refused(client, t)
        assert_error(
            client.post("/api/v1/api-keys", json={"name": "escape"}, headers=_bearer(t)),
            401,
            "authentication_failed",
        )
        assert_error(
            client.post("/api/v1/auth/refresh", headers=_bearer(t)), 401, "authentication_failed"
        )
    # Only the key's tokens died: the user's own login still works.
    assert api_as(uid).get("/api/v1/users/me").status_code == 200


def test_token_refreshed_from_an_api_key_dies_with_the_users_epoch(client, factory):
    uid = factory.user(roles=["admin"])
    raw = factory.api_key(uid)
    token = client.post("/api/v1/auth/refresh", headers={"X-API-Key": raw}).json["token"]
    r = client.post("/api/v1/auth/logout-everywhere", headers={"X-API-Key": raw})
    assert r.status_code == 200
    _token_refused(client, token)
    # The key itself is ended by revoking it, not by the epoch.
    assert client.get("/api/v1/users/me", headers={"X-API-Key": raw}).status_code == 200


def test_tokens_without_an_epoch_are_refused(app, client, factory):
    import time

    import jwt

    uid = factory.user()
    now = int(time.time())
    with app.app_context():
        from blueprints.core.extensions import db
        from blueprints.users.models import User

        org_id = db.session.get(User, uid).org_id
    old = jwt.encode(
        {"sub": uid, "org": org_id, "iat": now, "exp": now + 600, "typ": "access"},
        app.config["SECRET_KEY"],
        algorithm="HS256",
    )
    _token_refused(client, old)


# --- sessions: list, end one, log out everywhere -----------------------------------------------


def test_list_and_end_one_session(app, factory):
    factory.user(email="two@example.com")
    mine = _browser_login(app, "two@example.com", agent="Laptop")
    other = _browser_login(app, "two@example.com", agent="Phone")
    other_cookie = _cookie(other)
    listed = mine.get("/api/v1/users/me/sessions")
    assert listed.status_code == 200
    rows = listed.json["data"]
    assert {r["userAgent"] for r in rows} == {"Laptop", "Phone"}
    assert [r["userAgent"] for r in rows if r["current"]] == ["Laptop"]
    assert all(r["id"].startswith("sess_") and r["createdAt"] and r["lastSeenAt"] for r in rows)
    assert all(r["id"] not in other_cookie for r in rows)  # ids never reveal the cookie secret
    phone = next(r["id"] for r in rows if r["userAgent"] == "Phone")
    assert mine.delete(f"/api/v1/users/me/sessions/{phone}").status_code == 200
    _refused(app, other_cookie)
    _works(app, _cookie(mine))
    assert_error(mine.delete(f"/api/v1/users/me/sessions/{phone}"), 404, "not_found")


def test_someone_elses_session_cannot_be_ended(app, factory, api_as):
    org = factory.org()
    factory.user(org, email="victim@example.com")
    attacker = factory.user(org, roles=["admin"])
    victim = _browser_login(app, "victim@example.com")
    sid = victim.get("/api/v1/users/me/sessions").json["data"][0]["id"]
    assert api_as(attacker).get("/api/v1/users/me/sessions").json["data"] == []
    assert_error(api_as(attacker).delete(f"/api/v1/users/me/sessions/{sid}"), 404, "not_found")
    _works(app, _cookie(victim))


def test_log_out_everywhere_ends_every_session_and_token(app, client, factory):
    uid = factory.user(email="every@example.com")
    first = _cookie(_browser_login(app, "every@example.com"))
    second = _browser_login(app, "every@example.com")
    token = _token(client, "every@example.com")
    raw = factory.api_key(uid)
    r = second.post("/api/v1/auth/logout-everywhere")
    assert r.status_code == 200 and r.json["sessionsEnded"] == 2
    _refused(app, first)
    _refused(app, _cookie(second))
    _token_refused(client, token)
    assert client.get("/api/v1/users/me", headers={"X-API-Key": raw}).status_code == 200


def test_sessions_api_is_in_the_openapi_document(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    for path in (
        "/api/v1/users/me/sessions",
        "/api/v1/users/me/sessions/{session_id}",
        "/api/v1/users/me/password",
        "/api/v1/auth/logout",
        "/api/v1/auth/logout-everywhere",
    ):
        assert path in paths, path
    assert "API key" in paths["/api/v1/auth/refresh"]["post"]["description"]


# --- the account page ----------------------------------------------------------------------


def test_account_page_lists_sessions_and_is_in_the_nav(app, factory):
    factory.user(roles=["viewer"], email="acct@example.com")
    browser = _browser_login(app, "acct@example.com", agent="AcctBrowser")
    page = browser.get("/account")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'href="/account"' in html and "AcctBrowser" in html and "this session" in html


def test_account_page_password_change_keeps_this_session(app, factory):
    factory.user(roles=["viewer"], email="pwpage@example.com")
    browser = _browser_login(app, "pwpage@example.com")
    other = _cookie(_browser_login(app, "pwpage@example.com"))
    bad = browser.post(
        "/account/password",
        data={
            "current_password": "wrong-one!",
            "new_password": NEW_PASSWORD,
            "confirm": NEW_PASSWORD,
        },
        headers={"HX-Request": "true"},
    )
    assert bad.status_code == 400 and "current password is wrong" in bad.get_data(as_text=True)
    ok = browser.post(
        "/account/password",
        data={"current_password": PASSWORD, "new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
        headers={"HX-Request": "true"},
    )
    assert ok.status_code == 200 and "Password changed" in ok.get_data(as_text=True)
    _works(app, _cookie(browser))
    _refused(app, other)


def test_account_page_logout_everywhere(app, factory):
    factory.user(email="pageall@example.com")
    browser = _browser_login(app, "pageall@example.com")
    other = _cookie(_browser_login(app, "pageall@example.com"))
    saved = _cookie(browser)
    r = browser.post("/account/logout-everywhere")
    assert r.status_code == 302 and "/login" in r.headers["Location"]
    _refused(app, saved)
    _refused(app, other)
