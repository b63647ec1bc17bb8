"""Deployments run here. On a runtime the feature steps (local), an RQ job drives the rollout
by changing the desired replica sets one step at a time and waiting for the runtime to report
the new replicas ready; on a runtime that carries out rollouts itself (Kubernetes, see
`Runtime.drives_rollouts`) the job hands it the new state once and follows its progress.
Either way the same rules fail a rollout (a runtime failure, a crash-looping new replica, no
progress in time) and a failed one puts back what ran before.

The job never starts a process (the runtime agent does), so killing the worker never kills
a service. It takes a deployment id, reloads everything, and resumes from the sets it
finds, so running it twice is harmless; a periodic sweep re-enqueues rollouts whose worker
died.
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta

from flask import current_app
from prometheus_client import Counter, Histogram
from sqlalchemy import select

from blueprints.core.errors import ServiceUnavailable
from blueprints.core.events import emit
from blueprints.core.extensions import db, get_redis
from blueprints.core.jobs import handover_requested, periodic
from blueprints.core.models import utcnow

from .domain import enqueue_deployment
from .health import runtime_failure
from .models import Deployment, Revision, Service
from .rollout import desired_state, next_step, set_spec
from .runtime import get_runtime
from .runtime.base import ReplicaSetSpec

log = logging.getLogger("sparki.services.jobs")
DEPLOYS = Counter("sparki_deploys_total", "Finished deployments, by outcome", ["outcome"])
DEPLOY_SECONDS = Histogram(
    "sparki_deploy_duration_seconds",
    "How long a deployment took from its start to success or failure, by outcome",
    ["outcome"],
    buckets=(1, 2.5, 5, 10, 20, 30, 60, 120, 300, 600),
)

POLL_SECONDS = 0.25
CRASH_LIMIT = 2  # a new replica that crashed after this many restarts fails the rollout


class HandOver(Exception):
    """The worker is shutting down: stop here and leave the rollout to the next one."""


class RolloutFailed(Exception):
    pass


def run_deployment(deployment_id: str) -> str:
    """Carry out one deployment to `success` or `failed`; returns the final status."""
    deployment = db.session.get(Deployment, deployment_id)
    if deployment is None or deployment.status != "in-progress":
        return deployment.status if deployment else "missing"
    service = db.session.get(Service, deployment.service_id)
    revision = db.session.execute(
        select(Revision).where(
            Revision.service_id == service.id, Revision.number == deployment.revision
        )
    ).scalar_one()
    if deployment.started_at is None:
        deployment.started_at = utcnow()
        db.session.commit()
    log.info(
        "deployment %s: rolling out revision %s of %s (%s)",
        deployment.id,
        revision.number,
        service.id,
        deployment.strategy,
    )
    target = set_spec(deployment.id, revision, deployment.replicas)
    try:
        _roll_out(deployment, service, target)
    except RolloutFailed as exc:
        _fail(deployment, service, str(exc))
        return "failed"
    except ServiceUnavailable as exc:  # the runtime could not be reached or refused
        db.session.rollback()
        _fail(deployment, service, f"the runtime is unavailable: {exc.message}")
        return "failed"
    except HandOver:
        # The worker is stopping: the deployment stays in progress and the next deployer
        # carries it on from the replica sets it finds (resume_stalled_deployments).
        db.session.rollback()
        log.warning("deployment %s: the worker is stopping; handed over", deployment_id)
        return "handed-over"
    except Exception as exc:
        # An unexpected error (a bug, the database gone): record it rather than leave the
        # deployment in progress for ever; the old replica sets are put back.
        log.exception("deployment %s: the rollout stopped", deployment_id)
        db.session.rollback()
        _fail(
            deployment,
            service,
            f"the rollout stopped on an internal error "
            f"({type(exc).__name__}); see the worker's log",
        )
        return "failed"
    _succeed(deployment, service, revision)
    return "success"


def _roll_out(deployment: Deployment, service: Service, target: ReplicaSetSpec) -> None:
    runtime = get_runtime()
    timeout = float(current_app.config["DEPLOY_READY_TIMEOUT"])
    if runtime.drives_rollouts:
        _follow_rollout(deployment, service, target, timeout)
        return
    while True:
        current = runtime.desired(service.id)
        step = next_step(current.sets if current else [], target, deployment.strategy)
        if current is None or [s.__dict__ for s in current.sets] != [s.__dict__ for s in step.sets]:
            runtime.apply(desired_state(service, step.sets))
            db.session.commit()
        _wait_ready(deployment, service, target, step.wait_for_ready, timeout)
        if step.done:
            _wait_old_gone(service, target)
            return


def _follow_rollout(
    deployment: Deployment, service: Service, target: ReplicaSetSpec, timeout: float
) -> None:
    """Hand the runtime the new state (its own rolling update or recreate) and follow its
    progress into `deployment.progress` until the runtime calls it complete.

    The runtime's own deadline (a Deployment's progressDeadlineSeconds, DEPLOY_READY_TIMEOUT
    without progress) says when it stalled; a backstop of one timeout per replica (plus one)
    covers a runtime that never says.
    """
    runtime = get_runtime()
    runtime.apply(desired_state(service, [target], strategy=deployment.strategy))
    db.session.commit()
    backstop = time.monotonic() + timeout * (target.replicas + 1) + 30
    while True:
        seen = runtime.rollout_progress(service.id, target.key)
        progress = {
            "updated": seen.updated,
            "ready": seen.ready,
            "available": seen.available,
            "desired": target.replicas,
        }
        if progress != deployment.progress:
            deployment.progress = progress
            db.session.commit()
        if seen.complete:
            return
        if handover_requested():  # the cluster carries on; the next deployer follows it
            raise HandOver()
        mine = [r for r in runtime.replicas(service.id) if r.set_key == target.key]
        _judge_new_replicas(service, target, mine)
        if seen.stalled or time.monotonic() > backstop:
            why = seen.stalled or "the runtime reported no end to the rollout"
            crashed = next((r for r in mine if r.message), None)
            if crashed is not None:
                why += f"; {crashed.pod} {crashed.message}"
            raise RolloutFailed(
                f"a new replica of revision {target.revision} did not become "
                f"ready within {timeout:.0f}s: {why}{last_words(service.id, target.revision)}"
            )
        time.sleep(POLL_SECONDS)


def _judge_new_replicas(service: Service, target: ReplicaSetSpec, mine: list) -> None:
    """Fail the rollout at once when waiting cannot help: the runtime could not run a new
    replica, or one is crash-looping."""
    failure = runtime_failure(mine)
    if failure:  # the runtime could not run it: no point waiting, and say why
        raise RolloutFailed(f"a new replica of revision {target.revision} failed: {failure}")
    looping = next((r for r in mine if r.state == "crashed" and r.restarts >= CRASH_LIMIT), None)
    if looping is not None:  # no point waiting out the timeout
        raise RolloutFailed(
            f"a new replica of revision {target.revision} is crash-looping: "
            f"{looping.pod} {looping.message}{last_words(service.id, target.revision)}"
        )


def _wait_old_gone(service: Service, target: ReplicaSetSpec, seconds: float = 15.0) -> None:
    """Give replaced replicas their stop grace period, so `success` means fully rolled out."""
    runtime = get_runtime()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if all(r.set_key == target.key for r in runtime.replicas(service.id)):
            return
        if handover_requested():
            raise HandOver()
        time.sleep(POLL_SECONDS)


def _wait_ready(
    deployment: Deployment, service: Service, target: ReplicaSetSpec, want: int, timeout: float
) -> None:
    runtime = get_runtime()
    deadline = time.monotonic() + timeout
    while True:
        replicas = runtime.replicas(service.id)
        mine = [r for r in replicas if r.set_key == target.key]
        progress = {
            "updated": len(mine),
            "ready": sum(1 for r in mine if r.ready),
            "available": sum(1 for r in replicas if r.ready),
            "desired": target.replicas,
        }
        if progress != deployment.progress:
            deployment.progress = progress
            db.session.commit()
        if progress["ready"] >= want:
            return
        if handover_requested():
            raise HandOver()
        _judge_new_replicas(service, target, mine)
        if time.monotonic() > deadline:
            crashed = next((r for r in mine if r.state == "crashed" or r.message), None)
            why = f": {crashed.pod} {crashed.message}" if crashed and crashed.message else ""
            if not runtime.available():
                why = ": the runtime agent is not running"
            raise RolloutFailed(
                f"a new replica of revision {target.revision} did not become "
                f"ready within {timeout:.0f}s{why}{last_words(service.id, target.revision)}"
            )
        time.sleep(POLL_SECONDS)


LAST_WORDS = 10  # output lines of a crashed replica quoted in a failed deployment's reason


def last_words(service_id: str, revision: int) -> str:
    """The last output lines of the latest crashed run of `revision`, as the tail of a failed
    deployment's reason (`; last output of <pod>:` and the lines); "" when none was kept."""
    runs = [run for run in get_runtime().failed_runs(service_id, revision) if run.get("lines")]
    if not runs:
        return ""
    run = runs[-1]
    lines = "\n".join(str(line)[:160] for line in run["lines"][-LAST_WORDS:])
    return f"; last output of {run.get('pod', 'the replica')}:\n{lines}"


