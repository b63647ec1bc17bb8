"""Services on the real local runtime: a `sparki agent` subprocess supervising real child
processes, a real `sparki worker` running the deploy jobs, and the API in front."""

from __future__ import annotations

import json
import os
import signal
import time

import psutil
import pytest

from tests.services.conftest import HTTP_SERVER, wait_for

pytestmark = pytest.mark.slow


def _create(api, project, name="web", **extra):
    body = {"projectId": project, "name": name, "type": "web", "image": "app:v1",
            "command": HTTP_SERVER, "env": {"GREETING": "hi"}, "replicas": 2,
            "healthCheckPath": "/", **extra}
    resp = api.post("/api/v1/services", json=body)
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()


def _finished(api, deployment_id, timeout=40.0):
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

    line = wait_for(access_logged, timeout=10, what="the access log line")[0]
    assert line["level"] == "info" and line["pod"].startswith("web-r1-")

    # A broken revision never gets healthy: the deploy fails and the old replicas keep serving.
    bad = _deploy(api, svc["id"], image="app:broken", command="echo boom >&2; exit 3")
    conflict = api.post(f"/api/v1/services/{svc['id']}/deploy", json={})
    assert conflict.status_code == 409
    failed = _finished(api, bad["id"])
    assert failed["status"] == "failed" and "did not become ready" in failed["message"]
    detail = api.get(f"/api/v1/services/{svc['id']}").get_json()
    assert detail["status"] == "running" and detail["currentRevision"] == 1
    wait_for(lambda: {r["pid"] for r in api.get(f"/api/v1/services/{svc['id']}").get_json()
                      ["replicas"]["items"]} == pids, timeout=15, what="only the old replicas")
    assert api.get(f"/api/v1/services/{svc['id']}/proxy/").status_code == 200
    logs = api.get(f"/api/v1/services/{svc['id']}/logs?lines=1000").get_json()["logs"]
    assert any(e["message"] == "boom" and e["level"] == "error" for e in logs)

    # Rollback by image tag makes a new revision from revision 1.
    resp = api.post(f"/api/v1/services/{svc['id']}/rollback", json={"revision": "app:v1"})
    assert resp.status_code == 202, resp.get_json()
    body = resp.get_json()
    assert body["targetImage"] == "app:v1" and body["previousImage"] == "app:v1"
    assert body["revision"] == 3
    assert _finished(api, body["deploymentId"])["status"] == "success"
    listing = api.get(f"/api/v1/services/{svc['id']}/deployments").get_json()
    assert [d["status"] for d in listing["data"]] == ["success", "failed", "success"]
    assert listing["data"][0]["createdBy"]["id"] == setup.maintainer
    assert listing["data"][1]["durationSeconds"] > 0
