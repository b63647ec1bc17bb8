"""A proxied service never runs with the dashboard's origin and cookies.

- The dashboard-origin proxy (`/api/v1/services/<id>/proxy/`) sandboxes every answer and takes
  an API key or a bearer token, never the dashboard's session.
- Each service has a host of its own (`<name>-<short id>.localhost:<SPARKI_PROXY_PORT>`);
  private services there take a short-lived access cookie minted by the dashboard.
- Writes through a private service's proxy need a role that may deploy in its project.
"""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlencode, urlsplit

import itsdangerous.timed
import pytest

from blueprints.services.proxy import SANDBOX_CSP

PROXY_PORT = 8884


def _service(api, project, name="web", auth="private", **extra):
    body = {
        "projectId": project,
        "name": name,
        "type": "web",
        "image": "app:v1",
        "command": "sleep 60",
        "replicas": 1,
        "urlSettings": {"auth": auth},
        **extra,
    }
    resp = api.post("/api/v1/services", json=body)
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()


def _host(app, sid):
    from blueprints.core.extensions import db
    from blueprints.services.models import Service
    from blueprints.services.proxy_site import service_host

    with app.app_context():
        host = service_host(db.session.get(Service, sid), app.config)
        db.session.remove()
    return host


def _open(app, login_as, user_id, sid, next_path="/"):
    """Follow the dashboard's Open link by hand; returns (client, the service host's answer)."""
    dashboard = login_as(user_id)
    resp = dashboard.get(f"/services/{sid}/open?{urlencode({'next': next_path})}")
    assert resp.status_code == 302, resp.data
    target = urlsplit(resp.headers["Location"])
    assert target.netloc == _host(app, sid) and target.path == "/.sparki/auth"
    site = app.test_client()
    answer = site.get(f"{target.path}?{target.query}", base_url=f"http://{target.netloc}")
    return site, answer, target


# --- the dashboard-origin proxy -------------------------------------------------------------------


def test_every_answer_of_the_dashboard_proxy_is_sandboxed(client, api_as, setup):
    api = api_as(setup.maintainer)
    private = _service(api, setup.project, name="priv")
    public = _service(api, setup.project, name="pub", auth="public")
    answers = [
        client.get(f"/api/v1/services/{private['id']}/proxy/"),  # 401
        api.get(f"/api/v1/services/{private['id']}/proxy/x"),  # 503, nothing runs
        client.get(f"/api/v1/services/{public['id']}/proxy"),  # 503
        client.get("/api/v1/services/svc-unknown/proxy/"),  # 401
    ]
    for resp in answers:
        csp = resp.headers.getlist("Content-Security-Policy")
        assert SANDBOX_CSP in csp, (resp.status_code, csp)
        assert "sandbox" in SANDBOX_CSP and "allow-same-origin" not in SANDBOX_CSP


def test_the_dashboard_proxy_does_not_accept_the_session_cookie(login_as, api_as, setup):
    api = api_as(setup.maintainer)
    private = _service(api, setup.project, name="priv")
    browser = login_as(setup.admin)
    for method in ("get", "post", "delete"):
        resp = getattr(browser, method)(f"/api/v1/services/{private['id']}/proxy/")
        assert resp.status_code == 401, (method, resp.status_code)
        assert resp.get_json()["error"] == "authentication_failed"
        assert "session" in resp.get_json()["message"]


def test_viewers_may_not_write_through_the_dashboard_proxy(api_as, setup):
    api = api_as(setup.maintainer)
    private = _service(api, setup.project, name="priv")
    for user in (setup.viewer, setup.outsider_dev):
        client = api_as(user)
        for method in ("post", "put", "patch", "delete"):
            resp = getattr(client, method)(f"/api/v1/services/{private['id']}/proxy/x")
            assert resp.status_code == 403, (method, resp.get_json())
        assert client.get(f"/api/v1/services/{private['id']}/proxy/").status_code == 503
    # A member developer may deploy, so may write (nothing runs yet: 503, not 403).
    member = api_as(setup.developer)
    assert member.post(f"/api/v1/services/{private['id']}/proxy/x").status_code == 503


# --- each service's own origin --------------------------------------------------------------------


