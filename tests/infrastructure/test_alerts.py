"""Thresholds per organization; a crossing emits alert.triggered once, recovery alert.resolved."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from blueprints.core.events import Event
from blueprints.core.extensions import db
from blueprints.core.jobs import enqueue, periodic_jobs
from blueprints.infrastructure.jobs import evaluate_thresholds
from tests.infrastructure.conftest import NODE


def _events(app, org_id: str, resource: str = "disk") -> list[str]:
    """The organization's alert events about one resource (a loaded CI box may cross the
    default CPU threshold on its own; the tests steer the disk threshold)."""
    with app.app_context():
        rows = db.session.execute(
            select(Event).where(Event.org_id == org_id).order_by(Event.created_at)
        ).scalars()
        return [
            e.type
            for e in rows
            if e.type.startswith("alert.") and e.data.get("resource") == resource
        ]


def _disk_percent(client) -> float:
    return client.get("/api/v1/infrastructure/metrics").json["nodes"][0]["disk"][
        "utilizationPercent"
    ]


def test_evaluation_is_declared_periodic_work(app):
    assert any(job.func is evaluate_thresholds and job.interval for job in periodic_jobs(app))


def test_thresholds_default_and_admin_changes(api_as, factory):
    org = factory.org()
    admin = api_as(factory.user(org, roles=["admin"]))
    viewer = api_as(factory.user(org, roles=["viewer"]))
    body = viewer.get("/api/v1/infrastructure/thresholds").json
    assert body["cpuPercent"] == 90 and body["hysteresisPercent"] == 5
    resp = viewer.patch("/api/v1/infrastructure/thresholds", json={"cpuPercent": 50})
    assert resp.status_code == 403
    assert resp.json["error"] == "insufficient_permissions"
    resp = admin.patch("/api/v1/infrastructure/thresholds", json={"cpuPercent": 50})
    assert resp.status_code == 200, resp.json
    assert resp.json["cpuPercent"] == 50 and resp.json["memoryPercent"] == 90
    assert viewer.get("/api/v1/infrastructure/thresholds").json["cpuPercent"] == 50


@pytest.mark.parametrize(
    "body,field",
    [
        ({"cpuPercent": 0}, "cpuPercent"),
        ({"diskPercent": 101}, "diskPercent"),
        ({"memoryPercent": "high"}, "memoryPercent"),
        ({"hysteresisPercent": 60}, "hysteresisPercent"),
        ({"cpuPercent": 3, "hysteresisPercent": 5}, "hysteresisPercent"),
        ({"bogus": 1}, "bogus"),
    ],
)
def test_bad_thresholds_are_400(api_as, factory, body, field):
    admin = api_as(factory.user(roles=["admin"]))
    resp = admin.patch("/api/v1/infrastructure/thresholds", json=body)
    assert resp.status_code == 400, resp.json
    assert resp.json["details"]["field"] == field


def test_crossing_emits_once_and_recovery_resolves_once(node_ready, app, api_as, factory, run_jobs):
    org = factory.org()
    admin = api_as(factory.user(org, roles=["admin"]))
    disk = _disk_percent(node_ready)
    assert (
        admin.patch(
            "/api/v1/infrastructure/thresholds",
            json={"diskPercent": max(1, disk - 2), "hysteresisPercent": 1, "forSeconds": 0},
        ).status_code
        == 200
    )
    for _ in range(3):  # three evaluations while over: one alert, one event
        with app.app_context():
            enqueue(evaluate_thresholds)
        run_jobs()
    assert _events(app, org) == ["alert.triggered"]
    [alert] = [
        a
        for a in admin.get("/api/v1/infrastructure/alerts?status=firing").json["data"]
        if a["resource"] == "disk"
    ]
    assert alert["node"] == NODE
    assert alert["valuePercent"] == pytest.approx(disk, abs=1)

    # Raised just above the figure, but within the hysteresis band: still firing.
    admin.patch("/api/v1/infrastructure/thresholds", json={"hysteresisPercent": 5})
    admin.patch("/api/v1/infrastructure/thresholds", json={"diskPercent": min(100, disk + 2)})
    with app.app_context():
        enqueue(evaluate_thresholds)
    run_jobs()
    assert _events(app, org) == ["alert.triggered"]

    # Well above: resolved, once.
    admin.patch(
        "/api/v1/infrastructure/thresholds", json={"diskPercent": 100, "hysteresisPercent": 1}
    )
    for _ in range(2):
        with app.app_context():
            enqueue(evaluate_thresholds)
        run_jobs()
    assert _events(app, org) == ["alert.triggered", "alert.resolved"]
    [alert] = [
        a
        for a in admin.get("/api/v1/infrastructure/alerts").json["data"]
        if a["resource"] == "disk"
    ]
    assert alert["status"] == "resolved" and alert["resolvedAt"].endswith("Z")
    assert not [
        a
        for a in admin.get("/api/v1/infrastructure/alerts?status=firing").json["data"]
        if a["resource"] == "disk"
    ]


def test_alerts_and_thresholds_stay_in_their_organization(node_ready, app, api_as, factory):
    from blueprints.infrastructure.domain import evaluate_alerts

    org_a, org_b = factory.org("Alpha"), factory.org("Beta")
    admin_a = api_as(factory.user(org_a, roles=["admin"]))
    viewer_b = api_as(factory.user(org_b, roles=["viewer"]))
    admin_a.patch(
        "/api/v1/infrastructure/thresholds",
        json={"diskPercent": 1, "hysteresisPercent": 0, "forSeconds": 0},
    )
    with app.app_context():
        counts = evaluate_alerts()
    assert counts["triggered"] >= 1
    assert _events(app, org_a) == ["alert.triggered"]
    assert _events(app, org_b) == []
    ids_a = {a["id"] for a in admin_a.get("/api/v1/infrastructure/alerts").json["data"]}
    ids_b = {a["id"] for a in viewer_b.get("/api/v1/infrastructure/alerts").json["data"]}
    assert ids_a and not ids_a & ids_b
    for alert_id in ids_a:  # B's requests never reach A's alerts, whatever the filter
        assert alert_id not in str(viewer_b.get("/api/v1/infrastructure/alerts?status=firing").json)
    assert viewer_b.get("/api/v1/infrastructure/thresholds").json["diskPercent"] == 90
    # Both read the shared cluster.
    assert viewer_b.get("/api/v1/infrastructure/cluster").json["nodes"]["ready"] == 1


def test_bad_alert_filter_is_400(api_as, factory):
    client = api_as(factory.user(roles=["viewer"]))
    resp = client.get("/api/v1/infrastructure/alerts?status=maybe")
    assert resp.status_code == 400
    assert resp.json["details"]["field"] == "status"
