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


@pytest.mark.parametrize("key", [False, True], ids=["token", "api key"])
def test_api_logout_with_a_token_or_key_is_a_400_saying_what_ends_them(
    client, factory, api_as, key
):
    api = api_as(factory.user(), key=key)
    body = assert_error(api.post("/api/v1/auth/logout"), 400, "invalid_request")
    assert "logout-everywhere" in body["message"] and "expiry" in body["message"]
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


def test_password_change_ends_old_sessions_and_tokens(app, client, factory, api_as):
    org = factory.org()
    uid = factory.user(org, roles=["developer"], email="changer@example.com")
    admin = api_as(factory.user(org, roles=["admin"]))
    saved = _cookie(_browser_login(app, "changer@example.com"))
    token = _token(client, "changer@example.com")
    r = admin.patch(f"/api/v1/users/{uid}", json={"password": NEW_PASSWORD})
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


# --- a token refreshed from a dashboard session dies with it -----------------------------------


def _session_token(browser) -> str:
    r = browser.post("/api/v1/auth/refresh")
    assert r.status_code == 200, r.json
    return r.json["token"]


@pytest.mark.parametrize("ending", ["logout", "api logout", "end it", "idle"])
def test_token_refreshed_from_a_session_dies_with_that_session(app, client, factory, ending):
    from blueprints.core import sessions

    uid = factory.user(email="bound@example.com")
    browser = _browser_login(app, "bound@example.com")
    other = _browser_login(app, "bound@example.com", agent="other")
    token = _session_token(browser)
    again = client.post("/api/v1/auth/refresh", headers=_bearer(token)).json["token"]
    assert client.get("/api/v1/users/me", headers=_bearer(token)).status_code == 200
    if ending == "logout":
        assert browser.post("/logout").status_code == 302
    elif ending == "api logout":
        assert browser.post("/api/v1/auth/logout").status_code == 200
    elif ending == "end it":
        sid = next(
            s["id"] for s in browser.get("/api/v1/users/me/sessions").json["data"] if s["current"]
        )
        assert other.delete(f"/api/v1/users/me/sessions/{sid}").status_code == 200
    else:  # idle: the registry forgot it, as Redis does when its idle expiry passes
        with app.app_context():
            (record,) = [r for r in sessions.for_user(uid) if r.user_agent == "browser"]
            sessions.end(record.id)
    for ended in (token, again):
        _token_refused(client, ended)
        assert_error(
            client.post("/api/v1/auth/refresh", headers=_bearer(ended)),
            401,
            "authentication_failed",
        )
    assert other.get("/api/v1/users/me").status_code == 200


def test_token_from_a_session_survives_while_the_session_lives(app, client, factory):
    factory.user(email="alive@example.com")
    browser = _browser_login(app, "alive@example.com")
    token = _session_token(browser)
    for _ in range(3):
        token = client.post("/api/v1/auth/refresh", headers=_bearer(token)).json["token"]
    assert client.get("/api/v1/users/me", headers=_bearer(token)).status_code == 200


# --- one's own password needs the current one ------------------------------------------------


@pytest.mark.parametrize("key", [False, True], ids=["token", "api key"])
def test_own_password_cannot_be_patched(client, factory, api_as, key):
    uid = factory.user(email="takeover@example.com")
    api = api_as(uid, key=key)
    body = assert_error(
        api.patch(f"/api/v1/users/{uid}", json={"password": "hijacked-password"}),
        400,
        "invalid_request",
        field="password",
    )
    assert "/users/me/password" in body["message"]
    assert _token(client, "takeover@example.com")  # the old password still works
    r = api.patch(f"/api/v1/users/{uid}", json={"name": "Still Me"})
    assert r.status_code == 200 and r.json["name"] == "Still Me"


def test_admin_may_still_set_another_users_password(client, factory, api_as):
    org = factory.org()
    admin = api_as(factory.user(org, roles=["admin"]))
    uid = factory.user(org, email="reset@example.com")
    assert admin.patch(f"/api/v1/users/{uid}", json={"password": NEW_PASSWORD}).status_code == 200
    assert _token(client, "reset@example.com", NEW_PASSWORD)


