"""The Cluster page and API filled from the cluster's own figures, health recorded by the
scheduler's job (no agent on Kubernetes), and node readings sampled for history."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.kubernetes.test_k8s_services import _deploy, _service


def _metrics(cluster, **cpu_mem):
    """metrics-server: serve `metrics.k8s.io/v1beta1/nodes` with these usages."""
    cluster.api.resources["metrics.k8s.io/v1beta1/nodes"] = {}
    for name, (cpu, memory) in cpu_mem.items():
        cluster.put(
            "metrics.k8s.io/v1beta1/nodes",
            None,
            {
                "apiVersion": "metrics.k8s.io/v1beta1",
                "kind": "NodeMetrics",
                "metadata": {"name": name.replace("_", "-")},
                "timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "window": "20s",
                "usage": {"cpu": cpu, "memory": memory},
            },
        )


def test_cluster_page_and_api_from_the_cluster(cluster, k8s_app, k8s_api, k8s_jobs):
    cluster.add_node("node-a", **{"node-role.kubernetes.io/control-plane": ""})
    cluster.add_node("node-b")
    cluster.put(
        "v1/persistentvolumes",
        None,
        {
            "apiVersion": "v1",
            "kind": "PersistentVolume",
            "metadata": {"name": "pv-1"},
            "spec": {"capacity": {"storage": "10Gi"}},
        },
    )
    cluster.put(
        "v1/persistentvolumeclaims",
        "shop",
        {
            "apiVersion": "v1",
            "kind": "PersistentVolumeClaim",
            "metadata": {"name": "data", "namespace": "shop"},
            "spec": {},
        },
    )
    cluster.put(
        "networking.k8s.io/v1/networkpolicies",
        "shop",
        {
            "metadata": {"name": "deny-all", "namespace": "shop"},
            "spec": {},
        },
    )
    svc = _service(k8s_api)
    assert _deploy(k8s_api, k8s_jobs, svc["id"])["status"] == "success"

    # metrics-server absent: used figures are null, with the reason
    body = k8s_api.get("/api/v1/infrastructure/cluster").get_json()
    assert body["name"] == "emulated"  # the kubeconfig context's cluster
    assert body["version"] == "v1.31.4"
    assert body["runtime"] == "kubernetes"
    assert body["nodes"] == {"total": 2, "ready": 2, "notReady": 0}
    compute = body["compute"]
    assert compute["cpuAllocatable"] == 3.86  # 2 x 1930m
    assert compute["memoryAllocatable"] == 2 * 7000 * 2**20
    assert compute["cpuUsed"] is None and compute["memoryUsed"] is None
    assert "metrics-server" in compute["usageUnavailableReason"]
    assert body["storage"]["persistentVolumes"] == 1
    assert body["storage"]["persistentVolumeClaims"] == 1
    assert body["storage"]["totalCapacity"] == 10 * 2**30
    net = body["networking"]
    assert net["networkPolicies"] == 1 and net["ingresses"] == 0 and net["clusterServices"] == 1
    assert body["security"]["networkPoliciesEnabled"] is True

    nodes = k8s_api.get("/api/v1/infrastructure/nodes").get_json()["data"]
    a = next(n for n in nodes if n["name"] == "node-a")
    assert a["role"] == "control-plane" and a["instanceType"] == "m5.large"
    assert a["kubeletVersion"] == "v1.31.4-eks-1234"
    assert a["runtimeVersion"] == "containerd://1.7.22"
    assert a["osImage"] == "Amazon Linux 2023"
    assert a["capacity"]["cpu"] == 2.0 and a["allocatable"]["cpu"] == 1.93
    assert a["podCount"] == 2  # the service's two pods run there
    assert a["createdAt"] == "2026-01-02T03:04:05.000Z"

    from tests.support.sessions import session_client

    browser = session_client(k8s_app, k8s_api.user_id)
    page = browser.get("/cluster")  # the page renders from the same figures
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "metrics-server is not installed" in html and "node-b" in html
    assert "1 ingresses" not in html and "0 ingresses" in html
    service_page = browser.get(f"/services/{svc['id']}")
    assert service_page.status_code == 200 and "shop/api:v1" in service_page.get_data(True)

    # metrics-server present; a node goes NotReady
    _metrics(cluster, node_a=("500m", "1Gi"), node_b=("250000000n", "512Mi"))
    body = k8s_api.get("/api/v1/infrastructure/cluster").get_json()
    assert body["compute"]["cpuUsed"] == 0.75
    assert body["compute"]["memoryUsed"] == 1536 * 2**20
    assert body["compute"]["usageUnavailableReason"] is None
    cluster.add_node("node-b", ready=False)
    body = k8s_api.get("/api/v1/infrastructure/cluster").get_json()
    assert body["nodes"] == {"total": 2, "ready": 1, "notReady": 1}
    assert body["status"] == "degraded"
    assert body["compute"]["cpuUsed"] == 0.5  # a NotReady node's usage is not counted

    metrics = k8s_api.get("/api/v1/infrastructure/metrics").get_json()
    assert [n["name"] for n in metrics["nodes"]] == ["node-a"]
    assert metrics["cluster"]["cpu"]["used"] == 0.5


def test_the_scheduler_job_records_health_and_samples_nodes(cluster, k8s_app, k8s_api, k8s_jobs):
    from blueprints.core.events import Event  # noqa: F401 (the table)
    from blueprints.core.extensions import db
    from blueprints.services.jobs import observe_runtime
    from blueprints.services.models import Service

    cluster.add_node("node-a")
    _metrics(cluster, node_a=("500m", "1Gi"))
    svc = _service(k8s_api)
    assert _deploy(k8s_api, k8s_jobs, svc["id"])["status"] == "success"
    with k8s_app.app_context():
        assert observe_runtime() == {"services": 1, "nodes": 1}
        assert db.session.get(Service, svc["id"]).health_status == "healthy"
        # a pod crash-loops: unhealthy, and an alert
        for pod in cluster.objects("v1/pods"):
            meta = pod["metadata"]
            cluster.patch(
                "v1/pods",
                meta["namespace"],
                meta["name"],
                {
                    "status": {
                        "conditions": [{"type": "Ready", "status": "False"}],
                        "containerStatuses": [
                            {
                                "name": "app",
                                "ready": False,
                                "restartCount": 4,
                                "state": {"waiting": {"reason": "CrashLoopBackOff"}},
                                "lastState": {"terminated": {"reason": "Error", "exitCode": 2}},
                            }
                        ],
                    }
                },
            )
        cluster.paused = True  # the controllers would heal them
        observe_runtime()
        db.session.remove()
        service = db.session.get(Service, svc["id"])
        assert service.health_status == "unhealthy"
        assert "CrashLoopBackOff" in service.health_reason
        db.session.remove()
    events = k8s_api.get("/api/v1/events").get_json()["data"]
    alerts = [e for e in events if e["type"] == "alert.triggered"]
    assert [e["data"]["serviceId"] for e in alerts] == [svc["id"]]
    history = k8s_api.get("/api/v1/infrastructure/metrics/history?window=5m").get_json()
    assert history["points"] and history["points"][-1]["cpu"]["used"] == 0.5
