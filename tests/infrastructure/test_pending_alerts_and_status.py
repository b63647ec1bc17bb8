"""Cluster alerts wait `forSeconds` (pending until then), disk is reckoned as df does, and the
cluster status says `degraded` while an alert fires (issue 11)."""

from __future__ import annotations

import shutil
import subprocess
from collections import namedtuple
from datetime import UTC, datetime, timedelta

import pytest

from blueprints.services.runtime.base import NodeMetrics, ResourceFigure

NODE = "node-a"


def _reading(disk_percent: float) -> list[NodeMetrics]:
    """What a node reports: `disk_percent` of its disk used, CPU and memory idle."""
    return [
        NodeMetrics(
            node=NODE,
            timestamp=datetime.now(UTC),
            cpu=ResourceFigure(0.1, 4),
            memory=ResourceFigure(1, 100),
            disk=ResourceFigure(disk_percent, 100),
            network_ingress_bps=0.0,
            network_egress_bps=0.0,
            connections=0,
        )
    ]


def _events(org_id):
    from sqlalchemy import select

    from blueprints.core.events import Event
    from blueprints.core.extensions import db

    return [
        e.type
        for e in db.session.execute(
            select(Event).where(Event.org_id == org_id, Event.type.like("alert.%"))
        ).scalars()
    ]


def _age_pending(seconds: float) -> None:
    """The pending alert began `seconds` ago (instead of sleeping that long)."""
    from blueprints.core.extensions import db
    from blueprints.infrastructure.models import NodeAlert

    for alert in db.session.query(NodeAlert).filter_by(status="pending"):
        alert.pending_since = alert.pending_since - timedelta(seconds=seconds)
    db.session.commit()


def test_an_alert_is_pending_for_for_seconds_then_fires(app, factory, api_as):
    from blueprints.core.extensions import db
    from blueprints.infrastructure.domain import _evaluate_org
    from blueprints.users.models import Organization

    org_id = factory.org()
    admin = api_as(factory.user(org_id, roles=["admin"]))
    defaults = admin.get("/api/v1/infrastructure/thresholds").get_json()
    assert defaults["forSeconds"] == 300
    assert (
        admin.patch("/api/v1/infrastructure/thresholds", json={"diskPercent": 80}).status_code
        == 200
    )

    def evaluate(disk: float) -> None:
        with app.app_context():
            _evaluate_org(db.session.get(Organization, org_id), _reading(disk))
            db.session.commit()

    def alerts(status):
        return admin.get(f"/api/v1/infrastructure/alerts?status={status}").get_json()["data"]

    with app.app_context():
        evaluate(95)  # a busy spell begins: pending, nothing sent
        [pending] = alerts("pending")
        assert pending["pendingSince"] and alerts("firing") == []
        assert _events(org_id) == []
        evaluate(70)  # back under before 300 s: dropped, never fired
        assert alerts("pending") == [] and alerts("firing") == [] and _events(org_id) == []

        evaluate(95)
        _age_pending(299)
        evaluate(96)
        assert alerts("firing") == [] and len(alerts("pending")) == 1
        _age_pending(2)
        evaluate(96)  # over for 301 s: fires, once
        [firing] = alerts("firing")
        assert firing["peakPercent"] == 96 and _events(org_id) == ["alert.triggered"]
        assert alerts("pending") == []
        evaluate(78)  # within the hysteresis band (5 points): still firing
        assert _events(org_id) == ["alert.triggered"]
        evaluate(74)
        assert _events(org_id) == ["alert.triggered", "alert.resolved"]
        db.session.remove()


@pytest.mark.parametrize(
    "body",
    [
        {"forSeconds": -1},
        {"forSeconds": 86401},
        {"forSeconds": 1.5},
        {"forSeconds": "300"},
        {"forSeconds": True},
    ],
)
def test_bad_for_seconds_is_400(api_as, factory, body):
    admin = api_as(factory.user(roles=["admin"]))
    r = admin.patch("/api/v1/infrastructure/thresholds", json=body)
    assert r.status_code == 400 and r.get_json()["details"]["field"] == "forSeconds", r.get_json()


def test_the_cluster_is_degraded_while_an_alert_fires(node_ready, app, factory, api_as, login_as):
    from blueprints.infrastructure.domain import evaluate_alerts

    org_id = factory.org()
    uid = factory.user(org_id, roles=["admin"])
    admin = api_as(uid)
    assert admin.get("/api/v1/infrastructure/cluster").get_json()["status"] == "healthy"
    admin.patch(
        "/api/v1/infrastructure/thresholds",
        json={"diskPercent": 1, "hysteresisPercent": 0, "forSeconds": 0},
    )
    with app.app_context():
        evaluate_alerts()
    assert admin.get("/api/v1/infrastructure/cluster").get_json()["status"] == "degraded"
    page = login_as(uid)
    assert 'id="cluster-status">degraded' in page.get("/cluster").text
    home = page.get("/").text
    assert "healthy" not in home.split('id="home-cluster"')[1].split("</article>")[0]


def test_disk_is_reckoned_as_df_does():
    from blueprints.services.runtime.local_node import disk_figure

    Usage = namedtuple("Usage", "total used free percent")
    # 100 GB disk, 5 GB reserved for root, 10 GB used, 85 GB available to workloads.
    used, allocatable = disk_figure(Usage(100, 10, 85, 10.5))
    assert (used, allocatable) == (10, 95)
    if shutil.which("df"):
        import psutil

        line = subprocess.run(["df", "-P", "/"], capture_output=True, text=True).stdout
        df_percent = int(line.splitlines()[1].split()[4].rstrip("%"))
        used, allocatable = disk_figure(psutil.disk_usage("/"))
        assert abs(100 * used / allocatable - df_percent) <= 1.5