def test_admin_cannot_patch_own_password_either(factory, api_as):
    uid = factory.user(roles=["admin"])
    assert_error(
        api_as(uid).patch(f"/api/v1/users/{uid}", json={"password": NEW_PASSWORD}),
        400,
        "invalid_request",
        field="password",
    )


# --- password inputs refuse what argon2 cannot hash -------------------------------------------

LONE = "\ud800"


def test_lone_surrogate_in_login_is_a_400(client, factory):
    factory.user(email="sur@example.com")
    assert_error(
        client.post("/api/v1/auth/login", json={"email": "sur@example.com", "password": LONE}),
        400,
        "invalid_request",
        field="password",
    )
    assert_error(
        client.post(
            "/api/v1/auth/login", json={"email": "nobody@example.com", "password": "x" + LONE}
        ),
        400,
        "invalid_request",
        field="password",
    )


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"currentPassword": LONE, "newPassword": NEW_PASSWORD}, "currentPassword"),
        ({"currentPassword": PASSWORD, "newPassword": "a-new-one" + LONE}, "newPassword"),
        ({"currentPassword": PASSWORD, "newPassword": "a-new\u0000-password"}, "newPassword"),
        ({"currentPassword": PASSWORD, "newPassword": " " * 12}, "newPassword"),
        ({"currentPassword": PASSWORD, "newPassword": "\t\n  \u3000\u00a0 \r "}, "newPassword"),
        ({"currentPassword": PASSWORD, "newPassword": PASSWORD}, "newPassword"),
    ],
    ids=["surrogate current", "surrogate new", "nul", "spaces", "whitespace", "unchanged"],
)
def test_new_password_refuses_bad_values(client, factory, api_as, body, field):
    uid = factory.user(email="newpw@example.com")
    assert_error(
        api_as(uid).post("/api/v1/users/me/password", json=body),
        400,
        "invalid_request",
        field=field,
    )
    assert _token(client, "newpw@example.com")  # unchanged


@pytest.mark.parametrize(
    "password",
    ["long-enough" + LONE, "long\u0000enough", " " * 10],
    ids=["surrogate", "nul", "blank"],
)
def test_user_create_and_patch_refuse_bad_passwords(factory, api_as, password):
    org = factory.org()
    admin = api_as(factory.user(org, roles=["admin"]))
    other = factory.user(org)
    assert_error(
        admin.post(
            "/api/v1/users",
            json={"email": "new@example.com", "name": "New", "password": password},
        ),
        400,
        "invalid_request",
        field="password",
    )
    assert_error(
        admin.patch(f"/api/v1/users/{other}", json={"password": password}),
        400,
        "invalid_request",
        field="password",
    )


def test_verify_password_never_raises_on_unencodable_input(app):
    from blueprints.core.auth import burn_password_check, hash_password, verify_password

    with app.app_context():
        hashed = hash_password(PASSWORD)
        assert verify_password(hashed, LONE) is False
        assert verify_password(hashed, "a\x00b") is False
        burn_password_check(LONE)


def test_login_page_with_a_lone_surrogate_is_a_400_not_a_500(app, factory):
    """A form body cannot carry a surrogate as UTF-8; raw bytes of one (CESU) reach the form
    as replacement characters, and a wrong password is still just a wrong password."""
    factory.user(email="page-sur@example.com")
    c = app.test_client()
    r = c.post(
        "/login",
        data=b"email=page-sur%40example.com&password=%ED%A0%80",
        content_type="application/x-www-form-urlencoded",
    )
    assert r.status_code in (400, 401), r.status_code
    assert c.get("/users").status_code == 302


# --- login's next: control characters, and no phantom session -----------------------------------


@pytest.mark.parametrize(
    "next_",
    [
        "%2F%0D%0AX-Injected%3A+1",
        "%2Fusers%0AX-Injected%3A+1",
        "%2F%09users",
        "%2F%5Cevil.example.com",
        "%2F%2Fevil.example.com",
        "https%3A%2F%2Fevil.example.com%2F",
        "%2F%7F",
    ],
)
def test_login_next_with_control_characters_goes_home(app, factory, next_):
    from blueprints.core import sessions

    uid = factory.user(email="next@example.com")
    c = app.test_client()
    r = c.post(f"/login?next={next_}", data={"email": "next@example.com", "password": PASSWORD})
    assert r.status_code == 302, r.status_code
    assert r.headers["Location"] == "/"
    assert "X-Injected" not in r.headers
    with app.app_context():
        assert len(sessions.for_user(uid)) == 1  # the one session this login made, live
    assert c.get("/users").status_code == 200