def test_service_hosts_are_served_by_the_proxy_never_by_the_dashboard(
    app, client, api_as, login_as, setup
):
    api = api_as(setup.maintainer)
    private = _service(api, setup.project, name="shop")
    host = _host(app, private["id"])
    short = private["id"].split("-", 1)[1][:10]
    assert host == f"shop-{short}.localhost:{PROXY_PORT}"
    # The dashboard's pages and API are not on a service host, even with a dashboard session.
    browser = login_as(setup.admin)
    for path in ("/login", "/", "/api/v1/api-keys", "/services"):
        resp = browser.get(path, base_url=f"http://{host}")
        assert resp.status_code == 401 and b"open it from the Sparki dashboard" in resp.data
    assert browser.post("/api/v1/api-keys", base_url=f"http://{host}").status_code == 401
    # Unknown hosts under the proxy domain answer 404, not the dashboard.
    for other in (f"nothing-0123456789.localhost:{PROXY_PORT}", "a.b.localhost"):
        resp = client.get("/login", base_url=f"http://{other}")
        assert resp.status_code == 404 and b"No service answers" in resp.data
    # The proxy port does not serve the dashboard's host; the dashboard port does.
    assert client.get("/login", base_url=f"http://localhost:{PROXY_PORT}").status_code == 404
    assert client.get("/login", base_url="http://localhost:8883").status_code == 200
    assert client.get("/login").status_code == 200


def test_the_access_cookie_flow_and_its_refusals(app, api_as, login_as, setup):
    api = api_as(setup.maintainer)
    shop = _service(api, setup.project, name="shop")
    blog = _service(api, setup.project, name="blog")
    shop_host, blog_host = _host(app, shop["id"]), _host(app, blog["id"])

    site, answer, target = _open(app, login_as, setup.viewer, shop["id"], "/cart?x=1")
    assert answer.status_code == 302 and answer.headers["Location"] == "/cart?x=1"
    cookie = answer.headers["Set-Cookie"]
    assert cookie.startswith("sparki_access=")
    for attribute in ("HttpOnly", "SameSite=Lax", "Path=/", "Max-Age=3600"):
        assert attribute in cookie
    assert "Domain" not in cookie  # host-only
    value = cookie.split(";", 1)[0].split("=", 1)[1]
    # Signed in: the request reaches the forwarder (nothing runs: 503, not 401).
    assert site.get("/cart", base_url=f"http://{shop_host}").status_code == 503
    # A viewer reads but does not write; writes are refused before they reach the replica.
    assert site.post("/cart", base_url=f"http://{shop_host}").status_code == 403
    assert site.delete("/cart", base_url=f"http://{shop_host}").status_code == 403

    # The token is single-use.
    again = app.test_client().get(
        f"{target.path}?{target.query}", base_url=f"http://{target.netloc}"
    )
    assert again.status_code == 401 and b"already used" in again.data
    # A token for the shop does not sign in on the blog's host.
    token = parse_qs(_open(app, login_as, setup.viewer, shop["id"])[2].query)["token"][0]
    other = app.test_client().get(f"/.sparki/auth?token={token}", base_url=f"http://{blog_host}")
    assert other.status_code == 401
    # The shop's cookie is refused on the blog's host; a forged cookie on the shop's.
    bare = app.test_client(use_cookies=False)
    stolen = bare.get(
        "/", base_url=f"http://{blog_host}", headers={"Cookie": f"sparki_access={value}"}
    )
    assert stolen.status_code == 401
    forged = bare.get(
        "/", base_url=f"http://{shop_host}", headers={"Cookie": f"sparki_access={value}x"}
    )
    assert forged.status_code == 401
    assert bare.get("/", base_url=f"http://{shop_host}").status_code == 401
    # A forged token, and an expired one.
    forged_token = app.test_client().get(
        f"/.sparki/auth?token={token}x", base_url=f"http://{shop_host}"
    )
    assert forged_token.status_code == 401 and b"not valid" in forged_token.data
    from blueprints.core.extensions import db
    from blueprints.services.models import Service
    from blueprints.services.proxy_site import mint_access_token
    from blueprints.users.models import User

    with app.test_request_context():
        stale = time.time() - 120
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(itsdangerous.timed.time, "time", lambda: stale)
            old = mint_access_token(
                db.session.get(Service, shop["id"]), db.session.get(User, setup.viewer)
            )
        db.session.remove()
    expired = app.test_client().get(f"/.sparki/auth?token={old}", base_url=f"http://{shop_host}")
    assert expired.status_code == 401 and b"expired" in expired.data


