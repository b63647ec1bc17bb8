"""The attack of issue 9, in Chromium: a developer deploys a page whose script fetches `/`,
reads the CSRF token from it and POSTs `/api/v1/api-keys`; an admin, logged in, opens that
service through the dashboard-origin proxy and through the service's own origin. No API key
may come of it.

The dashboard and the proxy port are served by one app, as gunicorn serves both binds in
production; the service's host is `<name>-<short id>.localhost:<proxy port>`, which Chromium
resolves to the loopback address itself.
"""

from __future__ import annotations

import re
import shlex
import signal
import tempfile
import threading

import pytest
from playwright.sync_api import expect

from tests.conftest import PASSWORD, make_app
from tests.services.conftest import (
    AgentProcess,
    WorkerProcess,
    kill_replicas,
    replica_processes,
    wait_for,
)
from tests.support.services import free_port

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


# The page the developer deploys: its script tries the dashboard through `/` (same origin when
# served by the dashboard-origin proxy) and through the dashboard's absolute URL.
def _statuses(outcome: str) -> list[str]:
    """The HTTP statuses in the attack page's report (`base:status:body | base:blocked`), not
    any digits of a port in a base URL (port 52017 once read as a 201)."""
    return re.findall(r":(\d{3}):", outcome)


ATTACK_PAGE = """<!doctype html><title>innocent</title><p id=out>running</p><script>
(async () => {
  const tries = [];
  for (const base of ["", DASH]) {
    try {
      const home = await (await fetch(base + "/", {credentials: "include"})).text();
      const m = home.match(/X-CSRFToken": "([^"]+)"/);
      const r = await fetch(base + "/api/v1/api-keys", {method: "POST", credentials: "include",
        headers: {"Content-Type": "application/json", "X-CSRFToken": m ? m[1] : ""},
        body: JSON.stringify({name: "stolen"})});
      tries.push((base || "here") + ":" + r.status + ":" + (await r.text()).slice(0, 40));
    } catch (e) { tries.push((base || "here") + ":blocked"); }
  }
  document.getElementById("out").textContent = "done " + tries.join(" | ");
})();
</script>"""

SERVER = """
import os
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
PAGE = os.environ["PAGE"].replace("DASH", repr(os.environ["DASH"])).encode()
class H(BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(PAGE)))
        self.end_headers()
        self.wfile.write(PAGE)
ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), H).serve_forever()
"""


@pytest.fixture
def sites(database_url, redis_url):
    """The app on two ports: the dashboard's and the proxy's (SPARKI_PROXY_PORT)."""
    from werkzeug.serving import make_server

    dash_port, proxy_port = free_port(), free_port()
    app = make_app(
        database_url,
        redis_url,
        WTF_CSRF_ENABLED=True,
        TESTING=False,
        API_PORT=dash_port,
        SPARKI_PROXY_PORT=proxy_port,
    )
    servers = [
        make_server("127.0.0.1", port, app, threaded=True) for port in (dash_port, proxy_port)
    ]
    threads = [threading.Thread(target=s.serve_forever, daemon=True) for s in servers]
    for thread in threads:
        thread.start()
    app.url = f"http://127.0.0.1:{dash_port}"  # type: ignore[attr-defined]
    data_dir = tempfile.mkdtemp(prefix="sparki-e2e-attack-")
    agent = AgentProcess(app, data_dir)
    agent.start()
    worker = WorkerProcess(app)
    try:
        yield app
    finally:
        worker.kill(signal.SIGTERM)
        agent.kill(signal.SIGTERM)
        kill_replicas(data_dir)
        for server in servers:
            server.shutdown()
        assert not replica_processes(data_dir)


