"""The `local` driver: desired state in the database, a runtime agent (`sparki agent`) on this
machine that runs each replica as an OS process, and what the agent observes in Redis.

This module never starts or stops a process itself: web and worker processes only record
what should run (`apply`) and read what the agent reports (`replicas`, logs, heartbeats).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict
from datetime import UTC, datetime

import requests
from redis import Redis
from sqlalchemy import select

from blueprints.core.extensions import db, get_redis

from . import logs
from .base import DesiredState, LogEntry, ProbeResult, ReplicaSetSpec, ReplicaStatus, Runtime
from .local_node import LocalNodeMixin
from .local_state import RuntimeDesiredState
from .reconcile import ReplicaRecord

KEY_REPLICAS = "sparki:agent:replicas"  # hash pod -> ReplicaRecord JSON
KEY_HEARTBEAT = "sparki:agent:heartbeat"  # epoch seconds of the agent's last loop
KEY_NODE = "sparki:agent:node"  # the node name the agent runs as
#: The read-cache counter the agent bumps with every change to its replica records or node
#: name (core.readcache.generation_key), in the same Redis transaction as the change.
REPLICAS_GENERATION = "runtime.local.replicas"
AGENT_STALE_SECONDS = 10.0


def _when(ts: float | None) -> datetime | None:
    return datetime.fromtimestamp(ts, UTC) if ts else None


def load_records(redis: Redis) -> list[ReplicaRecord]:
    return parse_records(redis.hvals(KEY_REPLICAS))


def parse_records(values: list[bytes]) -> list[ReplicaRecord]:
    """The agent's replica records from the hash's values (unreadable ones skipped)."""
    records = []
    for raw in values:
        try:
            records.append(ReplicaRecord.from_dict(json.loads(raw)))
        except (ValueError, TypeError):
            continue
    return records


def _desired_total(spec: dict | None) -> int:
    """Replicas a stored desired-state spec asks for (`DesiredState.total` without building it)."""
    return sum(int(s.get("replicas", 0)) for s in (spec or {}).get("sets", []))


def replica_status(rec: ReplicaRecord, node_name: str) -> ReplicaStatus:
    """The driver-neutral view of one of the agent's replica records."""
    return ReplicaStatus(
        pod=rec.pod,
        set_key=rec.set_key,
        revision=rec.revision,
        state=rec.state,
        ready=bool(rec.ready and rec.state == "running"),
        node=node_name,
        address=f"127.0.0.1:{rec.port}",
        pid=rec.pid,
        restarts=rec.restarts,
        started_at=_when(rec.started_at),
        last_probe_at=_when(rec.last_probe_at),
        last_exit_code=rec.last_exit_code,
        message=rec.message,
        failure=rec.failure,
    )