def test_login_next_keeps_a_same_site_path(app, factory):
    factory.user(email="keep@example.com")
    r = app.test_client().post(
        "/login?next=%2Fusers%3Frole%3Dadmin",
        data={"email": "keep@example.com", "password": PASSWORD},
    )
    assert r.status_code == 302 and r.headers["Location"] == "/users?role=admin"


# --- the OpenAPI document: errors of the new operations -----------------------------------------


@pytest.mark.parametrize(
    ("path", "method", "codes"),
    [
        ("/api/v1/users/me/sessions", "get", {"401", "429"}),
        ("/api/v1/users/me/sessions/{session_id}", "delete", {"401", "403", "404", "429"}),
        ("/api/v1/users/me/password", "post", {"400", "401", "403", "429"}),
        ("/api/v1/auth/logout", "post", {"400", "401", "403", "429"}),
        ("/api/v1/auth/logout-everywhere", "post", {"401", "403", "429"}),
        ("/api/v1/auth/refresh", "post", {"401", "429"}),
        ("/api/v1/users/{user_id}", "patch", {"400", "401", "403", "404", "429"}),
    ],
)
def test_new_operations_document_their_errors(client, path, method, codes):
    op = client.get("/api/v1/openapi.json").json["paths"][path][method]
    assert codes <= set(op["responses"]), sorted(op["responses"])
    for code in codes:
        schema = op["responses"][code]["content"]["application/json"]["schema"]
        assert {"error", "message", "details"} <= set(schema["properties"]), (code, schema)
    if path == "/api/v1/users/me/password":
        assert "currentPassword" in op["responses"]["400"]["description"]
    if path == "/api/v1/auth/logout":
        assert "logout-everywhere" in op["description"]


# --- the sessions list's short client label ---------------------------------------------------


@pytest.mark.parametrize(
    ("agent", "label"),
    [
        (
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko)"
            " Chrome/124.0.0.0 Safari/537.36",
            "Chrome on Linux",
        ),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko)"
            " Chrome/124.0.0.0 Safari/537.36 Edg/124.0.2478.51",
            "Edge on Windows",
        ),
        (
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like"
            " Gecko) Version/17.4 Safari/605.1.15",
            "Safari on macOS",
        ),
        (
            "Mozilla/5.0 (Android 14; Mobile; rv:125.0) Gecko/125.0 Firefox/125.0",
            "Firefox on Android",
        ),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML,"
            " like Gecko) CriOS/124.0 Mobile/15E148 Safari/604.1",
            "Chrome on iOS",
        ),
        ("curl/8.5.0", "curl"),
        ("browser", "browser"),
        ("", "Unknown client"),
    ],
)
def test_sessions_carry_a_short_client_label(app, factory, agent, label):
    factory.user(email="ua@example.com")
    browser = _browser_login(app, "ua@example.com", agent=agent)
    (session,) = browser.get("/api/v1/users/me/sessions").json["data"]
    assert session["clientLabel"] == label
    assert session["userAgent"] == agent
    page = browser.get("/account").get_data(as_text=True)
    assert f">{label}</span>" in page


@pytest.mark.parametrize(
    ("new", "message"),
    [
        (" " * 12, "This field is required"),  # the form already refuses blank text
        (PASSWORD, "differ from the current"),
    ],
)
def test_account_page_refuses_the_same_new_passwords_on_the_field(app, factory, new, message):
    factory.user(email="pagerules@example.com")
    browser = _browser_login(app, "pagerules@example.com")
    r = browser.post(
        "/account/password",
        data={"current_password": PASSWORD, "new_password": new, "confirm": new},
        headers={"HX-Request": "true"},
    )
    page = r.get_data(as_text=True)
    assert r.status_code == 400 and message in page
    assert 'id="new_password-error"' in page  # shown on the new password's field
    _works(app, _cookie(browser))