def _finish(deployment: Deployment, service: Service, status: str, message: str) -> None:
    deployment.status, deployment.message = status, message[:2000]
    deployment.finished_at = utcnow()
    service.active_deployment_id = None
    DEPLOYS.labels(status).inc()
    if deployment.duration_ms is not None:
        DEPLOY_SECONDS.labels(status).observe(deployment.duration_ms / 1000)


def _fail(deployment: Deployment, service: Service, message: str) -> None:
    """Put back the replica sets that ran before, so the old revision keeps serving."""
    previous = [ReplicaSetSpec(**s) for s in (deployment.previous_sets or [])]
    try:
        get_runtime().apply(desired_state(service, previous))
    except ServiceUnavailable as exc:  # the failure is recorded all the same
        message += f"; what ran before could not be put back: {exc.message}"
        log.warning("deployment %s: %s", deployment.id, exc.message)
    kept = db.session.execute(
        select(Revision).where(
            Revision.service_id == service.id, Revision.number == service.current_revision
        )
    ).scalar_one_or_none()
    if kept is not None:  # the spec goes back to what keeps running
        service.image, service.command = kept.image, kept.command
        service.env, service.replicas = dict(kept.env or {}), kept.replicas
    service.status = "running" if sum(s.replicas for s in previous) else "failed"
    _finish(deployment, service, "failed", message)
    emit(
        service_org(service),
        "deployment.failed",
        {
            "deploymentId": deployment.id,
            "serviceId": service.id,
            "name": service.name,
            "revision": deployment.revision,
            "image": deployment.image,
            "reason": message,
            "keptRevision": deployment.previous_revision if previous else None,
        },
    )
    db.session.commit()
    log.warning("deployment %s failed: %s", deployment.id, message)


