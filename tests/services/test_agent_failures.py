"""One service's failure never stops the runtime agent for the others (issue 9, part 3).

A service whose command ended in NUL made every tick raise (`ValueError: embedded null
byte`): other organizations' crashed replicas were not restarted, probes stopped, the
heartbeat went stale and the deploy failed with the wrong reason ("the runtime agent is not
running"). Validation now refuses NUL, so these tests poison a service in ways it cannot see:
a spec row written before the check existed, and a working directory removed under the agent.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import signal
import time
from pathlib import Path

import psutil
import pytest

from tests.services.conftest import HTTP_SERVER, _port_range, kill_replicas, wait_for


def _kill(pid: int | None) -> None:
    if pid:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, signal.SIGKILL)


# --- in process: the agent's own loop, tick by tick ----------------------------------------------


def _service_with_spec(app, setup, name: str, command: str) -> str:
    """A service (through the domain) and a desired state naming `command` as it is."""
    from blueprints.core.extensions import db
    from blueprints.services.domain import create_service
    from blueprints.services.runtime.local_state import RuntimeDesiredState
    from blueprints.users.models import User

    with app.app_context():
        admin = db.session.get(User, setup.admin)
        svc = create_service(
            admin.organization,
            admin,
            project_id=setup.project,
            name=name,
            image="app:v1",
            command="sleep 300",
            type="worker",
        )
        spec = {
            "service_id": svc.id,
            "org_id": svc.org_id,
            "name": name,
            "health_check_path": "/",
            "port": None,
            "type": "worker",
            "sets": [
                {
                    "key": f"set-{name}",
                    "revision": 1,
                    "image": "app:v1",
                    "command": command,
                    "env": {},
                    "replicas": 1,
                }
            ],
        }
        db.session.add(RuntimeDesiredState(service_id=svc.id, org_id=svc.org_id, spec=spec))
        db.session.commit()
        return svc.id


def test_a_replica_exec_refuses_fails_alone_is_reported_and_logged_once(
    app, setup, tmp_path, monkeypatch, caplog
):
    from blueprints.services.runtime.agent import Agent
    from blueprints.services.runtime.local import LocalRuntime

    monkeypatch.setitem(app.config, "AGENT_DATA_DIR", str(tmp_path))
    monkeypatch.setitem(app.config, "SERVICE_PORT_RANGE", _port_range())
    steady = _service_with_spec(app, setup, "steady", "sleep 300")
    poisoned = _service_with_spec(app, setup, "poisoned", "exec sleep 300\u0000")
    agent = Agent(app)
    caplog.set_level(logging.WARNING, logger="sparki.agent")

    def replica(service_id: str):
        return next(r for r in agent.records.values() if r.service_id == service_id)

    try:
        agent.tick()
        good, bad = replica(steady), replica(poisoned)
        assert good.pid and psutil.pid_exists(good.pid)
        assert bad.state == "crashed" and not bad.pid
        assert bad.failure == "could not start replica: embedded null byte"
        with app.app_context():  # what any process reads through the runtime interface
            (seen,) = LocalRuntime(agent.redis).replicas(poisoned)
        assert seen.failure == bad.failure and seen.state == "crashed"

        # The steady service's crashed replica is restarted after its 1 s backoff, while the
        # poisoned one keeps failing (retried with backoff), logged once.
        first_pid = good.pid
        _kill(first_pid)

        def restarted():
            agent.tick()
            return good.restarts >= 1 and good.pid not in (None, first_pid) and bad.restarts >= 2

        wait_for(restarted, timeout=30, what="the steady replica restarted")
        assert psutil.pid_exists(good.pid)
        logged = [r for r in caplog.records if "embedded null byte" in r.getMessage()]
        assert len(logged) == 1, [r.getMessage() for r in logged]
    finally:
        for rec in list(agent.records.values()):
            _kill(rec.pid)
        agent.pool.shutdown(wait=False)
        kill_replicas(str(tmp_path))


# --- end to end: a real agent and worker, a deploy through the API --------------------------------


def _create(api, project, name):
    body = {
        "projectId": project,
        "name": name,
        "image": "app:v1",
        "command": HTTP_SERVER,
        "replicas": 1,
        "healthCheckPath": "/",
    }
    resp = api.post("/api/v1/services", json=body)
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()["id"]


def _deploy(api, service_id, **body):
    resp = api.post(f"/api/v1/services/{service_id}/deploy", json=body)
    assert resp.status_code == 202, resp.get_json()
    return resp.get_json()["id"]


def _finished(api, deployment_id):
    def done():
        body = api.get(f"/api/v1/deployments/{deployment_id}").get_json()
        return body if body["status"] != "in-progress" else None

    return wait_for(done, timeout=120, interval=0.2, what=f"deployment {deployment_id}")


def _replica(api, service_id):
    items = api.get(f"/api/v1/services/{service_id}").get_json()["replicas"]["items"]
    return items[0] if len(items) == 1 else None


@pytest.mark.slow
def test_a_poisoned_service_fails_with_its_reason_while_another_is_restarted_on_time(
    api_as, setup, agent, worker
):
    api = api_as(setup.maintainer)
    steady, poisoned = _create(api, setup.project, "steady"), _create(api, setup.project, "bad")
    for service_id in (steady, poisoned):
        assert _finished(api, _deploy(api, service_id))["status"] == "success"

    # The poisoned service's working directory is removed under the agent and something that
    # is not a directory takes its place; then its replica crashes.
    workdir = Path(agent.data_dir) / "work" / poisoned
    shutil.rmtree(workdir)
    workdir.symlink_to(Path(agent.data_dir) / "removed")
    _kill(_replica(api, poisoned)["pid"])
    deployment = _deploy(api, poisoned, image="app:v2")

    # Meanwhile another service's replica crashes: restarted after its 1 s backoff, as ever.
    crashed = _replica(api, steady)
    killed_at = time.monotonic()
    _kill(crashed["pid"])

    def back():
        item = _replica(api, steady)
        return item and item["restarts"] >= 1 and item["ready"] and item

    item = wait_for(back, timeout=60, what="the steady replica restarted")
    assert time.monotonic() - killed_at < 20, "restarted late"
    assert item["pid"] != crashed["pid"] and psutil.pid_exists(item["pid"])

    # The poisoned deploy fails at once with the real reason, not "the agent is not running".
    failed = _finished(api, deployment)
    assert failed["status"] == "failed", failed
    assert "could not start replica: [Errno 17] File exists" in failed["message"], failed
    assert str(workdir) in failed["message"]
    health = wait_for(
        lambda: (
            (h := api.get(f"/api/v1/services/{poisoned}").get_json()["health"])
            and "could not start replica" in h["reason"]
            and h
        ),
        what="the poisoned service's health naming the failure",
    )
    assert health["status"] == "unhealthy"
    assert api.get(f"/api/v1/services/{steady}/check").get_json()["status"] == "healthy"
