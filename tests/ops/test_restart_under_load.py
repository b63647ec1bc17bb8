"""The issue's restart test: every process of `sparki up` is stopped (SIGTERM) and started
again in the middle of 200 webhook deliveries and a deploy; every delivery arrives and the
deploy ends."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import psutil
import pytest
import requests

from tests.services.conftest import HTTP_SERVER, _port_range, kill_replicas
from tests.support.services import free_port, process_env
from tests.support.waiting import wait_until
from tests.webhooks.conftest import Receiver, Reply

ROOT = Path(__file__).resolve().parents[2]
SPARKI = str(Path(sys.executable).parent / "sparki")
PINGS = 200


class Up:
    """`sparki up` in a subprocess, stopped like an operator does (SIGTERM)."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.log = log.open("a")
        self.proc = subprocess.Popen(
            [SPARKI, "up"], cwd=str(ROOT), env=env, stdout=self.log, stderr=subprocess.STDOUT
        )
        self.parent = psutil.Process(self.proc.pid)

    def stop(self, sig: int = signal.SIGTERM) -> None:
        with contextlib.suppress(psutil.Error):
            family = [self.parent, *self.parent.children(recursive=True)]
        self.proc.send_signal(sig)
        _gone, alive = psutil.wait_procs(family, timeout=60)
        for proc in alive:
            with contextlib.suppress(psutil.Error):
                proc.kill()
        self.log.close()


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_restarting_every_process_loses_no_delivery_and_ends_the_deploy(app, factory, tmp_path):
    admin = factory.user(roles=["admin"])
    auth = {"Authorization": f"Bearer {factory.token(admin)}"}
    receiver = Receiver()
    receiver.default = Reply(delay=0.05)  # an endpoint of ordinary speed: the burst takes a while
    port, proxy_port = free_port(), free_port()
    agent_dir = tempfile.mkdtemp(prefix="sparki-agent-")
    # The app's Redis is an operator's Redis: it outlives the restart.
    env = process_env(
        app,
        API_PORT=str(port),
        SPARKI_PROXY_PORT=str(proxy_port),
        SPARKI_INSTANCE_PATH=str(tmp_path / "instance"),
        AGENT_DATA_DIR=agent_dir,
        SERVICE_PORT_RANGE=_port_range(),
        WEB_CONCURRENCY="1",
        WEBHOOK_ALLOW_PRIVATE="1",
        PYTHONPATH=str(ROOT),
    )
    base = f"http://127.0.0.1:{port}/api/v1"
    log = tmp_path / "up.log"

    def serving() -> bool:
        try:
            return requests.get(f"{base}/health/ready", timeout=30).status_code == 200
        except requests.RequestException:
            return False

    def pings() -> set[str]:
        with receiver.lock:
            bodies = [json.loads(r.body) for r in receiver.requests]
        return {b["id"] for b in bodies if b.get("event") == "ping"}

    up = Up(env, log)
    try:
        wait_until(serving, timeout=180, what="sparki up to serve")
        created = requests.post(
            f"{base}/webhooks",
            json={"url": receiver.url, "events": ["deployment.*"]},  # a ping goes to it anyway
            headers=auth,
            timeout=60,
        )
        assert created.status_code == 201, created.text
        hook = created.json()
        project = requests.post(
            f"{base}/projects", json={"name": "shop"}, headers=auth, timeout=60
        ).json()
        service = requests.post(
            f"{base}/services",
            json={
                "projectId": project["id"],
                "name": "web",
                "image": "x:1",
                "command": HTTP_SERVER,
            },
            headers=auth,
            timeout=60,
        ).json()
        for _ in range(PINGS // 2):
            r = requests.post(f"{base}/webhooks/{hook['id']}/ping", headers=auth, timeout=60)
            assert r.status_code < 300, r.text
        deploy = requests.post(
            f"{base}/services/{service['id']}/deploy", json={}, headers=auth, timeout=60
        )
        assert deploy.status_code == 202, deploy.text
        deployment_id = deploy.json()["deploymentId"]
        # the middle of the burst (some delivered, not all) and of the rollout (a deployer is
        # on it: the new replica is starting)
        wait_until(lambda: len(pings()) >= 10, timeout=120, what="the first deliveries")

        def rolling() -> bool:
            got = requests.get(f"{base}/deployments/{deployment_id}", headers=auth, timeout=60)
            return got.json().get("startedAt") is not None

        wait_until(rolling, timeout=120, what="the rollout to start")
        delivered_before = len(pings())
        up.stop()
        assert delivered_before < PINGS

        up = Up(env, log)
        wait_until(serving, timeout=180, what="sparki up to serve again")
        for _ in range(PINGS - PINGS // 2):
            r = requests.post(f"{base}/webhooks/{hook['id']}/ping", headers=auth, timeout=60)
            assert r.status_code < 300, r.text
        try:
            wait_until(lambda: len(pings()) == PINGS, timeout=300, what=f"all {PINGS} pings")
        except AssertionError as exc:
            raise AssertionError(
                f"{len(pings())} of {PINGS} arrived\n{log.read_text()[-6000:]}"
            ) from exc

        def ended() -> str | None:
            status = requests.get(
                f"{base}/deployments/{deployment_id}", headers=auth, timeout=60
            ).json()["status"]
            return status if status in ("success", "failed") else None

        outcome = wait_until(ended, timeout=240, what="the deploy to end")
        deployment = requests.get(f"{base}/deployments/{deployment_id}", headers=auth, timeout=60)
        assert outcome == "success", (
            f"{deployment.json().get('message')}\n{log.read_text()[-3000:]}"
        )
    finally:
        up.stop()
        kill_replicas(agent_dir)
        if os.environ.get("SPARKI_KEEP_UP_LOG"):
            Path(os.environ["SPARKI_KEEP_UP_LOG"]).write_text(log.read_text())
        receiver.close()
