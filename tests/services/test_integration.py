"""Services on the real local runtime: a `sparki agent` subprocess supervising real child
processes, a real `sparki worker` running the deploy jobs, and the API in front."""

from __future__ import annotations

import json
import os
import signal

import psutil
import pytest

from tests.services.conftest import HTTP_SERVER, wait_for

pytestmark = pytest.mark.slow


def _create(api, project, name="web", **extra):
    body = {
        "projectId": project,
        "name": name,
        "type": "web",
        "image": "app:v1",
        "command": HTTP_SERVER,
        "env": {"GREETING": "hi"},
        "replicas": 2,
        "healthCheckPath": "/",
        **extra,
    }
    resp = api.post("/api/v1/services", json=body)
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()


def _finished(api, deployment_id, timeout=120.0):
    def done():
        body = api.get(f"/api/v1/deployments/{deployment_id}").get_json()
        return body if body["status"] != "in-progress" else None

    return wait_for(done, timeout=timeout, interval=0.2, what=f"deployment {deployment_id}")


def _deploy(api, service_id, **body):
    resp = api.post(f"/api/v1/services/{service_id}/deploy", json=body)
    assert resp.status_code == 202, resp.get_json()
    return resp.get_json()


def test_deploy_proxy_logs_and_rolling_update_that_fails(api_as, setup, agent, worker):
    api = api_as(setup.maintainer)
    svc = _create(api, setup.project)
    assert svc["status"] == "stopped" and svc["replicas"]["desired"] == 0

    started = _deploy(api, svc["id"])
    assert started["status"] == "in-progress"
    assert set(started["progress"]) == {"updated", "ready", "available", "desired"}
    assert started["deploymentId"].startswith("deploy-")
    done = _finished(api, started["id"])
    assert done["status"] == "success", done
    assert done["progress"] == {"updated": 2, "ready": 2, "available": 2, "desired": 2}

    detail = api.get(f"/api/v1/services/{svc['id']}").get_json()
    assert detail["status"] == "running" and detail["currentRevision"] == 1
    assert detail["replicas"]["ready"] == 2 and detail["replicas"]["desired"] == 2
    pids = {r["pid"] for r in detail["replicas"]["items"]}
    assert len(pids) == 2 and all(psutil.pid_exists(p) for p in pids)

    # The proxy reaches a real replica (directory listing of its working dir).
    resp = api.get(f"/api/v1/services/{svc['id']}/proxy/?x=1")
    assert resp.status_code == 200 and b"Directory listing" in resp.data

    # Access lines land in the log store with the pod and a level.
    def access_logged():
        logs = api.get(f"/api/v1/services/{svc['id']}/logs?lines=500").get_json()["logs"]
        return [entry for entry in logs if '"GET /?x=1' in entry["message"]]

    line = wait_for(access_logged, what="the access log line")[0]
    assert line["level"] == "info" and line["pod"].startswith("web-r1-")

    # A broken revision never gets healthy: the deploy fails and the old replicas keep serving.
    bad = _deploy(api, svc["id"], image="app:broken", command="echo boom >&2; exit 3")
    conflict = api.post(f"/api/v1/services/{svc['id']}/deploy", json={})
    assert conflict.status_code == 409
    failed = _finished(api, bad["id"])
    assert failed["status"] == "failed" and "crash-looping" in failed["message"]
    detail = api.get(f"/api/v1/services/{svc['id']}").get_json()
    assert detail["status"] == "running" and detail["currentRevision"] == 1
    # The spec goes back to what still runs, so the next plain deploy is not the broken one.
    assert (detail["image"], detail["currentImage"]) == ("app:v1", "app:v1")
    assert detail["command"] == HTTP_SERVER
    wait_for(
        lambda: (
            {
                r["pid"]
                for r in api.get(f"/api/v1/services/{svc['id']}").get_json()["replicas"]["items"]
            }
            == pids
        ),
        what="only the old replicas",
    )
    assert api.get(f"/api/v1/services/{svc['id']}/proxy/").status_code == 200
    logs = api.get(f"/api/v1/services/{svc['id']}/logs?lines=1000").get_json()["logs"]
    assert any(e["message"] == "boom" and e["level"] == "error" for e in logs)

    # A replica that runs but never answers its health path fails on the timeout instead.
    silent = _finished(api, _deploy(api, svc["id"], image="app:silent", command="sleep 60")["id"])
    assert silent["status"] == "failed" and "did not become ready within" in silent["message"]
    wait_for(
        lambda: (
            {
                r["pid"]
                for r in api.get(f"/api/v1/services/{svc['id']}").get_json()["replicas"]["items"]
            }
            == pids
        ),
        what="only the old replicas",
    )

    # Rollback by image tag makes a new revision from revision 1.
    resp = api.post(f"/api/v1/services/{svc['id']}/rollback", json={"revision": "app:v1"})
    assert resp.status_code == 202, resp.get_json()
    body = resp.get_json()
    assert body["targetImage"] == "app:v1" and body["previousImage"] == "app:v1"
    assert body["revision"] == 4
    assert _finished(api, body["deploymentId"])["status"] == "success"
    listing = api.get(f"/api/v1/services/{svc['id']}/deployments").get_json()
    assert [d["status"] for d in listing["data"]] == ["success", "failed", "failed", "success"]
    assert listing["data"][0]["createdBy"]["id"] == setup.maintainer
    assert listing["data"][1]["durationSeconds"] > 0
    assert listing["data"][1]["durationMs"] >= 1000 * listing["data"][1]["durationSeconds"] - 10


