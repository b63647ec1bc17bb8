"""On Kubernetes, metrics.k8s.io reports CPU and memory only: disk and network figures are
null with a reason in the API and its history, "not measured by this runtime" on the Cluster
page and its plots, and no threshold applies to them (never a reading of 0)."""

from __future__ import annotations

from tests.kubernetes.test_k8s_cluster import _metrics
from tests.support.sessions import session_client

HX = {"HX-Request": "true"}
NOT_MEASURED = "not measured by this runtime"


def test_metrics_api_has_real_cpu_and_memory_and_null_disk_and_network(cluster, k8s_api):
    cluster.add_node("node-a")
    _metrics(cluster, node_a=("500m", "1Gi"))

    body = k8s_api.get("/api/v1/infrastructure/metrics").get_json()
    [node] = body["nodes"]
    assert node["name"] == "node-a"
    assert node["cpu"]["used"] == 0.5 and node["cpu"]["allocatable"] == 1.93
    assert node["memory"]["used"] == 2**30 and node["memory"]["allocatable"] == 7000 * 2**20
    assert node["disk"] is None
    assert node["network"] == {
        "ingressBytesPerSecond": None,
        "egressBytesPerSecond": None,
        "connectionCount": None,
    }
    assert body["cluster"]["cpu"]["used"] == 0.5
    assert body["cluster"]["memory"]["used"] == 2**30
    assert body["cluster"]["disk"] is None
    assert body["network"] == node["network"]
    assert "metrics.k8s.io" in body["unmeasuredReason"]


def test_history_and_plots_show_disk_and_network_as_not_measured(
    cluster, k8s_app, k8s_api, factory
):
    from blueprints.services.jobs import observe_runtime

    cluster.add_node("node-a")
    _metrics(cluster, node_a=("500m", "1Gi"))
    with k8s_app.app_context():
        assert observe_runtime()["nodes"] == 1  # the scheduler's sample of the node

    history = k8s_api.get("/api/v1/infrastructure/metrics/history?window=5m").get_json()
    [point] = history["points"]
    assert point["cpu"]["used"] == 0.5 and point["memory"]["used"] == 2**30
    assert point["disk"] is None
    assert set(point["network"].values()) == {None}
    assert "metrics.k8s.io" in history["unmeasuredReason"]

    browser = session_client(k8s_app, k8s_api.user_id)
    plot = browser.get("/cluster/plot?window=5m", headers=HX).get_data(as_text=True)
    assert 'data-points="1"' in plot
    assert NOT_MEASURED in plot  # the disk legend and the network chart
    assert 'data-series="disk"' not in plot  # no line drawn at 0
    assert 'data-series="ingress"' not in plot and 'data-series="egress"' not in plot
    assert 'data-series="cpu"' in plot and 'data-series="memory"' in plot


def test_cluster_page_node_cards_say_not_measured(cluster, k8s_app, k8s_api):
    cluster.add_node("node-a")
    _metrics(cluster, node_a=("500m", "1Gi"))

    browser = session_client(k8s_app, k8s_api.user_id)
    html = browser.get("/cluster").get_data(as_text=True)
    card = html[html.index('data-node="node-a"') :]
    card = card[: card.index("</article>")]
    assert 'data-resource="cpu" data-percent="25.91"' in card  # 0.5 of 1.93 cores
    assert 'data-resource="memory"' in card
    assert 'data-resource="disk" data-percent=""' in card and NOT_MEASURED in card
    assert "connections" not in card and "0 B/s" not in card
    assert "metrics.k8s.io" in card  # the reason
    home = browser.get("/").get_data(as_text=True)
    home_card = home[home.index('id="home-cluster"') :]
    assert "CPU 25.9 %" in home_card and "disk not measured" in home_card


def test_a_disk_threshold_neither_fires_nor_errors(cluster, k8s_app, k8s_api):
    from blueprints.infrastructure.domain import evaluate_alerts

    cluster.add_node("node-a")
    _metrics(cluster, node_a=("500m", "1Gi"))
    resp = k8s_api.patch(
        "/api/v1/infrastructure/thresholds",
        json={"cpuPercent": 10, "diskPercent": 1, "hysteresisPercent": 0, "forSeconds": 0},
    )
    assert resp.status_code == 200
    with k8s_app.app_context():
        counts = evaluate_alerts()
        assert counts == {"triggered": 1, "resolved": 0, "unmeasured": 1}  # cpu fires, disk not
        again = evaluate_alerts()  # a second run resolves nothing for the unmeasured disk
        assert again == {"triggered": 0, "resolved": 0, "unmeasured": 1}

    alerts = k8s_api.get("/api/v1/infrastructure/alerts").get_json()["data"]
    assert [(a["node"], a["resource"], a["status"]) for a in alerts] == [
        ("node-a", "cpu", "firing")
    ]
    browser = session_client(k8s_app, k8s_api.user_id)
    html = browser.get("/cluster").get_data(as_text=True)
    assert "over cpu" in html and "over disk" not in html


def test_minute_averages_keep_unmeasured_figures_null(cluster, k8s_app, k8s_api):
    """Past an hour the history reads one-minute averages: an unmeasured figure stays null
    there too (a Kubernetes reading, as the scheduler records it, restamped over 3 hours)."""
    import time
    from datetime import UTC, datetime

    from blueprints.core.extensions import get_redis
    from blueprints.services.runtime.base import NodeMetrics, ResourceFigure
    from blueprints.services.runtime.local_node import KEY_NODES, metrics_reading, record_sample

    cluster.add_node("node-a")
    now = time.time()
    with k8s_app.app_context():
        redis = get_redis()
        redis.sadd(KEY_NODES, "node-a")
        for age in range(3 * 3600, 0, -120):
            reading = NodeMetrics(
                node="node-a",
                timestamp=datetime.fromtimestamp(now - age, UTC),
                cpu=ResourceFigure(0.5, 1.93),
                memory=ResourceFigure(2**30, 7000 * 2**20),
                disk=None,
                network_ingress_bps=None,
                network_egress_bps=None,
                connections=None,
            )
            record_sample(redis, "node-a", metrics_reading(reading), sample_seconds=10)

    history = k8s_api.get("/api/v1/infrastructure/metrics/history?window=3h").get_json()
    assert history["resolutionSeconds"] == 60 and len(history["points"]) > 60
    assert {p["cpu"]["used"] for p in history["points"]} == {0.5}
    assert {p["disk"] is None for p in history["points"]} == {True}
    assert {v for p in history["points"] for v in p["network"].values()} == {None}
    assert "metrics.k8s.io" in history["unmeasuredReason"]
