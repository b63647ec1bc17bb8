"""The Cluster page, its htmx partials, the thresholds form and the home card."""

from __future__ import annotations

from sqlalchemy import select

from blueprints.core.extensions import db
from blueprints.infrastructure.models import AlertThreshold
from tests.infrastructure.conftest import NODE, wait_for

HX = {"HX-Request": "true"}


def test_viewer_sees_the_page_without_the_thresholds_form(node_ready, factory, login_as):
    org = factory.org()
    page = login_as(factory.user(org, roles=["viewer"]))
    html = page.get("/cluster").get_data(as_text=True)
    assert 'hx-trigger="every 5s' in html
    assert f'data-node="{NODE}"' in html
    assert "<polyline" in html or "No readings in this window" in html
    assert 'id="thresholds-readonly"' in html
    assert 'id="thresholds-form"' not in html
    resp = page.post(
        "/cluster/thresholds",
        data={
            "cpu_percent": 10,
            "memory_percent": 10,
            "disk_percent": 10,
            "hysteresis_percent": 1,
            "for_seconds": 0,
        },
    )
    assert resp.status_code == 403
    assert "may not change alert thresholds" in resp.get_data(as_text=True)


def test_polling_gets_partials_only(node_ready, factory, login_as):
    page = login_as(factory.user(roles=["viewer"]))
    live = page.get("/cluster", headers=HX).get_data(as_text=True)
    assert "<html" not in live and 'id="node-cards"' in live
    wait_for(
        lambda: (
            'data-points="0"'
            not in page.get("/cluster/plot?window=15m", headers=HX).get_data(as_text=True)
        )
    )
    plot = page.get("/cluster/plot?window=15m", headers=HX).get_data(as_text=True)
    assert "<html" not in plot and 'data-window="15m"' in plot
    assert plot.count("<polyline") >= 5  # cpu, memory, disk, ingress, egress
    assert page.get("/cluster/plot?window=nonsense", headers=HX).status_code == 400


def test_admin_lowers_a_threshold_and_the_node_is_marked(node_ready, app, factory, login_as):
    org = factory.org()
    page = login_as(factory.user(org, roles=["admin"]))
    assert 'id="thresholds-form"' in page.get("/cluster").get_data(as_text=True)
    bad = page.post(
        "/cluster/thresholds",
        headers=HX,
        data={
            "cpu_percent": 150,
            "memory_percent": 90,
            "disk_percent": 90,
            "hysteresis_percent": 5,
        },
    )
    assert bad.status_code == 400
    assert "field-error" in bad.get_data(as_text=True)
    ok = page.post(
        "/cluster/thresholds",
        headers=HX,
        data={
            "cpu_percent": 100,
            "memory_percent": 100,
            "disk_percent": 1,
            "hysteresis_percent": 0,
            "for_seconds": 0,
        },
    )
    assert ok.status_code == 200 and "Thresholds saved" in ok.get_data(as_text=True)
    assert ok.headers["HX-Trigger"] == "thresholds-changed"
    with app.app_context():
        row = db.session.execute(
            select(AlertThreshold).where(AlertThreshold.org_id == org)
        ).scalar_one()
        assert row.disk_percent == 1
    live = page.get("/cluster", headers=HX).get_data(as_text=True)
    assert "over-threshold" in live and "over disk" in live


def test_home_shows_the_cluster_card(node_ready, app, factory, login_as):
    from blueprints.infrastructure.domain import evaluate_alerts

    org = factory.org()
    admin = factory.user(org, roles=["admin"])
    page = login_as(admin)
    page.post(
        "/cluster/thresholds",
        data={
            "cpu_percent": 100,
            "memory_percent": 100,
            "disk_percent": 1,
            "hysteresis_percent": 0,
            "for_seconds": 0,
        },
    )
    with app.app_context():
        evaluate_alerts()
    html = page.get("/").get_data(as_text=True)
    assert 'id="home-cluster"' in html
    assert "1 of 1 nodes ready" in html
    assert "firing" in html and f"{NODE} disk" in html
    assert html.count('id="home-cluster"') == 1  # registered once however many apps exist


def test_nav_has_cluster(factory, login_as):
    html = login_as(factory.user(roles=["viewer"])).get("/").get_data(as_text=True)
    assert ">Cluster</a>" in html
