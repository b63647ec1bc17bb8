"""The node reporter: real readings, readiness from heartbeats, bounded history."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from blueprints.core.extensions import get_redis
from blueprints.services.runtime.local_node import (
    MINUTE_SECONDS,
    RAW_SECONDS,
    HostSampler,
    node_key,
    record_sample,
)
from tests.infrastructure.conftest import NODE, SAMPLE_SECONDS, wait_for

ROOT = Path(__file__).resolve().parents[2]


def _node(client, name=NODE):
    return next(
        (n for n in client.get("/api/v1/infrastructure/nodes").json["data"] if n["name"] == name),
        None,
    )


@pytest.mark.slow
def test_busy_loop_raises_cpu_utilization(node_ready):
    def cpu() -> float:
        return node_ready.get("/api/v1/infrastructure/metrics").json["cluster"]["cpu"][
            "utilizationPercent"
        ]

    spinners = [
        subprocess.Popen([sys.executable, "-c", "while True: pass"])
        for _ in range(psutil.cpu_count() or 1)
    ]
    try:
        # Every core busy: the host-wide figure nears 100 % whatever else the machine does.
        wait_for(lambda: cpu() >= 85.0)
    finally:
        for proc in spinners:
            proc.kill()
            proc.wait()


def test_node_turns_not_ready_when_the_reporter_stops(node_ready, reporter, app, monkeypatch):
    monkeypatch.setitem(app.config, "NODE_STALE_SECONDS", 2)
    # Ready first: on a busy machine the reporter thread may lag a 2 s window for a moment.
    wait_for(lambda: _node(node_ready)["status"] == "Ready")
    reporter.halt()
    wait_for(lambda: _node(node_ready)["status"] == "NotReady")
    cluster = node_ready.get("/api/v1/infrastructure/cluster").json
    assert cluster["nodes"] == {"total": 1, "ready": 0, "notReady": 1}
    assert cluster["status"] == "unavailable"
    assert node_ready.get("/api/v1/infrastructure/metrics").json["nodes"] == []


@pytest.mark.slow
def test_killed_agent_turns_not_ready_within_the_stale_window(
    app, api_as, factory, monkeypatch, redis_url
):
    """A reporter process killed with SIGKILL leaves no trace but a heartbeat that ages."""
    monkeypatch.setitem(app.config, "NODE_STALE_SECONDS", 2)
    code = (
        "import threading, time\n"
        "from redis import Redis\n"
        "from blueprints.services.runtime.local_node import start_node_reporter\n"
        f"start_node_reporter(Redis.from_url({redis_url!r}), threading.Event(),"
        f" node_name='agent-node', replica_count=lambda: 2, interval={SAMPLE_SECONDS})\n"
        "time.sleep(120)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT)
    client = api_as(factory.user(roles=["viewer"]))
    try:
        node = wait_for(lambda: (n := _node(client, "agent-node")) and n["status"] == "Ready" and n)
        assert node["podCount"] == 2
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        killed = time.monotonic()
        wait_for(lambda: _node(client, "agent-node")["status"] == "NotReady")
        assert time.monotonic() - killed < 6
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_history_is_bounded_and_downsampled(ctx):
    """Readings older than an hour leave the raw series; minutes older than a day go too."""
    redis = get_redis()
    # One real reading (sampling the host costs tens of milliseconds, more on a busy machine),
    # restamped: trimming and downsampling look only at the timestamps.
    real = HostSampler("/").sample()
    now = time.time()
    # Readings stamped as if taken over the last 26 hours, every 5 minutes ...
    for age in range(26 * 3600, 0, -300):
        reading = {**real, "ts": now - age}
        record_sample(redis, NODE, reading, sample_seconds=5)
    latest = now - 300  # the newest reading: trimming is relative to it
    raw = redis.zrange(node_key(NODE, "raw"), 0, -1, withscores=True)
    minutes = redis.zrange(node_key(NODE, "minute"), 0, -1, withscores=True)
    assert raw and min(score for _, score in raw) >= latest - RAW_SECONDS
    assert len(raw) == RAW_SECONDS // 300 + 1
    assert minutes and min(score for _, score in minutes) >= latest - MINUTE_SECONDS - 60
    assert max(score for _, score in minutes) < latest
    assert all(score % 60 == 0 for _, score in minutes)
    # ... then a burst at a fast rate: the raw hour is capped by count as well.
    for i in range(30):
        reading = {**real, "ts": now + i}
        record_sample(redis, NODE, reading, sample_seconds=3600 / 20)
    assert redis.zcard(node_key(NODE, "raw")) <= 20 + 60


def test_a_finished_minute_is_averaged(ctx):
    redis = get_redis()
    sampler = HostSampler("/")
    minute = (int(time.time()) // 60 - 2) * 60
    values = []
    for offset in (5, 25, 45, 65):
        reading = sampler.sample()
        reading["ts"] = minute + offset
        values.append(reading["memory"][0])
        record_sample(redis, NODE, reading, sample_seconds=5)
    [(point, score)] = redis.zrange(node_key(NODE, "minute"), 0, -1, withscores=True)
    point = json.loads(point)
    assert score == minute
    assert point["samples"] == 3
    assert point["memory"][0] == sum(values[:3]) / 3
    assert point["memory"][1] == psutil.virtual_memory().total


def test_connection_count_sees_new_connections():
    import socket

    from blueprints.services.runtime.local_node import connection_count

    server = socket.create_server(("127.0.0.1", 0))
    server.listen(64)
    before = connection_count()
    clients, accepted = [], []
    try:
        for _ in range(20):
            clients.append(socket.create_connection(server.getsockname()))
            accepted.append(server.accept()[0])
        # Each loopback connection is established at both ends.
        assert connection_count() >= before + 20
    finally:
        for sock in clients + accepted:
            sock.close()
        server.close()
