"""The users, API keys, organization and login pages (Flask test client; htmx partials)."""

from __future__ import annotations

import re

import pytest

from tests.conftest import PASSWORD

HX = {"HX-Request": "true"}


def _text(r) -> str:
    return r.get_data(as_text=True)


def _api_users(api_as, uid):
    return api_as(uid).get("/api/v1/users?limit=100").json["data"]


# --- login and logout ----------------------------------------------------------------------


def test_pages_need_a_login(client):
    for path in ("/users", "/api-keys", "/organization"):
        r = client.get(path)
        assert r.status_code == 302 and "/login" in r.headers["Location"]


def test_login_page_logs_in_and_out(client, factory):
    factory.user(email="page@example.com")
    assert client.get("/login").status_code == 200
    bad = client.post("/login", data={"email": "page@example.com", "password": "nope-nope"})
    assert bad.status_code == 401 and "Email or password is wrong" in _text(bad)
    ok = client.post(
        "/login?next=/api-keys", data={"email": "page@example.com", "password": PASSWORD}
    )
    assert ok.status_code == 302 and ok.headers["Location"].endswith("/api-keys")
    assert client.get("/users").status_code == 200
    out = client.post("/logout")
    assert out.status_code == 302
    assert client.get("/users").status_code == 302


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "javascript:x"])
def test_login_never_redirects_off_site(client, factory, target):
    factory.user(email="page@example.com")
    r = client.post(
        "/login",
        query_string={"next": target},
        data={"email": "page@example.com", "password": PASSWORD},
    )
    assert r.status_code == 302
    assert "evil" not in r.headers["Location"] and "javascript" not in r.headers["Location"]


def test_login_form_validation_is_inline(client):
    r = client.post("/login", data={"email": "not-an-email", "password": ""})
    assert r.status_code == 400
    assert "field-error" in _text(r) or "Invalid email" in _text(r)


# --- users page ----------------------------------------------------------------------------


def test_users_page_and_partial(login_as, team):
    c = login_as(team["admin"])
    page = c.get("/users")
    assert page.status_code == 200
    html = _text(page)
    assert "<html" in html and 'id="users"' in html and 'id="user-create"' in html
    partial = c.get("/users", headers=HX)
    assert "<html" not in _text(partial) and _text(partial).lstrip().startswith("<table")
    assert _text(partial).count('<tr id="user-') == 5


def test_users_page_role_filter_and_bad_query(login_as, team):
    c = login_as(team["admin"])
    r = c.get("/users?role=maintainer", headers=HX)
    assert _text(r).count('<tr id="user-') == 1 and team["maintainer"] in _text(r)
    assert c.get("/users?limit=0").status_code == 400
    assert c.get("/users?role=root").status_code == 400


def test_non_admins_see_no_admin_controls(login_as, team):
    html = _text(login_as(team["viewer"]).get("/users"))
    assert 'id="user-create"' not in html and "Edit roles" not in html and "hx-delete" not in html


def test_create_user_from_the_page(login_as, api_as, team):
    c = login_as(team["admin"])
    r = c.post(
        "/users",
        headers=HX,
        data={
            "email": "made@example.com",
            "name": "Made",
            "password": "long-enough",
            "roles": ["developer"],
        },
    )
    assert r.status_code == 200
    assert r.headers["HX-Trigger"] == "users-changed"
    assert "Created made@example.com" in _text(r)
    made = [u for u in _api_users(api_as, team["admin"]) if u["email"] == "made@example.com"]
    assert made and made[0]["roles"] == ["developer"]


