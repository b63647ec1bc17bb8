"""The same scenarios against a real cluster (kind, k3d, minikube), opt-in:

    SPARKI_TEST_KUBECONFIG=~/.kube/config .venv/bin/python -m pytest tests/kubernetes -k real

Skipped unless SPARKI_TEST_KUBECONFIG names a kubeconfig (SPARKI_TEST_K8S_CONTEXT picks its
context). The cluster must pull `nginxinc/nginx-unprivileged` (it serves / on 8080); the
tests make namespaces `sparki-test-org-…` and delete the services they make (the namespaces
stay, as Sparki leaves them).
"""

from __future__ import annotations

import os

import pytest

from tests.conftest import ApiClient, make_app
from tests.support.waiting import wait_until

KUBECONFIG = os.environ.get("SPARKI_TEST_KUBECONFIG", "")
IMAGE = "nginxinc/nginx-unprivileged:stable-alpine"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not KUBECONFIG, reason="SPARKI_TEST_KUBECONFIG is not set"),
]


@pytest.fixture
def real(app, database_url, redis_url, factory):
    from blueprints.core.extensions import limiter

    k8s = make_app(
        database_url,
        redis_url,
        SPARKI_RUNTIME="kubernetes",
        KUBECONFIG=os.path.expanduser(KUBECONFIG),
        SPARKI_K8S_CONTEXT=os.environ.get("SPARKI_TEST_K8S_CONTEXT", ""),
        SPARKI_K8S_NAMESPACE_PREFIX="sparki-test-",
        DEPLOY_READY_TIMEOUT=180.0,
        SPARKI_K8S_TIMEOUT=30.0,
    )
    user = factory.user(roles=["admin"])
    api = ApiClient(k8s.test_client(), {"Authorization": f"Bearer {factory.token(user)}"})
    yield k8s, api
    limiter.init_app(app)


def _jobs(k8s):
    from blueprints.core.extensions import get_redis
    from blueprints.core.jobs import SparkiSimpleWorker, get_queue

    with k8s.app_context():
        conn = get_redis()
        queues = [get_queue(q, conn) for q in k8s.config["RQ_QUEUES"]]
        SparkiSimpleWorker(queues, connection=conn, app=k8s).work(burst=True, with_scheduler=False)


def _deploy(k8s, api, sid, **body):
    r = api.post(f"/api/v1/services/{sid}/{body.pop('_action', 'deploy')}", json=body)
    assert r.status_code == 202, r.get_json()
    _jobs(k8s)
    return api.get(f"/api/v1/deployments/{r.get_json()['deploymentId']}").get_json()


def test_a_service_on_a_real_cluster(real):
    k8s, api = real
    project = api.post("/api/v1/projects", json={"name": "real"}).get_json()["id"]
    r = api.post(
        "/api/v1/services",
        json={"projectId": project, "name": "web", "image": IMAGE, "replicas": 2, "port": 8080},
    )
    assert r.status_code == 201, r.get_json()
    sid = r.get_json()["id"]
    try:
        assert _deploy(k8s, api, sid)["status"] == "success"
        check = api.get(f"/api/v1/services/{sid}/check").get_json()
        assert check["status"] == "healthy", check
        assert api.get(f"/api/v1/services/{sid}/proxy/").status_code == 200
        wait_until(
            lambda: api.get(f"/api/v1/services/{sid}/logs").get_json()["logs"],
            timeout=120,
            what="log lines",
        )
        assert _deploy(k8s, api, sid, env={"REV": "2"})["status"] == "success"
        failed = _deploy(k8s, api, sid, image="registry.invalid/none:1")
        assert failed["status"] == "failed"
        assert api.get(f"/api/v1/services/{sid}/check").get_json()["status"] == "healthy"
        assert _deploy(k8s, api, sid, revision=1, _action="rollback")["status"] == "success"
        assert _deploy(k8s, api, sid, _action="restart")["status"] == "success"
        assert api.post(f"/api/v1/services/{sid}/stop").status_code == 200
        assert api.post(f"/api/v1/services/{sid}/start").status_code == 200
        cluster = api.get("/api/v1/infrastructure/cluster").get_json()
        assert cluster["nodes"]["ready"] >= 1 and cluster["version"].startswith("v1.")
    finally:
        api.delete(f"/api/v1/services/{sid}")