def _deployed(api, project, name="web", replicas=1, **extra):
    svc = _create(api, project, name=name, replicas=replicas, **extra)
    assert _finished(api, _deploy(api, svc["id"])["id"])["status"] == "success"
    return api.get(f"/api/v1/services/{svc['id']}").get_json()


def _events(app, kind):
    from sqlalchemy import select

    from blueprints.core.events import Event
    from blueprints.core.extensions import db

    with app.app_context():
        rows = (
            db.session.execute(select(Event).where(Event.type == kind).order_by(Event.created_at))
            .scalars()
            .all()
        )
        out = [dict(e.data) for e in rows]
        db.session.remove()
        return out


def _log_stream_exists(app, service_id):
    from blueprints.core.extensions import get_redis
    from blueprints.services.runtime.logs import stream_key

    with app.app_context():
        return bool(get_redis().exists(stream_key(service_id)))


def test_crash_restart_health_events_stop_start_and_check(app, api_as, setup, agent, worker):
    api = api_as(setup.maintainer)
    svc = _deployed(api, setup.project, replicas=1)
    sid = svc["id"]
    check = api.get(f"/api/v1/services/{sid}/check").get_json()
    assert check["status"] == "healthy" and check["elapsed"] > 0 and check["checkedAt"]
    assert check["elapsedMs"] == check["elapsed"]
    wait_for(
        lambda: api.get(f"/api/v1/services/{sid}").get_json()["health"]["status"] == "healthy",
        what="healthy",
    )
    # Reads derive health from what the runtime sees now; the agent records it (and emits
    # its changes) every couple of seconds: wait for that record before the crash.
    wait_for(
        lambda: any(e["to"] == "healthy" for e in _events(app, "service.health_changed")),
        what="the agent to record healthy",
    )

    # Kill the replica: the agent notices, reports unhealthy (alert), restarts it with
    # backoff, and the service recovers (alert resolved).
    replica = svc["replicas"]["items"][0]
    os.killpg(replica["pid"], signal.SIGKILL)

    def restarted():
        items = api.get(f"/api/v1/services/{sid}").get_json()["replicas"]["items"]
        return items and items[0]["restarts"] >= 1 and items[0]["ready"] and items[0]

    item = wait_for(restarted, what="the crashed replica to be restarted")
    assert item["pid"] != replica["pid"] and item["pod"] == replica["pod"]
    wait_for(lambda: _events(app, "alert.resolved"), what="alert.resolved")
    changes = [(e["from"], e["to"]) for e in _events(app, "service.health_changed")]
    assert ("healthy", "unhealthy") in changes and ("unhealthy", "healthy") in changes
    assert _events(app, "alert.triggered")[0]["serviceId"] == sid
    logs = api.get(f"/api/v1/services/{sid}/logs?lines=200").get_json()["logs"]
    assert any("exited with code -9" in e["message"] or "exited" in e["message"] for e in logs)

    # Stop: every process goes, the check says hibernated; start brings it back.
    stopped = api.post(f"/api/v1/services/{sid}/stop")
    assert stopped.status_code == 200 and stopped.get_json()["status"] == "stopped"
    wait_for(lambda: not psutil.pid_exists(item["pid"]), what="the replica to stop")
    wait_for(
        lambda: not api.get(f"/api/v1/services/{sid}").get_json()["replicas"]["items"],
        what="no replicas",
    )
    assert api.get(f"/api/v1/services/{sid}/check").get_json()["status"] == "hibernated"
    assert api.get(f"/api/v1/services/{sid}/proxy/").status_code == 503
    started = api.post(f"/api/v1/services/{sid}/start")
    assert started.status_code == 200 and started.get_json()["status"] == "running"
    wait_for(
        lambda: api.get(f"/api/v1/services/{sid}").get_json()["replicas"]["ready"] == 1,
        what="the replica to come back",
    )

    # Restart is a rolling replacement: a deployment of the same revision, new pids.
    before = {r["pid"] for r in api.get(f"/api/v1/services/{sid}").get_json()["replicas"]["items"]}
    resp = api.post(f"/api/v1/services/{sid}/restart")
    assert resp.status_code == 202 and resp.get_json()["kind"] == "restart"
    assert _finished(api, resp.get_json()["id"])["status"] == "success"
    after = {r["pid"] for r in api.get(f"/api/v1/services/{sid}").get_json()["replicas"]["items"]}
    assert after and not (after & before)

    # Delete answers at once; the runtime then stops the processes and a job drops the logs.
    resp = api.delete(f"/api/v1/services/{sid}")
    assert resp.status_code == 200 and resp.get_json()["success"] is True
    assert api.get(f"/api/v1/services/{sid}").status_code == 404
    wait_for(
        lambda: not any(psutil.pid_exists(p) for p in after),
        timeout=15,
        what="the deleted service's replicas to stop",
    )
    wait_for(lambda: not _log_stream_exists(app, sid), timeout=30, what="the logs to be deleted")


