"""The infrastructure API reports this host's real figures in the seed's shapes."""

from __future__ import annotations

import platform

import psutil

from tests.infrastructure.conftest import NODE


def test_cluster_reports_real_figures(node_ready, app):
    body = node_ready.get("/api/v1/infrastructure/cluster").json
    assert body["name"] == app.config["SPARKI_CLUSTER_NAME"]
    assert body["status"] == "healthy"
    assert body["nodes"] == {"total": 1, "ready": 1, "notReady": 0}
    assert body["compute"]["memoryAllocatable"] == psutil.virtual_memory().total
    assert body["compute"]["cpuAllocatable"] == psutil.cpu_count()
    assert 0 < body["compute"]["memoryUsed"] < body["compute"]["memoryAllocatable"]
    assert body["storage"]["totalCapacity"] > 0
    assert body["security"]["rbacEnabled"] is True
    assert body["version"].startswith("sparki-agent")
    assert body["lastHealthCheck"].endswith("Z")
    assert set(body["networking"]) == {"serviceCount", "endpoints", "connectionCount"}


def test_nodes_list_the_host(node_ready):
    body = node_ready.get("/api/v1/infrastructure/nodes").json
    [node] = body["data"]
    assert node["name"] == NODE
    assert node["status"] == "Ready"
    assert node["kind"] == "local"
    assert node["kernelVersion"] == platform.release()
    assert node["capacity"]["memory"] == psutil.virtual_memory().total
    assert node["allocatable"]["cpu"] == psutil.cpu_count()
    assert node["podCount"] == node["replicaCount"] == 0
    assert node["osImage"]


def test_metrics_shape_and_memory_total(node_ready):
    body = node_ready.get("/api/v1/infrastructure/metrics").json
    memory = body["cluster"]["memory"]
    assert memory["allocatable"] == psutil.virtual_memory().total
    assert memory["utilizationPercent"] == round(100 * memory["used"] / memory["allocatable"], 2)
    for key in ("cpu", "disk"):
        assert set(body["cluster"][key]) == {"used", "allocatable", "utilizationPercent"}
    assert set(body["network"]) == {
        "ingressBytesPerSecond",
        "egressBytesPerSecond",
        "connectionCount",
    }
    assert body["network"]["ingressBytesPerSecond"] >= 0
    assert body["timestamp"].endswith("Z")


def test_no_node_reported_means_unavailable(api_as, factory):
    client = api_as(factory.user(roles=["viewer"]))
    body = client.get("/api/v1/infrastructure/cluster").json
    assert body["status"] == "unavailable"
    assert body["nodes"] == {"total": 0, "ready": 0, "notReady": 0}
    assert client.get("/api/v1/infrastructure/metrics").json["nodes"] == []


def test_endpoints_need_authentication(client):
    for path in ("cluster", "nodes", "metrics", "metrics/history", "thresholds", "alerts"):
        resp = client.get(f"/api/v1/infrastructure/{path}")
        assert resp.status_code == 401, path
        assert resp.json["error"] == "authentication_failed"


def test_the_local_runtime_measures_every_figure(node_ready, app):
    """Unlike Kubernetes (metrics.k8s.io: CPU and memory only), the local runtime reads disk
    and network too: none of them is null, and nothing is said to be unmeasured."""
    from blueprints.infrastructure.domain import evaluate_alerts

    body = node_ready.get("/api/v1/infrastructure/metrics").json
    assert body["unmeasuredReason"] is None
    [node] = body["nodes"]
    for figures in (body["cluster"], node):
        assert figures["disk"]["allocatable"] > 0 and figures["disk"]["used"] > 0
    for network in (body["network"], node["network"]):
        assert all(isinstance(v, int | float) for v in network.values()), network
    history = node_ready.get("/api/v1/infrastructure/metrics/history?window=5m").json
    assert history["unmeasuredReason"] is None
    assert history["points"][-1]["disk"]["allocatable"] > 0
    assert None not in history["points"][-1]["network"].values()
    cluster = node_ready.get("/api/v1/infrastructure/cluster").json
    assert cluster["storage"]["used"] > 0 and cluster["networking"]["connectionCount"] >= 0
    with app.app_context():
        assert evaluate_alerts()["unmeasured"] == 0
