"""Logs, health checks and the proxy on the Kubernetes runtime, and every way the cluster can
refuse: each a 503 `service_unavailable` naming the cause, with /api/v1/health saying so."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.kubernetes.test_k8s_services import _deploy, _service
from tests.support.waiting import wait_until


def _running(api, jobs, **extra) -> dict:
    svc = _service(api, **extra)
    assert _deploy(api, jobs, svc["id"])["status"] == "success"
    return svc


def _pods(cluster) -> list[str]:
    return sorted(p["metadata"]["name"] for p in cluster.objects("v1/pods"))


def test_logs_of_every_pod_merged_by_time(cluster, k8s_api, k8s_jobs):
    svc = _running(k8s_api, k8s_jobs)
    a, b = _pods(cluster)
    t0 = datetime.now(UTC) - timedelta(seconds=20)
    cluster.write_log(a, "INFO starting", t0)
    cluster.write_log(b, "ERROR no database", t0 + timedelta(seconds=1))
    cluster.write_log(a, "listening", t0 + timedelta(seconds=2))
    r = k8s_api.get(f"/api/v1/services/{svc['id']}/logs?lines=10")
    assert r.status_code == 200, r.get_json()
    logs = r.get_json()["logs"]
    assert [(e["pod"], e["message"]) for e in logs] == [
        (a, "INFO starting"),
        (b, "ERROR no database"),
        (a, "listening"),
    ]
    assert logs[1]["level"] == "error"
    r = k8s_api.get(f"/api/v1/services/{svc['id']}/logs?lines=2")
    assert [e["message"] for e in r.get_json()["logs"]] == ["ERROR no database", "listening"]


def test_following_logs_resumes_after_a_position_and_joins_new_pods(
    cluster, k8s_app, k8s_api, k8s_jobs
):
    import threading

    from blueprints.services.runtime import get_runtime

    svc = _running(k8s_api, k8s_jobs)
    a, b = _pods(cluster)
    cluster.write_log(a, "one", datetime.now(UTC) - timedelta(seconds=5))
    with k8s_app.app_context():
        runtime = get_runtime()
        (first,) = runtime.read_logs(svc["id"], lines=1)
        stream = runtime.stream_logs(svc["id"], after=first.id, wait_seconds=0.5)
        cluster.write_log(a, "two")
        batch = wait_until(lambda: next(stream), what="the followed line")
        assert [e.message for e in batch] == ["two"]
        cluster.write_log(b, "three")
        cluster.write_log(a, "four")
        seen = []
        wait_until(lambda: seen.extend(next(stream)) or len(seen) >= 2, what="more lines")
        # each pod's stream is its own: lines of two pods may come in separate batches
        assert sorted((e.pod, e.message) for e in seen) == sorted([(b, "three"), (a, "four")])
        # a pod that starts later (a rollout) is followed too
        cluster.paused = True  # the Deployment controller would remove a pod it did not make
        pod = cluster.objects("v1/pods")[0]
        meta = {**pod["metadata"], "name": "late-pod"}
        cluster.put("v1/pods", meta["namespace"], {**pod, "metadata": meta})
        cluster.write_log("late-pod", "from the new pod")
        batch = wait_until(lambda: next(stream), what="the new pod's line")
        assert [(e.pod, e.message) for e in batch] == [("late-pod", "from the new pod")]
        assert cluster.follows == 3  # one streaming read per pod, kept open
        ids = [e.id for e in [*seen, *batch]]
        assert ids == sorted(ids, key=lambda i: tuple(map(int, i.split("-"))))
        stream.close()  # the client left: every stream is shut
        wait_until(
            lambda: not [t for t in threading.enumerate() if t.name.startswith("log-follow-")],
            what="the followers to stop",
        )
        resumed = runtime.stream_logs(svc["id"], after=batch[-1].id, wait_seconds=0.2)
        assert next(resumed) == []  # nothing after the last position
        resumed.close()


def test_health_check_and_proxy_go_through_the_service_proxy(cluster, k8s_app, k8s_api, k8s_jobs):
    health = k8s_app.test_client().get("/api/v1/health").get_json()
    assert health["runtime"] == {"name": "kubernetes", "status": "up", "reason": ""}
    svc = _running(k8s_api, k8s_jobs)
    cluster.answers["/healthz"] = (200, b"ok")
    cluster.answers["/items"] = (201, b'{"items": []}')
    r = k8s_api.get(f"/api/v1/services/{svc['id']}/check")
    body = r.get_json()
    assert body["status"] == "healthy", body
    assert "answered 200" in body["reason"]
    r = k8s_api.get(f"/api/v1/services/{svc['id']}/proxy/items")
    assert r.status_code == 201 and r.get_data() == b'{"items": []}'
    cluster.answers["/healthz"] = (500, b"broken")
    body = k8s_api.get(f"/api/v1/services/{svc['id']}/check").get_json()
    assert body["status"] == "unhealthy" and "500" in body["reason"]


def test_replicas_show_node_ip_restarts_and_termination_reason(cluster, k8s_app, k8s_api, k8s_jobs):
    from tests.support.sessions import session_client

    svc = _running(k8s_api, k8s_jobs)
    cluster.paused = True  # the test is the kubelet now
    pod = cluster.objects("v1/pods")[0]["metadata"]
    cluster.patch(
        "v1/pods",
        pod["namespace"],
        pod["name"],
        {
            "status": {
                "conditions": [{"type": "Ready", "status": "False"}],
                "containerStatuses": [
                    {
                        "name": "app",
                        "ready": False,
                        "restartCount": 2,
                        "state": {
                            "waiting": {"reason": "CrashLoopBackOff", "message": "back-off 20s"}
                        },
                        "lastState": {"terminated": {"reason": "OOMKilled", "exitCode": 137}},
                    }
                ],
            }
        },
    )
    items = k8s_api.get(f"/api/v1/services/{svc['id']}").get_json()["replicas"]["items"]
    crashed = next(i for i in items if i["pod"] == pod["name"])
    assert crashed["state"] == "crashed" and not crashed["ready"]
    assert crashed["restarts"] == 2 and crashed["lastExitCode"] == 137
    assert crashed["reason"] == "CrashLoopBackOff"
    assert "OOMKilled" in crashed["message"]
    assert crashed["node"] == "node-a" and crashed["address"].endswith(":8000")
    assert crashed["startedAt"].endswith("Z") and crashed["revision"] == 1
    healthy = next(i for i in items if i["pod"] != pod["name"])
    assert healthy["state"] == "running" and healthy["ready"] and healthy["reason"] == ""
    # The service page's replica table says it too, beside the state.
    page = session_client(k8s_app, k8s_api.user_id).get(f"/services/{svc['id']}/replicas")
    row = next(r for r in page.get_data(as_text=True).split("<tr>") if pod["name"] in r)
    assert "crashed" in row and '<small class="replica-reason">CrashLoopBackOff</small>' in row


def test_a_crash_looping_deploy_quotes_the_previous_runs_last_words(cluster, k8s_api, k8s_jobs):
    cluster.previous_logs["*"] = ["booting", "fatal: DATABASE_URL is not set"]
    svc = _service(k8s_api, image="shop/api:crash")
    failed = _deploy(k8s_api, k8s_jobs, svc["id"])
    assert failed["status"] == "failed"
    assert "crash-looping" in failed["message"] and "CrashLoopBackOff" in failed["message"]
    assert "fatal: DATABASE_URL is not set" in failed["message"]


def test_a_second_organization_gets_a_namespace_of_its_own(cluster, k8s_app, factory, k8s_jobs):
    from tests.conftest import ApiClient

    for _ in range(2):
        user = factory.user(roles=["admin"])
        api = ApiClient(k8s_app.test_client(), {"Authorization": f"Bearer {factory.token(user)}"})
        _running(api, k8s_jobs)
    namespaces = {n["metadata"]["name"] for n in cluster.objects("v1/namespaces")}
    assert len(namespaces) == 2
    assert {d["metadata"]["namespace"] for d in cluster.objects("apps/v1/deployments")} == (
        namespaces
    )


@pytest.mark.parametrize(
    ("status", "cause", "words"),
    [
        (401, "unauthorized", "401 Unauthorized"),
        (403, "forbidden", "RBAC"),
        (404, "not_found", "404"),
        (410, "gone", "410 Gone"),
    ],
)
def test_a_refusing_cluster_is_a_503_naming_the_cause(cluster, k8s_api, status, cause, words):
    svc = _service(k8s_api)
    (
        cluster.api["get /api/v1/pods"]
        << status
        << {"kind": "Status", "apiVersion": "v1", "code": status, "message": f"refused {status}"}
    )
    r = k8s_api.get(f"/api/v1/services/{svc['id']}")
    assert r.status_code == 503
    body = r.get_json()
    assert body["error"] == "service_unavailable"
    assert body["details"]["cause"] == cause and words in body["message"]


def test_conflict_on_create_is_taken_as_the_object_being_there(cluster, k8s_api, k8s_jobs):
    svc = _service(k8s_api)
    assert _deploy(k8s_api, k8s_jobs, svc["id"])["status"] == "success"
    # the Service exists already: the next deploy's create answers 409 and goes on
    assert _deploy(k8s_api, k8s_jobs, svc["id"], image="shop/api:v2")["status"] == "success"
    assert len(cluster.objects("v1/services")) == 1


def test_no_cluster_and_no_kubeconfig(database_url, redis_url, app, factory, tmp_path):
    from blueprints.core.extensions import limiter
    from tests.conftest import ApiClient, make_app

    dead = tmp_path / "dead"
    dead.write_text(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n"
        "    server: http://127.0.0.1:9\ncontexts:\n- name: x\n  context:\n    cluster: c\n"
        "    user: u\nusers:\n- name: u\n  user: {}\ncurrent-context: x\n"
    )
    try:
        for path, cause in ((str(dead), "unreachable"), (str(tmp_path / "none"), "kubeconfig")):
            k8s = make_app(database_url, redis_url, SPARKI_RUNTIME="kubernetes", KUBECONFIG=path)
            user = factory.user(roles=["admin"])
            api = ApiClient(k8s.test_client(), {"Authorization": f"Bearer {factory.token(user)}"})
            r = api.get("/api/v1/infrastructure/cluster")
            assert r.status_code == 503, r.get_json()
            assert r.get_json()["details"]["cause"] == cause
            health = k8s.test_client().get("/api/v1/health")
            assert health.status_code == 200  # Sparki itself is alive
            assert health.get_json()["runtime"]["status"] == "down"
            assert health.get_json()["runtime"]["reason"]
            assert api.get("/api/v1/projects").status_code == 200  # nothing else breaks
    finally:
        limiter.init_app(app)
