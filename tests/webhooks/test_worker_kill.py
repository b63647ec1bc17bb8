"""At-least-once under faults: a real `sparki worker` killed with SIGKILL mid-delivery.

The worker (and its work horse) die while the receiver holds the request open. A new worker
and the real scheduler start; the scheduler's periodic sweep finds the attempt stuck in
`sending` past its lease, records it as lost and sends the event again.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
from sqlalchemy import select

from blueprints.core.extensions import db
from blueprints.webhooks.models import Delivery
from tests.webhooks.conftest import Reply

pytestmark = pytest.mark.slow  # real worker and scheduler processes

ROOT = Path(__file__).resolve().parents[2]
SPARKI = str(Path(sys.executable).parent / "sparki")


def _spawn(args, env, logdir: Path):
    """Start `sparki <args>` in a session of its own; its output goes to a file in logdir."""
    log = open(logdir / f"{args[0]}-{time.monotonic_ns()}.log", "w")  # noqa: SIM115
    return subprocess.Popen(
        [SPARKI, *args],
        cwd=ROOT,
        env=env,
        start_new_session=True,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def _stop(proc, sig=signal.SIGTERM):
    if proc.poll() is None:
        os.killpg(proc.pid, sig)
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(5)


def _rows(app, webhook_id):
    with app.app_context():
        rows = (
            db.session.execute(
                select(Delivery).where(Delivery.webhook_id == webhook_id).order_by(Delivery.attempt)
            )
            .scalars()
            .all()
        )
        db.session.expunge_all()
        return rows


def _wait(cond, timeout, what):
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def test_sigkill_mid_delivery_still_delivers(
    app, api_as, admin, receiver, database_url, redis_url, tmp_path
):
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "SECRET_KEY": app.config["SECRET_KEY"],
        "WEBHOOK_ALLOW_PRIVATE": "1",
        "WEBHOOK_TIMEOUT_SECONDS": "3",
        "WEBHOOK_LEASE_SECONDS": "4",
        "LOG_LEVEL": "WARNING",
    }
    receiver.queue(Reply(200, b"too late", delay=8))  # holds the first attempt open
    api = api_as(admin)
    hook = api.post("/api/v1/webhooks", json={"url": receiver.url, "events": ["*"]}).json
    worker = _spawn(["worker"], env, tmp_path)
    procs = [worker]
    try:
        ping = api.post(f"/api/v1/webhooks/{hook['id']}/ping").json
        receiver.wait_for(1, timeout=90)
        # The worker and its work horse (RQ puts the horse in a session of its own), as a
        # crash or an OOM kill would take them, while the request is in flight.
        family = psutil.Process(worker.pid).children(recursive=True)
        os.killpg(worker.pid, signal.SIGKILL)
        for child in family:
            child.kill()
        worker.wait(10)
        first = _rows(app, hook["id"])[0]
        assert first.status == "sending" and first.id == ping["id"]
        # the lease (4 s) must lapse before the sweep may call the attempt lost
        _wait(lambda: time.time() - first.started_at.timestamp() > 4.2, 60, "the lease")

        procs.append(_spawn(["worker"], env, tmp_path))
        procs.append(_spawn(["scheduler"], env, tmp_path))
        receiver.wait_for(2, timeout=120)
        _wait(lambda: _rows(app, hook["id"])[-1].status == "succeeded", 60, "success")
    finally:
        for proc in procs:
            _stop(proc)
    rows = _rows(app, hook["id"])
    assert [(d.attempt, d.status) for d in rows] == [(1, "failed"), (2, "succeeded")]
    assert "lease expired" in rows[0].error
    first, second = receiver.requests[0], receiver.requests[1]
    assert first.headers["webhook-id"] == second.headers["webhook-id"] == ping["eventId"]
    assert json.loads(second.body)["event"] == "ping"
