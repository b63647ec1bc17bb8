"""The node half of the local runtime: a psutil reporter and the mixin that reads it back.

The runtime agent calls `start_node_reporter(...)` once at start. That daemon thread samples
this host every few seconds (CPU from `cpu_times` deltas, memory, the data volume's disk,
network bytes per second from counter deltas, the established TCP connection count) and
writes to Redis:

- `sparki:nodes`                    set of node names ever reported
- `sparki:node:<name>:info`         static facts (OS image, kernel, capacity, agent version)
- `sparki:node:<name>:latest`       the latest reading (JSON)
- `sparki:node:<name>:heartbeat`    epoch seconds of the latest reading
- `sparki:node:<name>:raw`          sorted set (score = epoch) of readings, last hour
- `sparki:node:<name>:minute`       sorted set of one-minute averages, last 24 hours

`LocalNodeMixin` turns those keys back into `NodeInfo` / `NodeMetrics` for any process (web,
worker, agent); a node whose heartbeat is older than `NODE_STALE_SECONDS` is `NotReady`.
"""

from __future__ import annotations

import json
import logging
import platform
import socket
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psutil
from redis import Redis

from blueprints.core.config import Config

from .base import NodeInfo, NodeMetrics, ResourceFigure

log = logging.getLogger("sparki.runtime.node")

KEY_NODES = "sparki:nodes"
RAW_SECONDS = 3600  # the last hour at the sampling rate
MINUTE_SECONDS = 24 * 3600  # a day at one-minute resolution
# Outside an app (a reporter started by hand), the settings' own defaults apply.
DEFAULT_SAMPLE_SECONDS = Config.NODE_SAMPLE_SECONDS
DEFAULT_STALE_SECONDS = Config.NODE_STALE_SECONDS


def node_key(name: str, part: str) -> str:
    return f"sparki:node:{name}:{part}"


def agent_version() -> str:
    try:
        from importlib.metadata import version

        return f"sparki-agent/{version('sparki')}"
    except Exception:  # package metadata missing (source checkout without install)
        return "sparki-agent"


# --- readings ---------------------------------------------------------------------------------


def _os_image() -> str:
    try:
        return platform.freedesktop_os_release().get("PRETTY_NAME") or platform.system()
    except OSError:
        return f"{platform.system()} {platform.release()}"


def _data_path() -> str:
    """The volume Sparki keeps its data on (instance/), else the filesystem root."""
    from blueprints.core.config import INSTANCE

    path = Path(INSTANCE)
    while not path.exists() and path != path.parent:
        path = path.parent
    return str(path)


def _addresses() -> list[str]:
    found: list[str] = []
    for addrs in psutil.net_if_addrs().values():
        for addr in addrs:
            if addr.family == socket.AF_INET and addr.address not in found:
                found.append(addr.address)
    return found


def connection_count() -> int:
    """Established TCP connections on this host.

    psutil.net_connections needs privileges on some systems; /proc/net/tcp{,6} does not.
    """
    try:
        return sum(1 for c in psutil.net_connections(kind="tcp") if c.status == "ESTABLISHED")
    except (psutil.AccessDenied, PermissionError, OSError):
        pass
    total = 0
    for name in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(name) as fh:
                next(fh, None)
                total += sum(1 for line in fh if line.split()[3:4] == ["01"])
        except OSError:
            continue
    return total


def disk_figure(usage: Any) -> list[int]:
    """[used, allocatable] bytes of a `psutil.disk_usage()` as `df` reckons them: allocatable
    is used + available, leaving out the blocks reserved for root (often 5 %), so "100 %"
    means no more room for a workload, as in df's Use% (psutil's own `percent` agrees)."""
    return [int(usage.used), int(usage.used + usage.free)]


def node_facts(disk_path: str) -> dict[str, Any]:
    """What does not change between samples: identity and capacity."""
    cores = psutil.cpu_count(logical=True) or 1
    memory = psutil.virtual_memory().total
    disk = psutil.disk_usage(disk_path)
    capacity = {"cpu": cores, "memory": memory, "disk": disk.total}
    return {
        "os_image": _os_image(),
        "kernel": platform.release(),
        "architecture": platform.machine(),
        "runtime_version": agent_version(),
        "hostname": socket.gethostname(),
        "capacity": capacity,
        # Blocks reserved for root are no workload's to fill: allocatable is what df counts.
        "allocatable": {**capacity, "disk": disk_figure(disk)[1]},
        "addresses": _addresses(),
        "disk_path": disk_path,
        "started_at": time.time(),
    }