def _succeed(deployment: Deployment, service: Service, revision: Revision) -> None:
    service.current_revision = revision.number
    service.status = "running"
    _finish(deployment, service, "success", f"revision {revision.number} is live")
    emit(
        service_org(service),
        "deployment.completed",
        {
            "deploymentId": deployment.id,
            "serviceId": service.id,
            "name": service.name,
            "revision": revision.number,
            "image": revision.image,
            "durationMs": deployment.duration_ms,
            "durationSeconds": deployment.duration_seconds,  # deprecated: durationMs
        },
    )
    db.session.commit()
    log.info("deployment %s succeeded", deployment.id)


def service_org(service: Service):
    from blueprints.users.models import Organization

    return db.session.get(Organization, service.org_id)


def finish_service_deletion(service_id: str, wait_seconds: float = 60.0) -> int:
    """Finish deleting a service whose row is already gone: forget its desired state (again;
    idempotent), wait up to `wait_seconds` for the runtime to stop its replicas, then delete
    its logs (the replicas' last lines included). Returns how many replicas were left."""
    runtime = get_runtime()
    runtime.remove(service_id)
    db.session.commit()
    deadline = time.monotonic() + wait_seconds
    while runtime.replicas(service_id) and time.monotonic() < deadline:
        time.sleep(POLL_SECONDS)
    left = len(runtime.replicas(service_id))
    if left:
        log.warning("service %s deleted but %d replicas still stop", service_id, left)
    runtime.delete_logs(service_id)
    return left


@periodic(interval=60)
def resume_stalled_deployments() -> int:
    """Re-enqueue in-progress deployments (deduplicated by job id: a running one is left be),
    so a rollout whose worker was killed is carried on by another."""
    cutoff = utcnow() - timedelta(seconds=60)
    rows = (
        db.session.execute(
            select(Deployment).where(
                Deployment.status == "in-progress", Deployment.created_at < cutoff
            )
        )
        .scalars()
        .all()
    )
    for deployment in rows:
        enqueue_deployment(deployment)
    return len(rows)


@periodic(interval=10, timeout=60)
def observe_runtime() -> dict[str, int]:
    """For a runtime without a supervisor of its own (Kubernetes): record every service's
    health from what the runtime reports (events and alerts as on the local runtime) and
    sample the nodes' readings for the history plots and thresholds. A no-op on the local
    runtime, whose agent does both."""
    from flask import current_app

    from .health import refresh_health
    from .runtime.local_node import KEY_NODES, metrics_reading, record_sample

    runtime = get_runtime()
    if runtime.supervised:
        return {"services": 0, "nodes": 0}
    seen = refresh_health()
    readings = runtime.node_metrics()
    redis = get_redis()
    for m in readings:
        redis.sadd(KEY_NODES, m.node)
        record_sample(
            redis,
            m.node,
            metrics_reading(m),
            sample_seconds=float(current_app.config["NODE_SAMPLE_SECONDS"]),
        )
    return {"services": seen, "nodes": len(readings)}
