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


# --- a reviewer's findings on the service origin ------------------------------------------------


def _signed_in(app, login_as, user_id, sid):
    site, answer, _ = _open(app, login_as, user_id, sid)
    assert answer.status_code == 302
    return site


def test_cross_origin_writes_with_the_access_cookie_are_refused(
    app, api_as, login_as, setup, monkeypatch
):
    """With a domain of its own all services are one site, so SameSite=Lax lets service A's
    page make the browser post to private service B with B's cookie: the service host checks
    Origin (or, without it, Referer) on every write the access cookie authenticates."""
    monkeypatch.setitem(app.config, "SPARKI_PROXY_DOMAIN", "apps.example.com")
    api = api_as(setup.maintainer)
    echoa = _service(api, setup.project, name="echoa", auth="public")
    echob = _service(api, setup.project, name="echob")
    host_a, host_b = _host(app, echoa["id"]), _host(app, echob["id"])
    assert host_b.endswith(".apps.example.com")
    site = _signed_in(app, login_as, setup.developer, echob["id"])  # may deploy: may write

    def send(method, **headers):
        return site.open("/x", method=method, base_url=f"http://{host_b}", headers=headers)

    cross = [
        {"Origin": f"http://{host_a}:8953"},
        {"Origin": f"http://{host_a}"},
        {"Origin": "null"},
        {"Origin": ""},
        {"Origin": f"https://{host_b}"},  # another scheme is another origin
        {"Origin": f"http://{host_b}:8953"},  # another port too
        {"Referer": f"http://{host_a}/page"},
        {"Origin": f"http://{host_a}", "Referer": f"http://{host_b}/"},  # Origin decides
    ]
    for headers in cross:
        for method in ("POST", "PUT", "PATCH", "DELETE"):
            resp = send(method, **headers)
            assert resp.status_code == 403, (method, headers, resp.status_code)
            assert b"its own pages only" in resp.data
            assert resp.headers["Content-Security-Policy"] == "default-src 'none'"
    # Its own origin, in any spelling the browser may use, reaches the forwarder (nothing runs).
    same = [
        {},
        {"Origin": f"http://{host_b}"},
        {"Origin": f"HTTP://{host_b.upper()}:80"},
        {"Referer": f"http://{host_b}/form?a=1"},
        {"Origin": f"https://{host_b}", "X-Forwarded-Proto": "https"},  # TLS ends in front
    ]
    for headers in same:
        assert send("POST", **headers).status_code == 503, headers
    # Reads are not writes; a public service takes anyone's writes (no cookie involved).
    assert send("GET", Origin=f"http://{host_a}").status_code == 503
    anyone = app.test_client().post(
        "/x", base_url=f"http://{host_a}", headers={"Origin": f"http://{host_b}"}
    )
    assert anyone.status_code == 503


@pytest.mark.parametrize(
    "set_cookie",
    [
        "a=1; Domain=example.com; X",
        "a=1; Path=/; Domain=.example.com; Partitioned",
        "a=1 2; Domain=example.com",
        'a="1; Domain=example.com',
        "a=\u00e9; Domain=example.com",
        "a=1; domain = example.com",
        "a=1; DOMAIN=example.com; HttpOnly",
        "a=1; X",  # unparsable: fail closed
        'a="1',
        "a=1 2",
        "novalue",
        "session=forged; Path=/",  # named like Sparki's own cookies
        "remember_token=forged",
        "sparki_access=forged; HttpOnly",
        " Sparki_Access =forged",
    ],
)
def test_the_service_origin_drops_risky_set_cookies(set_cookie):
    from blueprints.services.proxy import Forward, response_headers

    fwd = Forward(
        method="GET",
        path="/",
        sandbox=False,
        drop_cookies=frozenset({"session", "remember_token", "sparki_access"}),
    )
    kept = response_headers([("Set-Cookie", set_cookie), ("Set-Cookie", "ok=1; Path=/")], fwd)
    assert kept == [("Set-Cookie", "ok=1; Path=/")]


def test_the_service_origin_keeps_ordinary_host_only_cookies():
    from blueprints.services.proxy import Forward, response_headers

    fwd = Forward(method="GET", path="/", sandbox=False, drop_cookies=frozenset({"session"}))
    ordinary = [
        "theme=dark",
        "cart=42; Path=/; HttpOnly; Secure; SameSite=Lax; Max-Age=60",
        "id=abc; Expires=Wed, 21 Oct 2037 07:28:00 GMT; Path=/",
        'quoted="a b"; Path=/',
        "sessionid=x",  # not one of Sparki's names
    ]
    headers = [("Set-Cookie", value) for value in ordinary]
    assert response_headers(headers, fwd) == headers


class _RawReplica:
    """A replica that answers every request with `raw` bytes as they are (a socket server,
    so it can send what no HTTP library would)."""

    def __init__(self, raw: bytes) -> None:
        import socket
        import threading

        self.raw = raw
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                data = b""
                while b"\r\n\r\n" not in data:
                    chunk = conn.recv(4096)
                    if not chunk:
                        break
                    data += chunk
                conn.sendall(self.raw)

    def close(self) -> None:
        self.sock.close()