def network_totals() -> tuple[int, int]:
    """(bytes received, bytes sent) over the host's interfaces, loopback left out: traffic
    between processes of this machine is not the node's network."""
    counters = psutil.net_io_counters(pernic=True)
    external = {name: c for name, c in counters.items() if not name.startswith("lo")}
    chosen = external or counters
    return (sum(c.bytes_recv for c in chosen.values()), sum(c.bytes_sent for c in chosen.values()))


class HostSampler:
    """Turns psutil's cumulative counters into one reading per call."""

    def __init__(self, disk_path: str) -> None:
        self.disk_path = disk_path
        self._cpu = psutil.cpu_times()
        self._net = network_totals()
        self._at = time.monotonic()

    def sample(self) -> dict[str, Any]:
        cpu = psutil.cpu_times()
        net = network_totals()
        at = time.monotonic()
        elapsed = max(at - self._at, 1e-6)

        def busy_total(t) -> tuple[float, float]:
            total = sum(t)
            idle = t.idle + getattr(t, "iowait", 0.0)
            return total - idle, total

        b0, t0 = busy_total(self._cpu)
        b1, t1 = busy_total(cpu)
        fraction = (b1 - b0) / (t1 - t0) if t1 > t0 else 0.0
        fraction = min(max(fraction, 0.0), 1.0)
        cores = psutil.cpu_count(logical=True) or 1
        mem = psutil.virtual_memory()
        disk = psutil.disk_usage(self.disk_path)
        rx = max(net[0] - self._net[0], 0) / elapsed
        tx = max(net[1] - self._net[1], 0) / elapsed
        self._cpu, self._net, self._at = cpu, net, at
        return {
            "ts": time.time(),
            "cpu": [round(fraction * cores, 4), cores],
            "memory": [mem.total - mem.available, mem.total],
            "disk": disk_figure(disk),
            "rx": round(rx, 1),
            "tx": round(tx, 1),
            "connections": connection_count(),
        }


# --- storage ----------------------------------------------------------------------------------