def _ticks(agent, count: int) -> None:
    """Wait until the agent has finished `count` more reconcile ticks (each ends by writing a
    new heartbeat), however slowly the machine runs them."""
    from blueprints.core.extensions import get_redis
    from blueprints.services.runtime.local import KEY_HEARTBEAT

    with agent.app.app_context():
        redis = get_redis()
    seen = {redis.get(KEY_HEARTBEAT)}

    def ticked() -> bool:
        seen.add(redis.get(KEY_HEARTBEAT))
        return len(seen) > count

    wait_for(ticked, interval=0.02, what=f"{count} reconcile ticks")


def test_agent_restart_readopts_replicas_and_worker_death_spares_them(api_as, setup, agent, worker):
    api = api_as(setup.maintainer)
    svc = _deployed(api, setup.project, replicas=2)
    pids = {r["pid"] for r in svc["replicas"]["items"]}
    worker.kill()  # the worker dying does nothing to services
    agent.kill()  # SIGKILL: no chance to clean up
    assert all(psutil.pid_exists(p) for p in pids)
    assert api.get(f"/api/v1/services/{svc['id']}/proxy/").status_code == 200
    # One replica dies while no agent watches; the new agent restarts it and adopts the other.
    dead, alive = sorted(pids)
    os.killpg(dead, signal.SIGKILL)
    wait_for(lambda: not psutil.pid_exists(dead), what="the killed replica to go")
    agent.start()
    _ticks(agent, 5)  # a few reconcile ticks: nothing may be started twice

    def settled():
        detail = api.get(f"/api/v1/services/{svc['id']}").get_json()
        return detail["replicas"]["ready"] == 2 and detail

    detail = wait_for(settled, what="two ready replicas again")
    now = {r["pid"] for r in detail["replicas"]["items"]}
    assert len(now) == 2 and alive in now and dead not in now
    # The re-adopted replicas' logs are still followed.
    assert api.get(f"/api/v1/services/{svc['id']}/proxy/?after-restart=1").status_code == 200
    wait_for(
        lambda: any(
            "after-restart" in e["message"]
            for e in api.get(f"/api/v1/services/{svc['id']}/logs").get_json()["logs"]
        ),
        what="a log line from an adopted replica",
    )


