"""The pure half of the agent: compare desired replica sets with the replicas that exist.

No processes, no Redis, no clock of its own: `plan()` takes both sides and `now` and says
which replicas to start, stop and restart. The agent carries the plan out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

#: Seconds to wait before restarting a replica after its n-th consecutive crash.
BACKOFF_STEPS = (1.0, 2.0, 4.0, 8.0, 16.0, 30.0)


def backoff_seconds(crash_streak: int) -> float:
    """1 s after the first crash, doubling up to 30 s."""
    if crash_streak <= 0:
        return 0.0
    return BACKOFF_STEPS[min(crash_streak, len(BACKOFF_STEPS)) - 1]


@dataclass
class ReplicaRecord:
    """What the agent knows about one replica (persisted in Redis between agent runs)."""

    pod: str
    service_id: str
    org_id: str
    set_key: str
    revision: int
    port: int
    state: str = "starting"  # starting | running | crashed | stopping
    ready: bool = False
    pid: int | None = None
    create_time: float | None = None
    restarts: int = 0
    crash_streak: int = 0
    started_at: float | None = None
    ready_at: float | None = None
    next_start_at: float | None = None
    stop_deadline: float | None = None
    last_probe_at: float | None = None
    probe_failures: int = 0
    last_exit_code: int | None = None
    message: str = ""
    failure: str = ""  # what the agent itself could not do for this replica (start it...)
    log_out: str = ""
    log_err: str = ""
    off_out: int = 0
    off_err: int = 0

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ReplicaRecord:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known)


@dataclass
class Plan:
    start: list[tuple[str, str]] = field(default_factory=list)  # (service_id, set_key), one each
    stop: list[str] = field(default_factory=list)  # pods
    restart: list[str] = field(default_factory=list)  # crashed pods whose backoff elapsed

    def empty(self) -> bool:
        return not (self.start or self.stop or self.restart)


def _stop_order(record: ReplicaRecord) -> tuple[int, float]:
    """Which surplus replica goes first: crashed, then not ready, then the newest."""
    rank = 0 if record.state == "crashed" else (1 if not record.ready else 2)
    return rank, -(record.started_at or 0.0)


def plan(desired: dict[str, dict[str, int]], replicas: list[ReplicaRecord], now: float) -> Plan:
    """`desired` maps service id → {set key: replica count}.

    Crashed replicas keep their slot (they are restarted after their backoff rather than
    replaced); stopping replicas no longer count. Sets and services that are not desired
    lose every replica.
    """
    result = Plan()
    groups: dict[tuple[str, str], list[ReplicaRecord]] = {}
    for record in replicas:
        if record.state == "stopping":
            continue
        groups.setdefault((record.service_id, record.set_key), []).append(record)

    for service_id, sets in desired.items():
        for key, want in sets.items():
            have = groups.pop((service_id, key), [])
            want = max(int(want), 0)
            if len(have) < want:
                result.start.extend([(service_id, key)] * (want - len(have)))
            surplus = sorted(have, key=_stop_order)[: max(len(have) - want, 0)]
            result.stop.extend(r.pod for r in surplus)
            for record in have:
                if (
                    record not in surplus
                    and record.state == "crashed"
                    and (record.next_start_at or 0.0) <= now
                ):
                    result.restart.append(record.pod)

    for records in groups.values():  # what is left is not desired at all
        result.stop.extend(r.pod for r in records)
    return result