class LocalRuntime(LocalNodeMixin, Runtime):
    name = "local"
    supervised = True  # the agent records health and node readings

    def __init__(self, redis: Redis | None = None) -> None:
        self._redis_override = redis

    def _r(self) -> Redis:
        return self._redis_override or get_redis()

    # --- liveness ------------------------------------------------------------------------------
    def available(self) -> bool:
        beat = self._r().get(KEY_HEARTBEAT)
        return beat is not None and time.time() - float(beat) <= AGENT_STALE_SECONDS

    def availability(self) -> tuple[bool, str]:
        up = self.available()
        return up, "" if up else "the runtime agent is not running (sparki agent)"

    # --- desired state -------------------------------------------------------------------------
    def apply(self, desired: DesiredState) -> None:
        row = db.session.get(RuntimeDesiredState, desired.service_id)
        spec = asdict(desired)
        if row is None:
            db.session.add(
                RuntimeDesiredState(
                    service_id=desired.service_id, org_id=desired.org_id, spec=spec, generation=1
                )
            )
        else:
            row.spec = spec
            row.generation = (row.generation or 0) + 1

    def desired(self, service_id: str) -> DesiredState | None:
        row = db.session.get(RuntimeDesiredState, service_id)
        if row is None:
            return None
        spec = dict(row.spec or {})
        sets = [ReplicaSetSpec(**s) for s in spec.pop("sets", [])]
        return DesiredState(**spec, sets=sets)

    def remove(self, service_id: str) -> None:
        row = db.session.get(RuntimeDesiredState, service_id)
        if row is not None:
            db.session.delete(row)

    # --- observation ---------------------------------------------------------------------------
    def replicas(self, service_id: str) -> list[ReplicaStatus]:
        return self._replicas_of([service_id])[service_id]

    def _replicas_of(self, service_ids: Sequence[str]) -> dict[str, list[ReplicaStatus]]:
        """The replicas of each service, from one read of the agent's records."""
        redis = self._r()
        with redis.pipeline(transaction=False) as pipe:
            pipe.get(KEY_NODE)
            pipe.hvals(KEY_REPLICAS)
            node, raw = pipe.execute()
        node_name = node.decode() if isinstance(node, bytes) else (node or "local")
        out: dict[str, list[ReplicaStatus]] = {sid: [] for sid in service_ids}
        for rec in parse_records(raw):
            if rec.service_id in out:
                out[rec.service_id].append(replica_status(rec, node_name))
        for items in out.values():
            items.sort(key=lambda r: (r.revision, r.pod))
        return out

    def observation_sources(self) -> tuple[str, ...]:
        """`observe()` reads the desired-state table and the agent's records."""
        return (RuntimeDesiredState.__table__.name, REPLICAS_GENERATION)

    def observe(self, service_ids: Sequence[str]) -> dict[str, tuple[int, list[ReplicaStatus]]]:
        """One query for the desired states and one Redis round trip for the replicas."""
        ids = list(service_ids)
        if not ids:
            return {}
        rows = db.session.execute(
            select(RuntimeDesiredState).where(RuntimeDesiredState.service_id.in_(ids))
        ).scalars()
        wanted = {row.service_id: _desired_total(row.spec) for row in rows}
        replicas = self._replicas_of(ids)
        return {sid: (wanted.get(sid, 0), replicas[sid]) for sid in ids}

    def read_logs(
        self, service_id: str, *, lines: int = 100, since: datetime | None = None
    ) -> list[LogEntry]:
        return logs.read(self._r(), service_id, lines=lines, since=since)

    def stream_logs(
        self, service_id: str, *, after: str | None = None, wait_seconds: float = 5.0
    ) -> Iterator[list[LogEntry]]:
        return logs.follow(self._r(), service_id, after=after, wait_seconds=wait_seconds)

    def failed_runs(self, service_id: str, revision: int) -> list[dict]:
        return logs.failed_runs(self._r(), service_id, revision)

    def delete_logs(self, service_id: str) -> None:
        logs.delete(self._r(), service_id)

    def _ready(self, service_id: str) -> list[ReplicaStatus]:
        return [r for r in self.replicas(service_id) if r.ready and r.address]

    def proxy_target(self, service_id: str) -> str | None:
        ready = self._ready(service_id)
        if not ready:
            return None
        turn = self._r().incr(f"sparki:rr:{service_id}")  # round robin across ready replicas
        return f"http://{ready[turn % len(ready)].address}"

    def probe(self, service_id: str, path: str, *, timeout: float = 5.0) -> ProbeResult:
        now = datetime.now(UTC)
        started = time.monotonic()
        all_replicas = self.replicas(service_id)
        ready = [r for r in all_replicas if r.ready and r.address]
        if not ready:
            return ProbeResult(
                "unhealthy",
                f"0 of {len(all_replicas)} replicas ready",
                now,
                round((time.monotonic() - started) * 1000, 2),
            )
        target = ready[0]
        url = f"http://{target.address}{path if path.startswith('/') else '/' + path}"
        try:
            resp = requests.get(url, timeout=timeout, allow_redirects=False)
        except requests.RequestException as exc:
            return ProbeResult(
                "error",
                f"{type(exc).__name__} from {target.pod}",
                now,
                round((time.monotonic() - started) * 1000, 2),
                pod=target.pod,
            )
        elapsed = round((time.monotonic() - started) * 1000, 2)
        if 200 <= resp.status_code < 300:
            return ProbeResult(
                "healthy",
                f"{path} answered {resp.status_code} on {target.pod}",
                now,
                elapsed,
                pod=target.pod,
                http_status=resp.status_code,
            )
        return ProbeResult(
            "unhealthy",
            f"{path} answered {resp.status_code} on {target.pod}",
            now,
            elapsed,
            pod=target.pod,
            http_status=resp.status_code,
        )
