"""Followed log streams: capped per user (429 in the envelope beyond LOG_STREAMS_PER_USER),
freed when the client leaves, and served by the real web process (gunicorn with
gunicorn.conf.py: gevent workers) without one thread each; gunicorn's own errors come back in
the error envelope."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.services.test_proxy_origin import _service
from tests.support.services import free_port, wait_port
from tests.support.waiting import wait_until

ROOT = Path(__file__).resolve().parents[2]


def _follow(api, sid):
    resp = api.get(f"/api/v1/services/{sid}/logs?follow=true", buffered=False)
    if resp.status_code == 200:
        assert next(iter(resp.response)).startswith(b"retry:")
    return resp


def test_streams_are_capped_per_user_and_a_closed_one_frees_its_slot(
    app, api_as, setup, monkeypatch
):
    monkeypatch.setitem(app.config, "LOG_STREAMS_PER_USER", 2)
    api = api_as(setup.maintainer)
    sid = _service(api, setup.project)["id"]
    first, second = _follow(api, sid), _follow(api, sid)
    assert first.status_code == second.status_code == 200
    refused = _follow(api, sid)
    assert refused.status_code == 429 and refused.headers["Retry-After"]
    body = refused.get_json()
    assert body["error"] == "rate_limit_exceeded" and body["details"]["limit"] == 2
    assert "2 log streams" in body["message"] and body["requestId"]
    # Another user has slots of their own.
    assert _follow(api_as(setup.viewer), sid).status_code == 200
    first.close()  # the client left
    again = _follow(api, sid)
    assert again.status_code == 200
    for resp in (second, again):
        resp.close()


# --- the real web process ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def web(database_url, redis_url, app):
    """gunicorn as the Procfile runs it (gunicorn.conf.py), one worker, 3 streams per user."""
    port = free_port()
    env = {
        **os.environ,
        "SECRET_KEY": app.config["SECRET_KEY"],
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "LOG_LEVEL": "WARNING",
        "LOG_STREAMS_PER_USER": "3",
        "LOG_STREAM_KEEPALIVE": "1",
    }
    command = [str(Path(sys.executable).parent / "gunicorn"), "-c", "gunicorn.conf.py"]
    command += ["--bind", f"127.0.0.1:{port}", "--workers", "1", "--access-logfile", "/dev/null"]
    proc = subprocess.Popen(
        [*command, "app:create_app()"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_port(port, timeout=120)
        url = f"http://127.0.0.1:{port}"
        wait_until(
            lambda: _ok(f"{url}/api/v1/health"), timeout=120, what="gunicorn to load the app"
        )
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


def _ok(url: str) -> bool:
    with contextlib.suppress(requests.RequestException):
        return requests.get(url, timeout=10).status_code == 200
    return False


def _raw(url: str, data: bytes) -> tuple[str, dict[str, str], bytes]:
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=60) as sock:
        sock.sendall(data)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    status, *lines = head.decode("latin-1").split("\r\n")
    return status, dict(line.split(": ", 1) for line in lines), body


@pytest.mark.slow
@pytest.mark.parametrize(
    "request_bytes, status",
    [
        (b"GET /api/v1/health?" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414),
        (b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 10240 + b"\r\n\r\n", 431),
        (
            b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\n"
            + b"".join(b"X-%d: 1\r\n" % i for i in range(101))
            + b"\r\n",
            431,
        ),
        (b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\nX-Cr: a\rb\r\n\r\n", 400),
    ],
    ids=["long-request-line", "10k-header", "101-headers", "bare-cr"],
)
def test_gunicorns_own_errors_are_the_json_envelope(web, request_bytes, status):
    line, headers, body = _raw(web, request_bytes)
    assert line.split()[1] == str(status), line
    assert headers["Content-Type"] == "application/json"
    error = json.loads(body)
    assert set(error) == {"error", "message", "details", "requestId"}
    assert error["error"] == "invalid_request" and error["message"]
    assert error["requestId"] == headers["X-Request-Id"]


@pytest.mark.slow
def test_many_followers_hold_no_thread_and_leaving_frees_the_slot(web, factory, app, setup):
    """40 followers (more than the 16 threads the web process used to have): /users/me still
    answers, each follower gets a new line, and a follower that leaves frees its slot."""
    from blueprints.core.extensions import get_redis
    from blueprints.services.runtime import logs
    from blueprints.services.streams import open_streams

    admin_token = factory.token(setup.admin)
    sid = _service(_Api(web, admin_token), setup.project, name="followed", command="true")["id"]
    users = [factory.user(setup.org, roles=["viewer"]) for _ in range(14)]
    tokens = [factory.token(u) for u in users for _ in range(3)][:40]
    sessions = []
    for token in tokens:
        s = requests.Session()
        resp = s.get(
            f"{web}/api/v1/services/{sid}/logs?follow=true",
            headers={"Authorization": f"Bearer {token}"},
            stream=True,
            timeout=60,
        )
        assert resp.status_code == 200, resp.text
        lines = resp.iter_lines(chunk_size=1)
        assert next(lines).startswith(b"retry:")
        sessions.append((s, resp, lines))
    me = requests.get(
        f"{web}/api/v1/users/me", headers={"Authorization": f"Bearer {admin_token}"}, timeout=60
    )
    assert me.status_code == 200
    with app.app_context():
        logs.append(get_redis(), sid, [(time.time(), "info", "hello all", "p")], maxlen=100)
    for _s, _resp, lines in sessions:
        assert any(b"hello all" in line for line in lines if line.startswith(b"data:"))

    # The fourth stream of a user is refused; once one of theirs leaves, it is let in.
    viewer = tokens[0]
    with app.app_context():
        assert open_streams(get_redis(), users[0]) == 3
    refused = requests.get(
        f"{web}/api/v1/services/{sid}/logs?follow=true",
        headers={"Authorization": f"Bearer {viewer}"},
        timeout=60,
    )
    assert refused.status_code == 429 and refused.json()["error"] == "rate_limit_exceeded"
    s, resp, _lines = sessions[0]
    resp.close()  # the client goes away: its connection is closed
    s.close()

    def freed():
        with app.app_context():
            return open_streams(get_redis(), users[0]) == 2

    wait_until(freed, timeout=60, what="the left stream's slot to be freed")
    for s, resp, _lines in sessions[1:]:
        resp.close()
        s.close()


class _Api:
    """Just enough of the tests' ApiClient over real HTTP for `_service`."""

    def __init__(self, url: str, token: str) -> None:
        self.url, self.headers = url, {"Authorization": f"Bearer {token}"}

    def post(self, path: str, json=None):
        resp = requests.post(self.url + path, json=json, headers=self.headers, timeout=60)
        resp.get_json = resp.json
        return resp