def _deploy_attack(app, factory, admin, developer, project_id):
    """An admin creates an ordinary service; the developer deploys a revision of it whose
    page carries the attack (developers may deploy in their projects)."""
    client = app.test_client()
    body = {
        "projectId": project_id,
        "name": "innocent",
        "type": "web",
        "image": "app:v1",
        "command": "python3 -m http.server $PORT --bind 127.0.0.1",
        "replicas": 1,
        "healthCheckPath": "/",
    }
    as_admin = {"Authorization": f"Bearer {factory.token(admin)}"}
    created = client.post("/api/v1/services", json=body, headers=as_admin)
    assert created.status_code == 201, created.get_json()
    sid = created.get_json()["id"]
    revision = {
        "image": "app:v2",
        "command": "python3 -c " + shlex.quote(SERVER),
        "env": {"PAGE": ATTACK_PAGE, "DASH": app.url},
    }
    as_developer = {"Authorization": f"Bearer {factory.token(developer)}"}
    deploy = client.post(f"/api/v1/services/{sid}/deploy", json=revision, headers=as_developer)
    assert deploy.status_code == 202, deploy.get_json()
    deployment = deploy.get_json()["id"]

    def finished():
        got = client.get(f"/api/v1/deployments/{deployment}", headers=as_developer).get_json()
        return got if got["status"] != "in-progress" else None

    assert wait_for(finished, timeout=60, what="the deploy")["status"] == "success"
    return sid, client, as_admin


def _api_keys(app, user_id):
    from sqlalchemy import select

    from blueprints.core.extensions import db
    from blueprints.users.models import ApiKey

    with app.app_context():
        keys = db.session.execute(select(ApiKey).where(ApiKey.user_id == user_id)).all()
        db.session.remove()
    return keys


def test_a_services_page_cannot_act_as_the_admin_who_opens_it(page, factory, sites):
    from blueprints.core.extensions import db
    from blueprints.projects.domain import add_member, create_project
    from blueprints.users.models import User

    app = sites
    org = factory.org("Attacked")
    admin = factory.user(org, roles=["admin"], email="root@example.com")
    developer = factory.user(org, roles=["developer"], email="mallory@example.com")
    with app.app_context():
        boss = db.session.get(User, admin)
        project = create_project(boss.organization, boss, name="site")
        add_member(boss.organization, boss, project.id, user_id=developer, role="contributor")
        project_id = project.id
        db.session.remove()
    sid, client, as_admin = _deploy_attack(app, factory, admin, developer, project_id)

    page.goto(f"{app.url}/login")
    page.fill("input[name=email]", "root@example.com")
    page.fill("input[name=password]", PASSWORD)
    page.click("#login-submit")
    page.wait_for_url(f"{app.url}/")

    # 1. The dashboard-origin proxy does not take the admin's session for a private service.
    answer = page.goto(f"{app.url}/api/v1/services/{sid}/proxy/")
    assert answer.status == 401

    # 2. The service's own origin, from the service page's link: the page runs, on its host.
    page.goto(f"{app.url}/services/{sid}")
    link = page.locator("#proxy-link")
    expect(link).to_contain_text(".localhost:")
    with page.expect_popup() as popup:
        link.click()
    service_page = popup.value
    expect(service_page.locator("#out")).to_contain_text("done", timeout=20_000)
    assert re.match(r"http://innocent-[0-9a-f]{10}\.localhost:\d+/$", service_page.url)
    outcome = service_page.locator("#out").inner_text()
    assert "201" not in _statuses(outcome), outcome
    service_page.close()

    # 3. Public now: the dashboard-origin proxy serves the page, sandboxed.
    made_public = client.patch(
        f"/api/v1/services/{sid}",
        json={"urlSettings": {"auth": "public"}},
        headers=as_admin,
    )
    assert made_public.status_code == 200, made_public.get_json()
    answer = page.goto(f"{app.url}/api/v1/services/{sid}/proxy/")
    assert answer.status == 200 and "sandbox" in answer.headers["content-security-policy"]
    expect(page.locator("#out")).to_contain_text("done", timeout=20_000)
    outcome = page.locator("#out").inner_text()
    assert "201" not in _statuses(outcome), outcome

    assert _api_keys(app, admin) == []