def test_recreate_strategy_and_rollback_by_number(api_as, setup, agent, worker):
    api = api_as(setup.maintainer)
    svc = _deployed(api, setup.project, replicas=1)
    v2 = _deploy(
        api, svc["id"], image="app:v2", strategy="recreate", replicas=2, env={"COLOR": "blue"}
    )
    assert _finished(api, v2["id"])["status"] == "success"
    detail = api.get(f"/api/v1/services/{svc['id']}").get_json()
    assert detail["currentRevision"] == 2 and detail["replicas"]["ready"] == 2
    assert {r["revision"] for r in detail["replicas"]["items"]} == {2}
    back = api.post(f"/api/v1/services/{svc['id']}/rollback", json={"revision": 1})
    assert back.status_code == 202
    body = back.get_json()
    assert (body["targetImage"], body["previousImage"]) == ("app:v1", "app:v2")
    assert _finished(api, body["deploymentId"])["status"] == "success"
    detail = api.get(f"/api/v1/services/{svc['id']}").get_json()
    assert detail["image"] == "app:v1" and detail["replicas"]["desired"] == 1
    wait_for(
        lambda: len(api.get(f"/api/v1/services/{svc['id']}").get_json()["replicas"]["items"]) == 1,
        what="one replica",
    )
    missing = api.post(f"/api/v1/services/{svc['id']}/rollback", json={"revision": 99})
    assert missing.status_code == 404 and missing.get_json()["details"]["field"] == "revision"


def _sse_events(raw: str) -> list[dict]:
    events = []
    for block in raw.split("\n\n"):
        fields = dict(
            line.split(": ", 1)
            for line in block.splitlines()
            if ": " in line and not line.startswith(":")
        )
        if "data" in fields:
            events.append({"id": fields.get("id"), **json.loads(fields["data"])})
    return events


def test_logs_follow_over_sse_and_resume_with_last_event_id(app, api_as, setup, agent, worker):
    api = api_as(setup.maintainer)
    svc = _deployed(api, setup.project, replicas=1)
    sid = svc["id"]
    api.get(f"/api/v1/services/{sid}/proxy/first")
    wait_for(
        lambda: any(
            "/first" in e["message"]
            for e in api.get(f"/api/v1/services/{sid}/logs").get_json()["logs"]
        ),
        what="first line",
    )

    resp = api.get(f"/api/v1/services/{sid}/logs?follow=true&lines=5", buffered=False)
    assert resp.status_code == 200 and resp.mimetype == "text/event-stream"
    chunks = resp.response
    raw = ""
    while "/first" not in raw:
        raw += next(chunks).decode()
    events = _sse_events(raw)
    assert events and all(e["id"] and e["pod"] for e in events)
    last_id = events[-1]["id"]
    api.get(f"/api/v1/services/{sid}/proxy/second")  # written while we follow
    while "/second" not in raw:
        raw += next(chunks).decode()
    resp.close()

    # A reconnect with Last-Event-ID gets what came after that id, not the backlog again.
    again = api.get(
        f"/api/v1/services/{sid}/logs?follow=true",
        buffered=False,
        headers={"Last-Event-ID": last_id},
    )
    raw2 = ""
    chunks2 = again.response
    while "/second" not in raw2:
        raw2 += next(chunks2).decode()
    again.close()
    assert "/first" not in raw2
    assert api.get(f"/api/v1/services/{sid}/logs?lines=0").status_code == 400
    assert api.get(f"/api/v1/services/{sid}/logs?lines=5001").status_code == 400
    since = api.get(f"/api/v1/services/{sid}/logs?since=2999-01-01T00:00:00Z").get_json()
    assert since == {"logs": []}


ECHO = f"python3 {__file__.rsplit('/', 1)[0]}/echo_server.py"


def test_proxy_forwards_method_headers_query_and_body_with_public_and_private_auth(
    client, api_as, setup, agent, worker
):
    api = api_as(setup.maintainer)
    svc = _deployed(api, setup.project, name="echo", command=ECHO, healthCheckPath="/health")
    sid = svc["id"]
    resp = api.post(
        f"/api/v1/services/{sid}/proxy/orders?q=1&q=2",
        data=b'{"a": 1}',
        headers={"Content-Type": "application/json", "X-Custom": "kept"},
    )
    assert resp.status_code == 201 and resp.headers["X-Echo"] == "yes"
    seen = resp.get_json()
    assert seen["method"] == "POST" and seen["path"] == "/orders?q=1&q=2"
    assert seen["body"] == '{"a": 1}' and seen["headers"]["X-Custom"] == "kept"
    assert seen["greeting"] == "hi"
    # Sparki's credentials never reach the service.
    assert "Authorization" not in seen["headers"] and "X-Api-Key" not in seen["headers"]
    assert seen["headers"]["X-Forwarded-Prefix"] == f"/api/v1/services/{sid}/proxy"
    for method in ("put", "patch", "delete"):
        assert (
            getattr(api, method)(f"/api/v1/services/{sid}/proxy/x").get_json()["method"]
            == method.upper()
        )

    assert client.get(f"/api/v1/services/{sid}/proxy/").status_code == 401  # private
    stranger = api_as(setup.stranger)
    assert stranger.get(f"/api/v1/services/{sid}/proxy/").status_code == 404
    api.patch(f"/api/v1/services/{sid}", json={"urlSettings": {"auth": "public"}})
    anonymous = client.get(f"/api/v1/services/{sid}/proxy/hello?x=y")
    assert anonymous.status_code == 200 and anonymous.get_json()["path"] == "/hello?x=y"


