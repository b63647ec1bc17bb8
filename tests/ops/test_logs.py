"""LOG_FORMAT=json: a real run of the web process and a worker writes one JSON object a line,
with the request id (web) and job id plus function (worker), and no secret in any line."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from tests.conftest import PASSWORD
from tests.support.services import free_port, process_env
from tests.support.waiting import wait_until
from tests.webhooks.conftest import Receiver

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def _env(app, **extra: str) -> dict[str, str]:
    # LOG_LEVEL DEBUG: the most a run can say; secrets must not be in it either
    return process_env(
        app, LOG_FORMAT="json", LOG_LEVEL="DEBUG", WEBHOOK_ALLOW_PRIVATE="1", **extra
    )


def _lines(path: Path) -> list[dict]:
    out = []
    for line in path.read_text().splitlines():
        if line.strip():
            out.append(json.loads(line))  # every line is one JSON object
    return out


@pytest.mark.slow
def test_json_lines_carry_context_and_never_a_secret(app, factory, tmp_path):
    admin = factory.user(roles=["admin"], email="ops@example.com")
    assert admin
    web_log, worker_log = tmp_path / "web.log", tmp_path / "worker.log"
    port = free_port()
    receiver = Receiver()
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
        stderr=web_log.open("wb"),
    )
    base = f"http://127.0.0.1:{port}/api/v1"
    worker = None
    try:

        def up() -> bool:
            try:
                return requests.get(f"{base}/health", timeout=30).status_code == 200
            except requests.RequestException:
                return False

        wait_until(up, what="gunicorn to serve")
        wrong = requests.post(
            f"{base}/auth/login", json={"email": "ops@example.com", "password": "Wrong-" + PASSWORD}
        )
        assert wrong.status_code == 401
        login = requests.post(
            f"{base}/auth/login", json={"email": "ops@example.com", "password": PASSWORD}
        )
        assert login.status_code == 200
        token = login.json()["token"]
        bearer = {"Authorization": f"Bearer {token}"}
        key = requests.post(f"{base}/api-keys", json={"name": "ops"}, headers=bearer).json()["key"]
        hook = requests.post(
            f"{base}/webhooks",
            json={"url": receiver.url, "events": ["*"]},
            headers={"X-API-Key": key},
        )
        assert hook.status_code == 201, hook.text
        secret = hook.json()["secret"]
        ping = requests.post(
            f"{base}/webhooks/{hook.json()['id']}/ping", headers={"X-API-Key": key}
        )
        assert ping.status_code in (200, 201, 202), ping.text
        worker = subprocess.Popen(
            [str(BIN / "sparki"), "worker", "--queue", "default"],
            cwd=str(ROOT),
            env=_env(app),
            stderr=worker_log.open("wb"),
        )
        received = receiver.wait_for(1)
        assert any(b'"ping"' in r.body for r in received)
        wait_until(
            lambda: any("jobId" in line for line in _lines(worker_log)),
            what="a worker line about the job",
        )
    finally:
        for proc in (web, worker):
            if proc is not None:
                proc.send_signal(signal.SIGTERM)
                proc.wait(60)
        receiver.close()

    web_lines, worker_lines = _lines(web_log), _lines(worker_log)
    for line in web_lines + worker_lines:
        assert {"time", "level", "logger", "message"} <= set(line), line
        assert line["time"].endswith("Z")
    assert any(line.get("requestId") == ping.headers["X-Request-Id"] for line in web_lines)
    assert any(line["logger"].startswith("gunicorn") for line in web_lines)
    job_lines = [line for line in worker_lines if "jobId" in line]
    assert job_lines and all(line["function"] for line in job_lines)
    text = web_log.read_text() + worker_log.read_text()
    for value in (PASSWORD, key, secret, token):
        assert value not in text, "a secret reached the logs"
