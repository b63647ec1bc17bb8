"""What a runtime's observations mean for a service's health: status, reason, events, alerts.

Drivers only observe (which replicas exist, which are ready, what a probe said); the rules
that turn that into `Service.health_*`, `service.health_changed` and `alert.*` live here,
once, so a second driver (Kubernetes) reports the same observations and adds no rules.
The local agent calls `record_observations()` every couple of seconds; `refresh_health()`
gathers the same observations through the runtime interface for drivers without a loop.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from sqlalchemy import select

from blueprints.core.events import emit
from blueprints.core.extensions import db
from blueprints.core.models import utcnow

from .models import Service
from .runtime import get_runtime
from .runtime.base import ReplicaStatus

log = logging.getLogger("sparki.services.health")


@dataclass(frozen=True)
class Observation:
    """What a driver sees of one service now: the replicas it should run and those it has."""

    desired: int  # replicas the desired state asks for (0: run nothing)
    replicas: Sequence[ReplicaStatus] = field(default_factory=tuple)


def runtime_failure(replicas: Sequence[ReplicaStatus]) -> str | None:
    """The first thing the runtime reported it could not do for one of `replicas` ("<pod>
    could not start replica: …"), or None.

    Such a failure is the runtime's, not the program's, and waiting does not cure it (a
    working directory gone, a command `exec` refuses): a rollout meeting one on a new
    replica fails at once with it as the reason, and a service's health names it.
    """
    failed = next((r for r in replicas if r.failure), None)
    return f"{failed.pod} {failed.failure}" if failed else None


def assess(service: Service, seen: Observation) -> tuple[str, str]:
    """(status, reason) of `service` given what the driver sees; pure.

    The one rule for a service's health, applied to one snapshot (the row's status, the
    desired state and the replicas seen together), by the agent's loop and by every page
    and API read alike, so status and health never contradict each other. `starting`: the
    service should run, no replica is ready yet and none has failed; every replica is
    still coming up for the first time (or none is there yet). That is a start, a restart
    (a rollout of new replicas) or a scale-up, not an outage, and raises no alert. A
    replica the runtime has restarted after it crashed (`restarts` > 0) is not starting:
    like Kubernetes' CrashLoopBackOff, 0 ready with a crashed replica is `unhealthy`.
    """
    desired = seen.desired
    ready = sum(1 for r in seen.replicas if r.ready and r.state == "running")
    if service.status == "failed" and desired == 0:
        return "unhealthy", "the last deployment failed and nothing runs"
    if service.status == "stopped":
        going = len(seen.replicas)
        return "hibernated", "the service is stopped" + (
            f" ({going} replica{'s' if going != 1 else ''} shutting down)" if going else ""
        )
    if desired == 0:
        return "hibernated", "nothing runs"
    if ready:
        return "healthy", f"{ready} of {desired} replicas ready"
    failure = runtime_failure(seen.replicas)
    if not failure and all(r.state == "starting" and not r.restarts for r in seen.replicas):
        return "starting", f"0 of {desired} replicas ready yet: starting"
    detail = failure or next((r.message for r in seen.replicas if r.message), "")
    return "unhealthy", f"0 of {desired} replicas ready" + (f" ({detail})" if detail else "")


def record_health(service: Service, seen: Observation) -> None:
    """Record `service`'s health from `seen`; a change emits `service.health_changed`, and
    going unhealthy while running (or recovering) raises (or resolves) an alert.

    Part of the caller's transaction: the caller commits.
    """
    status, reason = assess(service, seen)
    old = service.health_status
    if status == old:
        if reason != service.health_reason:
            service.health_reason = reason[:255]
        return
    if service.status == "deploying" and status == "unhealthy":
        return  # a first rollout is not an outage
    service.health_status, service.health_reason = status, reason[:255]
    service.health_changed_at = utcnow()
    if old == "unknown" and status == "hibernated":
        return
    from blueprints.users.models import Organization

    org = db.session.get(Organization, service.org_id)
    data = {
        "serviceId": service.id,
        "name": service.name,
        "projectId": service.project_id,
        "from": old,
        "to": status,
        "reason": reason,
    }
    emit(org, "service.health_changed", data)
    if status == "unhealthy" and service.status == "running":
        emit(org, "alert.triggered", {"kind": "service.unhealthy", **data})
    elif old == "unhealthy" and status == "healthy":
        emit(org, "alert.resolved", {"kind": "service.unhealthy", **data})


def record_observations(observations: Mapping[str, Observation]) -> int:
    """Record the health of every service from a driver's observations by service id (a
    service missing from them runs nothing); commits once and returns how many were seen.

    On a database error the transaction is rolled back and the error re-raised.
    """
    nothing = Observation(desired=0)
    services = db.session.execute(select(Service)).scalars().all()
    try:
        for service in services:
            record_health(service, observations.get(service.id, nothing))
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return len(services)


def refresh_health() -> int:
    """Observe every service through the configured runtime and record its health (for a
    driver without a supervision loop of its own; a periodic job may call this)."""
    runtime = get_runtime()
    ids = list(db.session.execute(select(Service.id)).scalars())
    observations = {
        service_id: Observation(desired=desired, replicas=replicas)
        for service_id, (desired, replicas) in runtime.observe(ids).items()
    }
    return record_observations(observations)