def test_create_user_errors_are_inline(login_as, team):
    c = login_as(team["admin"])
    r = c.post("/users", headers=HX, data={"email": "bad", "name": "", "password": "short"})
    assert r.status_code == 400
    html = _text(r)
    assert html.count("field-error") >= 3 or html.count('aria-invalid="true"') >= 3
    assert "Pick at least one role" in html
    # A duplicate email comes back from the domain as 409, shown on the email field.
    c.post(
        "/users",
        headers=HX,
        data={
            "email": "twice@example.com",
            "name": "T",
            "password": "long-enough",
            "roles": ["viewer"],
        },
    )
    again = c.post(
        "/users",
        headers=HX,
        data={
            "email": "twice@example.com",
            "name": "T",
            "password": "long-enough",
            "roles": ["viewer"],
        },
    )
    assert again.status_code == 409 and "already exists" in _text(again)


@pytest.mark.parametrize("role", ["maintainer", "developer", "viewer"])
def test_non_admin_posting_admin_forms_is_403(login_as, api_as, team, role):
    c = login_as(team[role])
    r = c.post(
        "/users",
        headers=HX,
        data={
            "email": "sneaky@example.com",
            "name": "S",
            "password": "long-enough",
            "roles": ["admin"],
        },
    )
    assert r.status_code == 403 and "needs admin" in _text(r)
    r = c.post(f"/users/{team['target']}/roles", headers=HX, data={"roles": ["admin"]})
    assert r.status_code == 403
    r = c.delete(f"/users/{team['target']}", headers=HX)
    assert r.status_code == 403
    r = c.post(
        "/organization", headers=HX, data={"name": "Mine now", "crm": "y", "max_services": "1"}
    )
    assert r.status_code == 403
    emails = {u["email"] for u in _api_users(api_as, team["admin"])}
    assert "sneaky@example.com" not in emails
    target = api_as(team["admin"]).get(f"/api/v1/users/{team['target']}").json
    assert target["roles"] == ["viewer"]
    assert api_as(team["admin"]).get("/api/v1/organization").json["name"] != "Mine now"


def test_edit_roles_row(login_as, api_as, team):
    c = login_as(team["admin"])
    row = c.get(f"/users/{team['target']}/row?edit=1", headers=HX)
    assert row.status_code == 200 and "inline-roles" in _text(row)
    saved = c.post(
        f"/users/{team['target']}/roles", headers=HX, data={"roles": ["maintainer", "developer"]}
    )
    assert saved.status_code == 200 and "inline-roles" not in _text(saved)
    assert api_as(team["admin"]).get(f"/api/v1/users/{team['target']}").json["roles"] == [
        "maintainer",
        "developer",
    ]
    empty = c.post(f"/users/{team['target']}/roles", headers=HX, data={})
    assert empty.status_code == 400 and "Pick at least one role" in _text(empty)


def test_last_admin_demotion_is_inline_409(login_as, team):
    r = login_as(team["admin"]).post(
        f"/users/{team['admin']}/roles", headers=HX, data={"roles": ["viewer"]}
    )
    assert r.status_code == 409 and "at least one active admin" in _text(r)


def test_delete_user_from_the_page(login_as, api_as, team):
    r = login_as(team["admin"]).delete(f"/users/{team['target']}", headers=HX)
    assert r.status_code == 200 and r.headers["HX-Trigger"] == "users-changed"
    assert team["target"] not in {u["id"] for u in _api_users(api_as, team["admin"])}


# --- API keys page -------------------------------------------------------------------------


def test_api_keys_page_creates_shows_once_and_revokes(login_as, client, team):
    c = login_as(team["developer"])
    assert c.get("/api-keys").status_code == 200
    r = c.post("/api-keys", headers=HX, data={"name": "laptop"})
    assert r.status_code == 200 and r.headers["HX-Trigger"] == "keys-changed"
    assert r.headers["Cache-Control"] == "no-store"
    raw = re.search(r'id="new-key-value">(sk_[^<]+)<', _text(r)).group(1)
    assert (
        client.get("/api/v1/users/me", headers={"X-API-Key": raw}).json["id"] == team["developer"]
    )
    listing = _text(c.get("/api-keys", headers=HX))
    assert "laptop" in listing and raw not in listing and raw[:12] in listing
    key_id = re.search(r'id="key-(key-[0-9a-f]+)"', listing).group(1)
    revoked = c.post(f"/api-keys/{key_id}/revoke", headers=HX)
    assert revoked.status_code == 200 and "revoked" in _text(revoked)
    assert client.get("/api/v1/users/me", headers={"X-API-Key": raw}).status_code == 401


