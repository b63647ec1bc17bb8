"""A service's whole life on the Kubernetes runtime, through the API, against the emulated
cluster: create, deploy (rolling update), a failed rollout undone, rollback, stop, start,
restart, replicas, logs read and followed, health check, proxy, delete."""

from __future__ import annotations

import json

from tests.kubernetes.emulator import DEPLOYMENTS
from tests.support.waiting import wait_until


def _project(api) -> str:
    r = api.post("/api/v1/projects", json={"name": "shop"})
    assert r.status_code == 201, r.get_json()
    return r.get_json()["id"]


def _service(api, image="shop/api:v1", **extra) -> dict:
    body = {
        "projectId": _project(api),
        "name": "api",
        "image": image,
        "replicas": 2,
        "healthCheckPath": "/healthz",
        "port": 8000,
        **extra,
    }
    r = api.post("/api/v1/services", json=body)
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def _deploy(api, jobs, service_id, **body) -> dict:
    r = api.post(f"/api/v1/services/{service_id}/deploy", json=body)
    assert r.status_code == 202, r.get_json()
    jobs()
    return api.get(f"/api/v1/deployments/{r.get_json()['deploymentId']}").get_json()


def _deployment(cluster) -> dict:
    found = cluster.objects(DEPLOYMENTS)
    assert len(found) == 1, found
    return found[0]


