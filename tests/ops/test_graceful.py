"""Graceful restarts: SIGTERM to the web process finishes requests in flight, ends followed
log streams with a retry hint and fails readiness meanwhile; SIGTERM to a worker lets the
current job (a webhook delivery) finish."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests
from sqlalchemy import select

from blueprints.core.extensions import db
from tests.services.conftest import HTTP_SERVER
from tests.support.services import free_port, process_env
from tests.support.waiting import wait_until
from tests.webhooks.conftest import Receiver, Reply

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


class SlowServer:
    """Answers every GET with a 500 after `delay` seconds (a workflow source that hangs)."""

    def __init__(self, delay: float) -> None:
        self.hits = 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                server.hits += 1
                time.sleep(delay)
                self.send_response(500)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def _env(app, **extra: str) -> dict[str, str]:
    return process_env(app, SOURCE_ALLOW_PRIVATE="1", WEBHOOK_ALLOW_PRIVATE="1", **extra)


@pytest.mark.slow
def test_sigterm_to_web_finishes_requests_ends_streams_and_fails_readiness(app, factory):
    admin = factory.user(roles=["admin"])
    auth = {"Authorization": f"Bearer {factory.token(admin)}"}
    slow = SlowServer(delay=4)
    port = free_port()
    web = subprocess.Popen(
        [
            str(BIN / "gunicorn"),
            "-c",
            "gunicorn.conf.py",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
            "app:create_app()",
        ],
        cwd=str(ROOT),
        env=_env(app),
    )
    base = f"http://127.0.0.1:{port}/api/v1"
    try:

        def up() -> bool:
            try:
                return requests.get(f"{base}/health/ready", timeout=30).status_code == 200
            except requests.RequestException:
                return False

        wait_until(up, what="gunicorn to serve")
        project = requests.post(f"{base}/projects", json={"name": "shop"}, headers=auth).json()
        service = requests.post(
            f"{base}/services",
            json={
                "projectId": project["id"],
                "name": "web",
                "image": "x:1",
                "command": HTTP_SERVER,
            },
            headers=auth,
        ).json()
        kept_alive = requests.Session()
        assert kept_alive.get(f"{base}/health/ready", timeout=30).status_code == 200
        stream = requests.get(
            f"{base}/services/{service['id']}/logs",
            params={"follow": "true"},
            headers=auth,
            stream=True,
            timeout=60,
        )
        assert stream.status_code == 200
        chunks = stream.iter_content(chunk_size=None, decode_unicode=True)
        assert next(chunks).startswith("retry: 2000")

        answer: dict = {}

        def create_source() -> None:
            answer["response"] = requests.post(
                f"{base}/sources",
                json={"name": "hangs", "sourceType": "langflow", "url": slow.url, "apiKey": "k"},
                headers=auth,
                timeout=60,
            )

        in_flight = threading.Thread(target=create_source)
        in_flight.start()
        wait_until(lambda: slow.hits >= 1, what="the request to be in flight")
        web.send_signal(signal.SIGTERM)

        def not_ready() -> bool:
            try:
                return kept_alive.get(f"{base}/health/ready", timeout=30).status_code == 503
            except requests.RequestException:
                return False

        wait_until(not_ready, what="readiness to answer 503")
        rest = "".join(chunks)  # the stream ends (no error) with a hint to come back
        assert "retry: 1000" in rest
        in_flight.join(60)
        response = answer["response"]  # a whole answer, not a cut connection
        assert response.status_code == 400 and response.json()["error"] == "invalid_request"
        assert web.wait(60) == 0
    finally:
        if web.poll() is None:
            web.kill()
            web.wait(10)
        slow.close()


@pytest.mark.slow
def test_sigterm_to_a_worker_lets_the_current_delivery_finish(app, factory):
    from blueprints.webhooks.models import Delivery

    admin = factory.user(roles=["admin"])
    receiver = Receiver()
    receiver.default = Reply(delay=4)  # the endpoint takes its time
    client = app.test_client()
    auth = {"Authorization": f"Bearer {factory.token(admin)}"}
    hook = client.post(
        "/api/v1/webhooks", json={"url": receiver.url, "events": ["*"]}, headers=auth
    ).get_json()
    assert client.post(f"/api/v1/webhooks/{hook['id']}/ping", headers=auth).status_code < 300
    worker = subprocess.Popen(
        [str(BIN / "sparki"), "worker", "--queue", "default"], cwd=str(ROOT), env=_env(app)
    )
    try:
        receiver.wait_for(1)  # the delivery is in flight
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(60) == 0
        with app.app_context():
            [delivery] = db.session.execute(
                select(Delivery).where(Delivery.webhook_id == hook["id"])
            ).scalars()
            assert delivery.status == "succeeded" and delivery.status_code == 200
            db.session.remove()
        assert len(receiver.requests) == 1
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait(10)
        receiver.close()