def test_the_access_cookie_and_an_unused_link_end_with_the_users_credentials(
    app, api_as, login_as, setup
):
    """Log out everywhere (or a password, role or status change) ends service sign-ins too."""
    shop = _service(api_as(setup.maintainer), setup.project, name="shop")
    shop_host = _host(app, shop["id"])
    site, answer, _ = _open(app, login_as, setup.viewer, shop["id"])
    assert answer.status_code == 302
    assert site.get("/", base_url=f"http://{shop_host}").status_code == 503  # signed in
    unused = _open(app, login_as, setup.viewer, shop["id"])[2]
    assert api_as(setup.viewer).post("/api/v1/auth/logout-everywhere").status_code == 200
    assert site.get("/", base_url=f"http://{shop_host}").status_code == 401
    late = app.test_client().get(f"{unused.path}?{unused.query}", base_url=f"http://{shop_host}")
    assert late.status_code == 401


def test_open_redirects_only_to_the_services_own_host(app, api_as, login_as, setup):
    api = api_as(setup.maintainer)
    shop = _service(api, setup.project, name="shop")
    public = _service(api, setup.project, name="docs", auth="public")
    for evil in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        _, answer, _ = _open(app, login_as, setup.viewer, shop["id"], evil)
        assert answer.status_code == 302 and answer.headers["Location"] == "/"
    # Public services need no sign-in: Open goes straight to the host, anyone is answered.
    resp = login_as(setup.viewer).get(f"/services/{public['id']}/open?next=/a")
    assert resp.headers["Location"] == f"http://{_host(app, public['id'])}/a"
    anyone = app.test_client().post("/a", base_url=f"http://{_host(app, public['id'])}")
    assert anyone.status_code == 503  # reaches the forwarder; nothing runs
    # Another organization's service is not found, not opened.
    assert login_as(setup.stranger).get(f"/services/{shop['id']}/open").status_code == 404
    assert app.test_client().get(f"/services/{shop['id']}/open").status_code == 302  # login


# --- with a real replica --------------------------------------------------------------------------


@pytest.mark.slow
def test_real_replica_through_both_ways(app, client, api_as, login_as, setup, agent, worker):
    from tests.services.test_integration import ECHO, _deployed

    api = api_as(setup.maintainer)
    svc = _deployed(api, setup.project, name="echo", command=ECHO, healthCheckPath="/health")
    sid, host = svc["id"], _host(app, svc["id"])

    # Dashboard origin: sandboxed answers; viewers read only; the session is not accepted.
    viewer = api_as(setup.viewer)
    resp = viewer.get(f"/api/v1/services/{sid}/proxy/x")
    assert resp.status_code == 200 and resp.get_json()["method"] == "GET"
    assert SANDBOX_CSP in resp.headers.getlist("Content-Security-Policy")
    for method in ("post", "delete"):
        assert getattr(viewer, method)(f"/api/v1/services/{sid}/proxy/x").status_code == 403
    assert api.post(f"/api/v1/services/{sid}/proxy/x").status_code == 201
    assert login_as(setup.maintainer).get(f"/api/v1/services/{sid}/proxy/").status_code == 401

    # The service's own origin: Open -> token -> cookie -> 200, no Sparki cookie forwarded.
    site, answer, _ = _open(app, login_as, setup.viewer, sid, "/hello?q=1")
    domain = host.split(":")[0]
    site.set_cookie("theme", "dark", domain=domain)
    site.set_cookie("session", "dashboard-session", domain=domain)
    resp = site.get(answer.headers["Location"], base_url=f"http://{host}")
    assert resp.status_code == 200, resp.data
    seen = resp.get_json()
    assert seen["path"] == "/hello?q=1" and seen["headers"]["X-Forwarded-Prefix"] == ""
    assert seen["headers"]["Cookie"] == "theme=dark"
    assert "Content-Security-Policy" not in resp.headers  # its own origin: not sandboxed
    assert site.post("/x", base_url=f"http://{host}").status_code == 403
    writer, answer, _ = _open(app, login_as, setup.developer, sid, "/")
    resp = writer.post("/orders", base_url=f"http://{host}", data=b"{}")
    assert resp.status_code == 201 and resp.get_json()["method"] == "POST"