def test_replica_headers_the_server_would_refuse_are_dropped(app, api_as, setup, monkeypatch):
    """gunicorn answers a bare 500 (no envelope, no CSP) for a header with control characters
    or a bad name: such headers never leave the forwarder, and the answer stays intact."""
    from gunicorn.http.message import TOKEN_RE
    from gunicorn.http.wsgi import HEADER_VALUE_RE

    from blueprints.services import proxy

    replica = _RawReplica(
        b"HTTP/1.1 200 OK\r\n"
        b"Content-Type: text/plain\r\n"
        b"Content-Length: 2\r\n"
        b"Set-Cookie: a=\x7f\r\n"
        b"X-Ctl: one\x01two\r\n"
        b"X-Esc: \x1b[31m\r\n"
        b"X-C1: \x85\r\n"
        b"Bad(Name): v\r\n"
        b"Bad/Name: v\r\n"
        b"X-Latin: caf\xe9\r\n"
        b"X-Good: ok\r\n"
        b"Connection: close\r\n"
        b"\r\n"
        b"ok"
    )
    monkeypatch.setattr(proxy, "target_of", lambda service: replica.url)
    try:
        svc = _service(api_as(setup.maintainer), setup.project, name="odd", auth="public")
        host = _host(app, svc["id"])
        resp = app.test_client().get("/", base_url=f"http://{host}")
        assert resp.status_code == 200 and resp.data == b"ok"
        assert resp.headers["X-Good"] == "ok" and resp.headers["X-Latin"] == "caf\u00e9"
        for name in ("Set-Cookie", "X-Ctl", "X-Esc", "X-C1", "Bad(Name)", "Bad/Name"):
            assert name not in resp.headers, name
        for name, value in resp.headers.items():  # what gunicorn checks before sending
            assert TOKEN_RE.fullmatch(name) and HEADER_VALUE_RE.fullmatch(value), (name, value)
            value.encode("latin-1")
        # The dashboard-origin proxy uses the same engine.
        api = api_as(setup.maintainer)
        resp = api.get(f"/api/v1/services/{svc['id']}/proxy/")
        assert resp.status_code == 200 and "X-Ctl" not in resp.headers
    finally:
        replica.close()


def test_non_latin1_and_multiline_header_values_are_dropped():
    from blueprints.services.proxy import Forward, response_headers

    fwd = Forward(method="GET", path="/", sandbox=False)
    odd = [("X-A", "\u20ac"), ("X-B", "a\r\nX-Injected: 1"), ("X-C", "a\nb"), ("X-D", "a\x00")]
    assert response_headers([*odd, ("X-Ok", "fine")], fwd) == [("X-Ok", "fine")]


def test_service_hosts_are_not_answered_on_the_dashboard_port(
    app, client, api_as, setup, monkeypatch
):
    """The mirror of the proxy port refusing the dashboard's host: a request that arrived on
    API_PORT for a service host gets 404, decided by the listening port, not the Host."""
    api = api_as(setup.maintainer)
    public = _service(api, setup.project, name="echoa", auth="public")
    label = _host(app, public["id"]).split(":")[0]
    dash = app.config["API_PORT"]
    for path in ("/login", "/", "/x"):
        resp = client.get(path, base_url=f"http://{label}:{dash}")
        assert resp.status_code == 404 and b"dashboard only" in resp.data, path
        assert resp.headers["Content-Security-Policy"] == "default-src 'none'"
    # A Host naming the proxy port changes nothing: the request still arrived on API_PORT.
    arrived_on_api_port = {"SERVER_PORT": str(dash)}
    resp = client.get(
        "/", base_url=f"http://{label}:{PROXY_PORT}", environ_overrides=arrived_on_api_port
    )
    assert resp.status_code == 404
    # On the proxy port (or any other, as behind a reverse proxy) the service answers.
    assert client.get("/", base_url=f"http://{label}:{PROXY_PORT}").status_code == 503
    assert client.get("/", base_url=f"http://{label}").status_code == 503
    # One port for both: the service host is answered there.
    monkeypatch.setitem(app.config, "SPARKI_PROXY_PORT", dash)
    assert client.get("/", base_url=f"http://{label}:{dash}").status_code == 503


def test_a_stopped_service_answers_a_page_saying_so(app, api_as, login_as, setup):
    api = api_as(setup.maintainer)
    public = _service(api, setup.project, name="docs", auth="public")
    private = _service(api, setup.project, name="shop")
    site = _signed_in(app, login_as, setup.viewer, private["id"])
    answers = {
        "docs": app.test_client().get("/a", base_url=f"http://{_host(app, public['id'])}"),
        "shop": site.get("/", base_url=f"http://{_host(app, private['id'])}"),
    }
    for name, resp in answers.items():
        assert resp.status_code == 503 and resp.mimetype == "text/html"
        text = resp.get_data(as_text=True)
        assert f"Service {name} is not running - start it from the dashboard" in text
        assert resp.headers["Content-Security-Policy"] == "default-src 'none'"
    # The dashboard-origin API keeps its JSON envelope.
    resp = api.get(f"/api/v1/services/{public['id']}/proxy/")
    assert resp.status_code == 503 and resp.get_json()["error"] == "service_unavailable"