def test_api_key_form_error_is_inline(login_as, team):
    r = login_as(team["viewer"]).post("/api-keys", headers=HX, data={"name": ""})
    assert r.status_code == 400 and "key-form" in _text(r)


def test_everyones_keys_only_for_admins(login_as, factory, team):
    factory.api_key(team["target"])
    admin_html = _text(login_as(team["admin"]).get("/api-keys?all=1", headers=HX))
    assert "<th>Owner</th>" in admin_html and admin_html.count('<tr id="key-') == 1
    viewer_html = _text(login_as(team["viewer"]).get("/api-keys?all=1", headers=HX))
    assert "<th>Owner</th>" not in viewer_html and 'id="key-' not in viewer_html


def test_non_admin_cannot_revoke_anothers_key_from_the_page(login_as, api_as, factory, team):
    factory.api_key(team["target"])
    key_id = api_as(team["target"]).get("/api/v1/api-keys").json["data"][0]["id"]
    r = login_as(team["viewer"]).post(f"/api-keys/{key_id}/revoke", headers=HX)
    assert r.status_code == 403
    assert api_as(team["target"]).get(f"/api/v1/api-keys/{key_id}").json["status"] == "active"


# --- organization page ---------------------------------------------------------------------


def test_organization_page_saves(login_as, api_as, team):
    c = login_as(team["admin"])
    page = _text(c.get("/organization"))
    assert 'id="save-org"' in page
    r = c.post(
        "/organization",
        headers=HX,
        data={
            "name": "Renamed",
            "schedules": "y",
            "crm": "y",
            "max_services": "40",
            "active_service_limit": "10",
        },
    )
    assert r.status_code == 200 and "Settings saved" in _text(r)
    org = api_as(team["admin"]).get("/api/v1/organization").json
    assert org["name"] == "Renamed" and org["modules"] == {"schedules": True, "crm": True}
    assert org["limits"] == {"maxServices": 40, "activeServiceLimit": 10}


def test_organization_page_inline_errors(login_as, api_as, team):
    c = login_as(team["admin"])
    r = c.post("/organization", headers=HX, data={"name": "", "max_services": "-1"})
    assert r.status_code == 400
    r = c.post(
        "/organization",
        headers=HX,
        data={"name": "X", "max_services": "5", "active_service_limit": "6"},
    )
    assert r.status_code == 400 and "may not exceed" in _text(r)
    # In the page's words: the form's labels, not the API's field names.
    assert "Active service limit may not exceed Max services" in _text(r)
    assert api_as(team["admin"]).get("/api/v1/organization").json["limits"]["maxServices"] == 50


def test_organization_page_is_read_only_for_others(login_as, team):
    html = _text(login_as(team["developer"]).get("/organization"))
    assert "fieldset disabled" in html and 'id="save-org"' not in html
    assert "Only admins can change these settings" in html


def test_login_form_rate_limit_is_an_html_page(database_url, redis_url, app, factory):
    from tests.conftest import make_app

    limited = make_app(database_url, redis_url, LOGIN_RATE_LIMIT="2/minute")
    factory.user(email="page@example.com")
    c = limited.test_client()
    for _ in range(2):
        assert (
            c.post(
                "/login", data={"email": "page@example.com", "password": "wrong-one"}
            ).status_code
            == 401
        )
    r = c.post("/login", data={"email": "page@example.com", "password": PASSWORD})
    assert r.status_code == 429
    # The login form again, with the wait counted down (tests/dashboard has the details).
    assert r.content_type.startswith("text/html") and "Too many login attempts" in _text(r)
    assert 0 < int(r.headers["Retry-After"]) <= 60