def test_a_deploy_job_resumes_from_where_a_killed_worker_left_it(
    app, api_as, setup, agent, run_jobs
):
    """No worker process here: jobs run in-process, and the first job "dies" mid-rollout."""
    from blueprints.core.extensions import db
    from blueprints.services.jobs import run_deployment
    from blueprints.services.models import Deployment, Revision, Service
    from blueprints.services.rollout import desired_state, set_spec
    from blueprints.services.runtime import get_runtime

    api = api_as(setup.maintainer)
    svc = _create(api, setup.project, replicas=2)
    first = _deploy(api, svc["id"])
    run_jobs()
    assert api.get(f"/api/v1/deployments/{first['id']}").get_json()["status"] == "success"
    second = _deploy(api, svc["id"], image="app:v2")
    with app.app_context():  # what a worker killed after its first step leaves behind
        service = db.session.get(Service, svc["id"])
        old = get_runtime().desired(service.id).sets
        rev2 = db.session.execute(
            db.select(Revision).filter_by(service_id=service.id, number=2)
        ).scalar_one()
        get_runtime().apply(desired_state(service, [*old, set_spec(second["id"], rev2, 1)]))
        db.session.commit()
    run_jobs()
    done = api.get(f"/api/v1/deployments/{second['id']}").get_json()
    assert done["status"] == "success" and done["progress"]["ready"] == 2
    items = api.get(f"/api/v1/services/{svc['id']}").get_json()["replicas"]["items"]
    assert [r["revision"] for r in items] == [2, 2]
    with app.app_context():  # running the job again changes nothing
        assert run_deployment(second["id"]) == "success"
        assert db.session.get(Deployment, second["id"]).status == "success"


def test_worker_services_run_without_http(api_as, setup, agent, worker):
    api = api_as(setup.maintainer)
    svc = _deployed(
        api,
        setup.project,
        name="jobs",
        type="worker",
        replicas=1,
        command="while true; do echo tick $GREETING; sleep 0.2; done",
    )
    assert svc["replicas"]["ready"] == 1 and svc["status"] == "running"
    wait_for(
        lambda: any(
            e["message"] == "tick hi"
            for e in api.get(f"/api/v1/services/{svc['id']}/logs").get_json()["logs"]
        ),
        what="ticks",
    )
    assert api.get(f"/api/v1/services/{svc['id']}/check").get_json()["status"] == "healthy"
    assert api.get(f"/api/v1/services/{svc['id']}/proxy/").status_code == 404


def test_stop_replicas_command_stops_what_a_stopped_agent_left_and_start_restores(
    app, api_as, setup, agent, worker
):
    """`sparki agent --stop-replicas` (and `sparki up --stop-services`) end every replica; the
    desired state is kept, so the next agent brings the service back."""
    import subprocess

    from tests.services.conftest import SPARKI, _child_env

    api = api_as(setup.maintainer)
    svc = _deployed(api, setup.project, replicas=2)
    pids = {r["pid"] for r in svc["replicas"]["items"]}
    env = _child_env(app, AGENT_DATA_DIR=agent.data_dir)
    refused = subprocess.run(
        [SPARKI, "agent", "--stop-replicas"], env=env, capture_output=True, text=True, timeout=60
    )
    assert refused.returncode != 0 and "an agent is running" in refused.stderr
    agent.kill(signal.SIGTERM)  # a clean stop releases the lock; replicas keep running
    assert all(psutil.pid_exists(p) for p in pids)
    done = subprocess.run(
        [SPARKI, "agent", "--stop-replicas"], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0 and "stopped 2 replicas" in done.stdout
    wait_for(lambda: not any(psutil.pid_exists(p) for p in pids), what="the replicas to exit")
    agent.start()
    detail = wait_for(
        lambda: (
            (d := api.get(f"/api/v1/services/{svc['id']}").get_json())["replicas"]["ready"] == 2
            and d
        ),
        what="replicas restored",
    )
    assert not pids & {r["pid"] for r in detail["replicas"]["items"]}