def record_sample(
    redis: Redis, node_name: str, reading: dict[str, Any], *, sample_seconds: float
) -> None:
    """Store one reading: latest, heartbeat, the raw hour and (per finished minute) 24 h."""
    ts = float(reading["ts"])
    raw_key = node_key(node_name, "raw")
    minute_key = node_key(node_name, "minute")
    body = json.dumps(reading, separators=(",", ":"))
    previous = redis.zrevrange(raw_key, 0, 0, withscores=True)
    pipe = redis.pipeline()
    pipe.set(node_key(node_name, "latest"), body)
    pipe.set(node_key(node_name, "heartbeat"), ts)
    pipe.zadd(raw_key, {body: ts})
    pipe.zremrangebyscore(raw_key, "-inf", f"({ts - RAW_SECONDS}")
    # A hard cap too, in case the clock jumps: an hour at the sampling rate plus slack.
    pipe.zremrangebyrank(raw_key, 0, -(int(RAW_SECONDS / max(sample_seconds, 0.5)) + 60) - 1)
    pipe.execute()
    if previous:
        last_minute = int(previous[0][1] // 60) * 60
        if int(ts // 60) * 60 > last_minute:
            downsample_minute(redis, node_name, last_minute)
    redis.zremrangebyscore(minute_key, "-inf", f"({ts - MINUTE_SECONDS}")


def downsample_minute(redis: Redis, node_name: str, minute: int) -> None:
    """Average the raw readings of one finished minute into the one-minute series."""
    raw = redis.zrangebyscore(node_key(node_name, "raw"), minute, f"({minute + 60}")
    readings = [json.loads(r) for r in raw]
    if not readings:
        return
    n = len(readings)

    def avg_pair(name: str) -> list[float] | None:
        # A figure the runtime did not measure (None) in any reading has no average.
        if any(r.get(name) is None for r in readings):
            return None
        return [sum(r[name][0] for r in readings) / n, readings[-1][name][1]]

    def avg(name: str, digits: int | None) -> float | None:
        if any(r.get(name) is None for r in readings):
            return None
        return round(sum(r[name] for r in readings) / n, digits)

    point = {
        "ts": minute,
        "cpu": avg_pair("cpu"),
        "memory": avg_pair("memory"),
        "disk": avg_pair("disk"),
        "rx": avg("rx", 1),
        "tx": avg("tx", 1),
        "connections": avg("connections", None),
        "samples": n,
    }
    key = node_key(node_name, "minute")
    pipe = redis.pipeline()
    pipe.zremrangebyscore(key, minute, minute)
    pipe.zadd(key, {json.dumps(point, separators=(",", ":")): minute})
    pipe.execute()


def _sample_seconds(explicit: float | None) -> float:
    if explicit:
        return float(explicit)
    try:
        from flask import current_app, has_app_context

        if has_app_context():
            return float(current_app.config["NODE_SAMPLE_SECONDS"])
    except ImportError:
        pass
    return DEFAULT_SAMPLE_SECONDS


def start_node_reporter(
    redis: Redis,
    stop: threading.Event,
    *,
    node_name: str,
    replica_count: Callable[[], int],
    interval: float | None = None,
    disk_path: str | None = None,
) -> threading.Thread:
    """Start the daemon thread that reports this host as `node_name` until `stop` is set."""
    seconds = _sample_seconds(interval)
    path = disk_path or _data_path()

    def run() -> None:
        info = node_facts(path)
        redis.sadd(KEY_NODES, node_name)
        redis.set(node_key(node_name, "info"), json.dumps(info))
        sampler = HostSampler(path)
        # The first reading needs a short baseline for the CPU and network deltas.
        wait = min(1.0, seconds)
        while not stop.wait(wait):
            wait = seconds
            try:
                reading = sampler.sample()
                try:
                    reading["replicas"] = int(replica_count())
                except Exception:
                    log.exception("node reporter: replica count failed")
                    reading["replicas"] = 0
                record_sample(redis, node_name, reading, sample_seconds=seconds)
            except Exception:
                # Redis restarting or a transient psutil error: keep reporting.
                log.exception("node reporter: sample failed")
        try:
            info["stopped_at"] = time.time()
            redis.set(node_key(node_name, "info"), json.dumps(info))
        except Exception:
            log.exception("node reporter: could not record the stop")

    thread = threading.Thread(target=run, name=f"node-reporter-{node_name}", daemon=True)
    thread.start()
    return thread


# --- reading back -----------------------------------------------------------------------------


def _when(ts: float | None) -> datetime | None:
    return datetime.fromtimestamp(float(ts), UTC) if ts is not None else None


def reading_to_metrics(node_name: str, reading: dict[str, Any]) -> NodeMetrics:
    """A stored reading as NodeMetrics; a figure stored as null (the runtime did not measure
    it, e.g. disk and network on Kubernetes) stays None."""
    disk, rx, tx, conn = (reading.get(k) for k in ("disk", "rx", "tx", "connections"))
    return NodeMetrics(
        node=node_name,
        timestamp=_when(reading["ts"]),
        cpu=ResourceFigure(*reading["cpu"]),
        memory=ResourceFigure(*reading["memory"]),
        disk=ResourceFigure(*disk) if disk is not None else None,
        network_ingress_bps=float(rx) if rx is not None else None,
        network_egress_bps=float(tx) if tx is not None else None,
        connections=int(conn) if conn is not None else None,
    )


class LocalNodeMixin:
    """`runtime_version`, `list_nodes`, `node_metrics`, `metrics_history` from Redis."""

    #: Set to use a specific Redis (tests, the agent); otherwise the app's connection.
    node_redis: Redis | None = None
    #: Overrides NODE_STALE_SECONDS when set.
    stale_seconds: float | None = None

    def _redis(self) -> Redis:
        if self.node_redis is not None:
            return self.node_redis
        from blueprints.core.extensions import get_redis

        return get_redis()

    def _stale_after(self) -> float:
        if self.stale_seconds is not None:
            return float(self.stale_seconds)
        from flask import current_app, has_app_context

        if has_app_context():
            return float(current_app.config["NODE_STALE_SECONDS"])
        return DEFAULT_STALE_SECONDS

    def _node_state(self) -> list[tuple[str, dict, dict | None, float | None]]:
        redis = self._redis()
        names = sorted(n.decode() if isinstance(n, bytes) else n for n in redis.smembers(KEY_NODES))
        out = []
        for name in names:
            info_raw, latest_raw, beat = redis.mget(
                node_key(name, "info"), node_key(name, "latest"), node_key(name, "heartbeat")
            )
            if info_raw is None:
                continue
            out.append(
                (
                    name,
                    json.loads(info_raw),
                    json.loads(latest_raw) if latest_raw else None,
                    float(beat) if beat is not None else None,
                )
            )
        return out

    def _is_ready(self, info: dict, beat: float | None) -> bool:
        if beat is None:
            return False
        if info.get("stopped_at") and info["stopped_at"] >= beat:
            return False
        return time.time() - beat <= self._stale_after()

    def runtime_version(self) -> str:
        for _name, info, _latest, beat in self._node_state():
            if self._is_ready(info, beat):
                return info.get("runtime_version") or agent_version()
        return agent_version()

    def list_nodes(self) -> list[NodeInfo]:
        nodes = []
        for name, info, latest, beat in self._node_state():
            ready = self._is_ready(info, beat)
            nodes.append(
                NodeInfo(
                    name=name,
                    status="Ready" if ready else "NotReady",
                    kind="local",
                    os_image=info.get("os_image", ""),
                    kernel=info.get("kernel", ""),
                    architecture=info.get("architecture", ""),
                    runtime_version=info.get("runtime_version", ""),
                    capacity=info.get("capacity", {}),
                    allocatable=info.get("allocatable", {}),
                    replicas=int(latest.get("replicas", 0)) if (latest and ready) else 0,
                    last_heartbeat=_when(beat),
                    addresses=list(info.get("addresses", [])),
                    labels={
                        "sparki.io/hostname": info.get("hostname", name),
                        "kubernetes.io/arch": info.get("architecture", ""),
                    },
                )
            )
        return nodes

    def node_metrics(self) -> list[NodeMetrics]:
        return [
            reading_to_metrics(name, latest)
            for name, info, latest, beat in self._node_state()
            if latest and self._is_ready(info, beat)
        ]

    def metrics_history(self, window_seconds: int) -> dict[str, list[NodeMetrics]]:
        """Readings per node over the last `window_seconds`, oldest first (see `history`)."""
        return history(self._redis(), window_seconds)


def history(redis: Redis, window_seconds: int) -> dict[str, list[NodeMetrics]]:
    """Readings per node over the last `window_seconds`, oldest first, as `record_sample`
    stored them (by the agent, or by the scheduler for a runtime without one).

    Up to an hour: every sample; longer windows: one-minute averages (kept 24 h).
    """
    since = time.time() - window_seconds
    part = "raw" if window_seconds <= RAW_SECONDS else "minute"
    out: dict[str, list[NodeMetrics]] = {}
    for name in sorted(
        n.decode() if isinstance(n, bytes) else n for n in redis.smembers(KEY_NODES)
    ):
        rows = [json.loads(r) for r in redis.zrangebyscore(node_key(name, part), since, "+inf")]
        if part == "minute":
            # The minute still in progress has no average yet: its raw readings follow.
            fresh_from = rows[-1]["ts"] + 60 if rows else since
            rows += [
                json.loads(r)
                for r in redis.zrangebyscore(node_key(name, "raw"), fresh_from, "+inf")
            ]
        out[name] = [reading_to_metrics(name, r) for r in rows]
    return out


def metrics_reading(m: NodeMetrics) -> dict[str, Any]:
    """`record_sample`'s reading of one NodeMetrics (a runtime's own figures); a figure the
    runtime did not measure is stored as null, never as 0."""
    return {
        "ts": m.timestamp.timestamp(),
        "cpu": [m.cpu.used, m.cpu.allocatable],
        "memory": [m.memory.used, m.memory.allocatable],
        "disk": [m.disk.used, m.disk.allocatable] if m.disk is not None else None,
        "rx": m.network_ingress_bps,
        "tx": m.network_egress_bps,
        "connections": m.connections,
    }