def test_deploy_makes_a_deployment_and_a_service_in_the_org_namespace(cluster, k8s_api, k8s_jobs):
    svc = _service(k8s_api, command="python -m app", env={"MODE": "prod"})
    done = _deploy(k8s_api, k8s_jobs, svc["id"])
    assert done["status"] == "success", done
    assert done["progress"] == {"updated": 2, "ready": 2, "available": 2, "desired": 2}

    namespaces = cluster.objects("v1/namespaces")
    assert len(namespaces) == 1
    ns = namespaces[0]["metadata"]
    assert ns["name"].startswith("sparki-org-")
    assert ns["labels"]["app.kubernetes.io/managed-by"] == "sparki"

    dep = _deployment(cluster)
    assert dep["metadata"]["namespace"] == ns["name"]
    spec = dep["spec"]
    assert spec["replicas"] == 2
    assert spec["strategy"] == {
        "type": "RollingUpdate",
        "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0},
    }
    assert spec["progressDeadlineSeconds"] == 30
    container = spec["template"]["spec"]["containers"][0]
    assert container["image"] == "shop/api:v1"
    assert container["command"] == ["sh", "-c", "python -m app"]
    assert {"name": "PORT", "value": "8000"} in container["env"]
    assert {"name": "MODE", "value": "prod"} in container["env"]
    assert container["readinessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    labels = spec["template"]["metadata"]["labels"]
    assert labels["sparki.dev/service"] == svc["id"] and labels["sparki.dev/revision"] == "1"

    (service,) = cluster.objects("v1/services")
    assert service["spec"]["type"] == "ClusterIP"
    assert service["spec"]["ports"][0]["port"] == 80
    assert service["spec"]["selector"] == {"sparki.dev/service": svc["id"]}

    view = k8s_api.get(f"/api/v1/services/{svc['id']}").get_json()
    assert view["status"] == "running"
    assert view["replicas"]["ready"] == 2
    items = view["replicas"]["items"]
    assert {i["node"] for i in items} == {"node-a"}
    assert all(i["state"] == "running" and i["ready"] for i in items)


def test_a_worker_has_no_readiness_probe_and_recreate_maps_to_recreate(cluster, k8s_api, k8s_jobs):
    svc = _service(k8s_api, type="worker")
    assert _deploy(k8s_api, k8s_jobs, svc["id"], strategy="recreate")["status"] == "success"
    spec = _deployment(cluster)["spec"]
    assert spec["strategy"]["type"] == "Recreate"
    assert "readinessProbe" not in spec["template"]["spec"]["containers"][0]


def test_a_rollout_past_its_deadline_fails_and_the_last_good_revision_is_applied(
    cluster, k8s_api, k8s_jobs
):
    svc = _service(k8s_api)
    assert _deploy(k8s_api, k8s_jobs, svc["id"])["status"] == "success"
    failed = _deploy(k8s_api, k8s_jobs, svc["id"], image="shop/api:hang")
    assert failed["status"] == "failed"
    assert "ProgressDeadlineExceeded" in failed["message"]
    container = _deployment(cluster)["spec"]["template"]["spec"]["containers"][0]
    assert container["image"] == "shop/api:v1"  # undone: the old pods keep serving
    view = wait_until(
        lambda: (
            (v := k8s_api.get(f"/api/v1/services/{svc['id']}").get_json())["replicas"]["ready"] == 2
            and v
        ),
        what="the old replicas serving",
    )
    assert view["status"] == "running" and view["currentRevision"] == 1


def test_a_crash_looping_pod_fails_the_deploy_with_its_reason(cluster, k8s_api, k8s_jobs):
    svc = _service(k8s_api)
    assert _deploy(k8s_api, k8s_jobs, svc["id"])["status"] == "success"
    failed = _deploy(k8s_api, k8s_jobs, svc["id"], image="shop/api:oom")
    assert failed["status"] == "failed"
    assert "crash-looping" in failed["message"] and "OOMKilled" in failed["message"]
    image = _deployment(cluster)["spec"]["template"]["spec"]["containers"][0]["image"]
    assert image == "shop/api:v1"


def test_an_image_that_cannot_be_pulled_fails_at_once(cluster, k8s_api, k8s_jobs):
    svc = _service(k8s_api)
    failed = _deploy(k8s_api, k8s_jobs, svc["id"], image="shop/api:pull")
    assert failed["status"] == "failed"
    assert "ImagePullBackOff" in failed["message"]
    assert _deployment(cluster)["spec"]["replicas"] == 0  # nothing ran before: nothing runs


def test_rollback_stop_start_restart_and_delete(cluster, k8s_api, k8s_jobs):
    svc = _service(k8s_api)
    sid = svc["id"]
    assert _deploy(k8s_api, k8s_jobs, sid)["status"] == "success"
    assert _deploy(k8s_api, k8s_jobs, sid, image="shop/api:v2")["status"] == "success"

    r = k8s_api.post(f"/api/v1/services/{sid}/rollback", json={"revision": 1})
    assert r.status_code == 202, r.get_json()
    k8s_jobs()
    done = k8s_api.get(f"/api/v1/deployments/{r.get_json()['deploymentId']}").get_json()
    assert done["status"] == "success"
    image = _deployment(cluster)["spec"]["template"]["spec"]["containers"][0]["image"]
    assert image == "shop/api:v1"

    assert k8s_api.post(f"/api/v1/services/{sid}/stop").status_code == 200
    assert _deployment(cluster)["spec"]["replicas"] == 0
    wait_until(lambda: not cluster.objects("v1/pods"), what="the pods to go")
    assert k8s_api.get(f"/api/v1/services/{sid}").get_json()["health"]["status"] == "hibernated"

    assert k8s_api.post(f"/api/v1/services/{sid}/start").status_code == 200
    assert _deployment(cluster)["spec"]["replicas"] == 2
    wait_until(lambda: len(cluster.objects("v1/pods")) == 2, what="the pods to come back")

    before = {p["metadata"]["name"] for p in cluster.objects("v1/pods")}
    r = k8s_api.post(f"/api/v1/services/{sid}/restart")
    assert r.status_code == 202, r.get_json()
    k8s_jobs()
    done = k8s_api.get(f"/api/v1/deployments/{r.get_json()['deploymentId']}").get_json()
    assert done["status"] == "success", done
    template = _deployment(cluster)["spec"]["template"]
    assert "kubectl.kubernetes.io/restartedAt" in template["metadata"]["annotations"]
    after = {p["metadata"]["name"] for p in cluster.objects("v1/pods")}
    assert after and not after & before  # every pod replaced

    desired = json.loads(_deployment(cluster)["metadata"]["annotations"]["sparki.dev/desired"])
    assert desired["service_id"] == sid and desired["sets"][0]["image"] == "shop/api:v1"

    assert k8s_api.delete(f"/api/v1/services/{sid}").status_code == 200
    assert cluster.objects(DEPLOYMENTS) == [] and cluster.objects("v1/services") == []
    k8s_jobs()  # the cleanup job sees the pods go (the garbage collector)
    assert cluster.objects("v1/pods") == []
