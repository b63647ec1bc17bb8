"""GET /infrastructure/metrics/history: windows, resolution, validation."""

from __future__ import annotations

import time
from datetime import datetime

import pytest

from blueprints.core.extensions import get_redis
from blueprints.services.runtime.local_node import HostSampler, record_sample
from tests.infrastructure.conftest import NODE, wait_for


def _seed_history(app, hours: float, every: int) -> float:
    """A real reading of this host, restamped across the last `hours` (sampling the host for
    each point cost seconds on a busy machine; the windows look only at timestamps)."""
    with app.app_context():
        redis = get_redis()
        redis.sadd("sparki:nodes", NODE)
        redis.set(f"sparki:node:{NODE}:info", "{}")
        real = HostSampler("/").sample()
        now = time.time()
        for age in range(int(hours * 3600), 0, -every):
            reading = {**real, "ts": now - age}
            record_sample(redis, NODE, reading, sample_seconds=5)
    return now


def _ts(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def test_live_history_grows_at_the_sampling_rate(node_ready):
    body = wait_for(
        lambda: (
            (b := node_ready.get("/api/v1/infrastructure/metrics/history?window=15m").json)
            and len(b["points"]) >= 3
            and b
        )
    )
    assert body["window"] == "15m"
    assert body["windowSeconds"] == 900
    assert body["resolutionSeconds"] == 0.5
    point = body["points"][-1]
    assert set(point) == {"timestamp", "cpu", "memory", "disk", "network"}
    assert point["memory"]["allocatable"] > 0
    stamps = [_ts(p["timestamp"]) for p in body["points"]]
    assert stamps == sorted(stamps)


def test_windows_select_the_right_points(app, api_as, factory):
    now = _seed_history(app, hours=3, every=120)
    client = api_as(factory.user(roles=["viewer"]))
    short = client.get("/api/v1/infrastructure/metrics/history?window=15m").json
    assert short["points"], short
    assert all(_ts(p["timestamp"]) >= now - 900 - 1 for p in short["points"])
    hour = client.get("/api/v1/infrastructure/metrics/history?window=1h").json
    assert len(hour["points"]) > len(short["points"])
    assert all(_ts(p["timestamp"]) >= now - 3600 - 1 for p in hour["points"])
    day = client.get("/api/v1/infrastructure/metrics/history?window=24h").json
    assert day["resolutionSeconds"] == 60
    assert _ts(day["points"][0]["timestamp"]) < now - 2 * 3600  # older than the raw hour
    assert _ts(day["points"][-1]["timestamp"]) >= now - 121  # the unfinished minute too
    assert _ts(day["to"]) - _ts(day["from"]) == pytest.approx(86400, abs=1)


@pytest.mark.parametrize("window", ["abc", "0m", "30s", "48h", "2d", "", "1w"])
def test_bad_windows_are_400(api_as, factory, window):
    client = api_as(factory.user(roles=["viewer"]))
    resp = client.get(f"/api/v1/infrastructure/metrics/history?window={window}")
    if window == "":
        assert resp.status_code == 200  # an empty value means the default window
        return
    assert resp.status_code == 400
    assert resp.json["details"]["field"] == "window"


def test_minute_averages_keep_every_local_figure(app, api_as, factory):
    _seed_history(app, hours=3, every=120)
    client = api_as(factory.user(roles=["viewer"]))
    body = client.get("/api/v1/infrastructure/metrics/history?window=3h").json
    assert body["resolutionSeconds"] == 60 and body["points"]
    assert body["unmeasuredReason"] is None
    for point in body["points"]:
        assert point["disk"]["allocatable"] > 0
        assert None not in point["network"].values()
