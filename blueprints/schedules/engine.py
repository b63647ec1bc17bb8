"""The schedule engine: the scheduler tick that fires due slots, and running one task.

Firing. `tick(now)` runs in the `sparki scheduler` process at least once a second. It holds
a Redis leadership lock (a second scheduler waits), makes one indexed query for active
schedules whose `next_run_at` is due, and for each due slot records a task and enqueues an
RQ job with the deterministic id `schedule_<id>_<slot epoch>`. A task is unique per
(schedule, slot), so a restarted or second scheduler can never fire a slot twice; the
schedule's next slot is advanced in the same transaction. Slots older than
SCHEDULE_MISFIRE_GRACE_SECONDS were missed (the scheduler was down): `skip` records each as
a `skipped` task with the reason, `run_once` runs the latest one as a catch-up. With
`concurrencyPolicy: forbid`, a slot that comes while the schedule's previous task is still
pending or running is recorded `skipped`.

Running. `execute(task_id)` (the RQ job) runs a pending task once: a workflow at its
source, or a service action through the services feature's domain. Connection errors,
timeouts and 5xx are retried with exponential backoff up to the task's `max_retries`.
A task cancelled meanwhile stays cancelled (every status change is conditional).
"""

from __future__ import annotations

import logging
import os
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from prometheus_client import Histogram
from rq.command import send_stop_job_command
from rq.exceptions import InvalidJobOperation, NoSuchJobError
from rq.job import Job
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from blueprints.core.events import emit
from blueprints.core.extensions import db, get_redis
from blueprints.core.jobs import enqueue, get_queue
from blueprints.core.models import iso_utc, new_id

from . import clients, timing
from .models import OPEN_STATUSES, Schedule, Task

log = logging.getLogger("sparki.schedules")
FIRE_LAG = Histogram(
    "sparki_schedule_fire_lag_seconds",
    "How long after its due time a schedule's slot fired (the scheduler's lateness)",
    buckets=(0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300),
)

RUN_JOB = "blueprints.schedules.jobs.run_task"
QUEUE = "default"
LEADER_KEY = "sparki:schedules:leader"
LEADER_TTL_MS = 5000
MAX_SKIPPED_RECORDS = 100  # per schedule per tick: older missed slots are only counted
TICK_BATCH = 2000  # due schedules handled per tick; the rest on the next one
MAX_LOG_LINES = 200


def _log(task: Task, message: str, level: str = "info") -> None:
    lines = list(task.logs or [])
    lines.append({"timestamp": iso_utc(timing.now()), "level": level, "message": message[:1000]})
    task.logs = lines[-MAX_LOG_LINES:]


def new_task(schedule: Schedule, *, status: str, trigger: str, **values: Any) -> Task:
    """A task of `schedule`'s target (not added to the session)."""
    wf = schedule.workflow
    task = Task(
        id=new_id(Task.__id_prefix__),
        org_id=schedule.org_id,
        schedule_id=schedule.id,
        workflow_id=schedule.workflow_id,
        service_id=schedule.service_id,
        action=schedule.action,
        replicas=schedule.replicas,
        status=status,
        trigger=trigger,
        tries=0,
        input=schedule.input or "",
        max_retries=wf.max_retries if wf else 0,
        timeout_seconds=wf.timeout_seconds if wf else 300,
        logs=[],
        **values,
    )
    if "created_by" not in values:
        task.created_by = schedule.created_by
    return task


def spec_of(schedule: Schedule) -> timing.Spec:
    """What the timing maths needs of `schedule`."""
    return timing.Spec(
        schedule.schedule_type, schedule.expression, schedule.timezone, schedule.anchor_at
    )


def job_id_for(task: Task) -> str:
    """The RQ job id of the task's next attempt: `schedule_<id>_<slot epoch>` for a slot's
    first attempt, else `task_<id>_<try>` (RQ 3 allows only letters, digits, `_` and `-` in
    a job id, so the issue's `schedule:<id>:<epoch>` is spelled with underscores)."""
    if task.scheduled_for is not None and task.schedule_id and task.tries == 0:
        return f"schedule_{task.schedule_id}_{int(task.scheduled_for.timestamp())}"
    return f"task_{task.id}_{task.tries + 1}"


def enqueue_task(task: Task, delay: float | None = None) -> None:
    """Queue the task's next attempt (after `delay` seconds) and remember its job id."""
    job_id = job_id_for(task)
    budget = int(task.timeout_seconds) + 60
    enqueue(RUN_JOB, task.id, queue=QUEUE, job_id=job_id, timeout=budget, delay=delay)
    db.session.execute(update(Task).where(Task.id == task.id).values(job_id=job_id))
    db.session.commit()


# --- the tick -----------------------------------------------------------------------------


def _leader(redis: Any, me: str) -> bool:
    if redis.set(LEADER_KEY, me, nx=True, px=LEADER_TTL_MS):
        return True
    current = redis.get(LEADER_KEY)
    if current is not None and current.decode() == me:
        redis.pexpire(LEADER_KEY, LEADER_TTL_MS)
        return True
    return False


def scheduler_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def tick(now: datetime | None = None, *, name: str | None = None) -> dict[str, Any]:
    """Fire every due slot (see the module docstring). Returns `{"leader": bool, "fired",
    "skipped": counts, "next_in": seconds until the earliest next slot (or None)}`.

    Its cost is what the enqueue jitter is made of, so it does a fixed number of round
    trips whatever the number of due schedules: one indexed query for them (with their
    workflows), one for the open tasks of `forbid` ones, one flush inserting every task and
    updating every schedule (batched by SQLAlchemy), one commit, one Redis pipeline
    enqueueing every job, one UPDATE noting when, and one indexed query for the next slot.
    """
    now = now or timing.now()
    redis = get_redis()
    result: dict[str, Any] = {"leader": False, "fired": 0, "skipped": 0, "next_in": None}
    if not _leader(redis, name or scheduler_name()):
        return result
    result["leader"] = True
    grace = timedelta(seconds=int(current_app.config["SCHEDULE_MISFIRE_GRACE_SECONDS"]))
    due = list(
        db.session.execute(
            select(Schedule)
            .where(Schedule.active.is_(True), Schedule.next_run_at <= now)
            .order_by(Schedule.next_run_at)
            .limit(TICK_BATCH)
        )
        .unique()
        .scalars()
    )
    to_enqueue: list[_Job] = []
    if due:
        busy = _busy_schedules([s.id for s in due if s.concurrency_policy == "forbid"])
        ids = [s.id for s in due]
        try:
            for schedule in due:
                to_enqueue += _fire(schedule, now, grace, busy, result)
            db.session.commit()
        except IntegrityError:
            # Another scheduler recorded one of these slots first: redo one by one.
            db.session.rollback()
            result["fired"] = result["skipped"] = 0
            to_enqueue = _fire_one_by_one(ids, now, grace, result)
    if to_enqueue:
        for job in to_enqueue:  # committed firings only: how late each is, in seconds
            if job.scheduled_for is not None:
                FIRE_LAG.observe(max(0.0, (now - job.scheduled_for).total_seconds()))
        _enqueue_many(to_enqueue)
    nxt = db.session.execute(
        select(Schedule.next_run_at)
        .where(Schedule.active.is_(True), Schedule.next_run_at.is_not(None))
        .order_by(Schedule.next_run_at)
        .limit(1)
    ).scalar_one_or_none()
    if nxt is not None:
        result["next_in"] = max(0.0, (nxt - timing.now()).total_seconds())
    return result


@dataclass(frozen=True)
class _Job:
    """What enqueueing a fired task needs, taken before the commit expires the rows."""

    task_id: str
    job_id: str
    timeout: int
    scheduled_for: datetime | None = None  # the slot it fires for (the fire-lag metric)


def _busy_schedules(ids: list[str]) -> dict[str, str]:
    """{schedule id: id of its open task} for those with a task pending or running."""
    if not ids:
        return {}
    rows = db.session.execute(
        select(Task.schedule_id, Task.id).where(
            Task.schedule_id.in_(ids), Task.status.in_(OPEN_STATUSES)
        )
    ).all()
    return {sid: tid for sid, tid in rows}


def _fire_one_by_one(
    ids: list[str], now: datetime, grace: timedelta, result: dict[str, Any]
) -> list[_Job]:
    out: list[_Job] = []
    for sid in ids:
        schedule = db.session.get(Schedule, sid)
        if schedule is None or not schedule.active or schedule.next_run_at is None:
            continue
        if schedule.next_run_at > now:
            continue
        busy = _busy_schedules([sid]) if schedule.concurrency_policy == "forbid" else {}
        before = dict(result)
        try:
            jobs = _fire(schedule, now, grace, busy, result)
            db.session.commit()
            out += jobs
        except IntegrityError:  # this slot is another scheduler's: it advanced the schedule
            db.session.rollback()
            result.update(before)
    return out


def _fire(
    schedule: Schedule,
    now: datetime,
    grace: timedelta,
    busy: dict[str, str],
    result: dict[str, Any],
) -> list[_Job]:
    """Record the schedule's due slots as tasks and advance it (in the session, not yet
    flushed); the jobs to enqueue once committed."""
    spec = spec_of(schedule)
    slots, total = timing.slots_until(spec, schedule.next_run_at, now, MAX_SKIPPED_RECORDS + 1)
    on_time = [s for s in slots if now - s <= grace]
    missed = [s for s in slots if now - s > grace]
    missed_total = total - len(on_time)
    run: list[tuple[datetime, str]] = [(s, "schedule") for s in on_time[-1:]]
    # Several on-time slots in one tick (an interval shorter than the tick's lateness) run
    # only the latest; the earlier ones are recorded as skipped.
    skip = [(s, "an overlapping slot in the same tick ran instead") for s in on_time[:-1]]
    if missed:
        reason = f"missed: the scheduler was not running at this time ({missed_total} missed)"
        if schedule.missed_run_policy == "run_once" and not on_time:
            run = [(missed[-1], "catch_up")]
            skip += [(s, reason + "; one catch-up run instead") for s in missed[:-1]]
        else:
            skip += [(s, reason) for s in missed]
    out: list[_Job] = []
    for slot, why in skip:
        task = new_task(schedule, status="skipped", trigger="schedule", scheduled_for=slot)
        task.reason, task.finished_at = why[:300], now
        db.session.add(task)
        result["skipped"] += 1
    for slot, trigger in run:
        open_task = busy.get(schedule.id)
        if schedule.concurrency_policy == "forbid" and open_task:
            task = new_task(schedule, status="skipped", trigger=trigger, scheduled_for=slot)
            task.reason = f"concurrencyPolicy forbid: task {open_task} was still running"
            task.finished_at = now
            db.session.add(task)
            result["skipped"] += 1
            continue
        task = new_task(schedule, status="pending", trigger=trigger, scheduled_for=slot)
        task.job_id = job_id_for(task)
        _log(task, f"fired for slot {iso_utc(slot)}")
        db.session.add(task)
        out.append(_Job(task.id, task.job_id, int(task.timeout_seconds) + 60, slot))
        result["fired"] += 1
    schedule.last_run_at = slots[-1] if slots else schedule.last_run_at
    schedule.next_run_at = timing.next_after(spec, now)
    return out


def _enqueue_many(jobs: list[_Job]) -> None:
    """Enqueue the jobs in one Redis pipeline (deterministic ids), then note when, in one
    UPDATE."""
    queue = get_queue(QUEUE)
    queue.enqueue_many(
        [
            queue.prepare_data(
                RUN_JOB,
                args=(job.task_id,),
                job_id=job.job_id,
                timeout=job.timeout,
                failure_ttl=7 * 86400,
            )
            for job in jobs
        ]
    )
    at = timing.now()
    ids = [job.task_id for job in jobs]
    for start in range(0, len(ids), 500):
        db.session.execute(
            update(Task)
            .where(Task.id.in_(ids[start : start + 500]), Task.enqueued_at.is_(None))
            .values(enqueued_at=at)
        )
    db.session.commit()


def requeue_lost(older_than: float = 30.0) -> int:
    """Enqueue again pending tasks whose job never made it to Redis (the scheduler died
    between commit and enqueue); the job skips a task that is no longer pending."""
    cutoff = timing.now() - timedelta(seconds=older_than)
    lost = list(
        db.session.execute(
            select(Task)
            .where(Task.status == "pending", Task.enqueued_at.is_(None), Task.created_at < cutoff)
            .limit(500)
        )
        .unique()
        .scalars()
    )
    for task in lost:
        enqueue_task(task)
    return len(lost)


# --- running one task ---------------------------------------------------------------------


def _set(task_id: str, expect: tuple[str, ...], **values: Any) -> bool:
    """Change the task only while its status is in `expect`; whether it was changed."""
    done = db.session.execute(
        update(Task).where(Task.id == task_id, Task.status.in_(expect)).values(**values)
    )
    db.session.commit()
    return bool(done.rowcount)


def execute(task_id: str) -> str:
    """Run the pending task `task_id` once (the RQ job); its status afterwards."""
    task = db.session.get(Task, task_id)
    if task is None:
        return "missing"
    if task.status != "pending":
        return task.status
    started = timing.now()
    tries = task.tries + 1
    _log(task, f"try {tries} of {task.max_retries + 1} started")
    if not _set(
        task_id,
        ("pending",),
        status="running",
        tries=tries,
        started_at=task.started_at or started,
        logs=task.logs,
    ):
        return db.session.get(Task, task_id).status
    db.session.refresh(task)
    try:
        output, text = _perform(task)
    except clients.SourceError as exc:
        return _failed(task, exc.reason, retryable=exc.retryable)
    except Exception as exc:  # a service action's DomainError, or a bug: recorded, not retried
        message = getattr(exc, "message", None) or f"{type(exc).__name__}: {exc}"
        return _failed(task, str(message), retryable=False)
    db.session.refresh(task)
    _log(task, "completed")
    finished = timing.now()
    if _set(
        task_id,
        ("running",),
        status="completed",
        output=output,
        output_text=text[:100_000],
        error=None,
        finished_at=finished,
        logs=task.logs,
    ):
        db.session.refresh(task)
        _emit(task, "task.completed")
        return "completed"
    return db.session.get(Task, task_id).status


def _perform(task: Task) -> tuple[Any, str]:
    if task.service_id:
        return _service_action(task)
    wf = task.workflow
    if wf is None:
        raise clients.SourceError("the workflow no longer exists")
    source = wf.source
    client = clients.client_for(source.source_type, source.url, source.api_key)
    result = client.run(wf.kind, wf.remote_id, task.input or "", float(task.timeout_seconds))
    return result.output, result.text


def _service_action(task: Task) -> tuple[Any, str]:
    """A service action as the schedule's creator: rights are checked as for the action."""
    from blueprints.services import domain as services
    from blueprints.users.models import User

    actor = db.session.get(User, task.created_by) if task.created_by else None
    if actor is None or not actor.active:
        raise PermissionError("the user who scheduled this action no longer exists or is inactive")
    org = actor.organization
    if task.action == "restart":
        deployment = services.restart(org, actor, task.service_id)
    elif task.action == "scale":
        deployment = services.deploy(org, actor, task.service_id, replicas=task.replicas)
    else:
        deployment = services.deploy(org, actor, task.service_id)
    output = {"deploymentId": deployment.id, "status": deployment.status, "action": task.action}
    return output, f"{task.action}: deployment {deployment.id} started"


def _backoff(tries: int) -> float:
    base = float(current_app.config["TASK_RETRY_BASE_SECONDS"])
    return min(float(current_app.config["TASK_RETRY_MAX_SECONDS"]), base * 2 ** (tries - 1))


def _failed(task: Task, reason: str, *, retryable: bool) -> str:
    db.session.rollback()
    task = db.session.get(Task, task.id)
    db.session.refresh(task)
    if retryable and task.tries <= task.max_retries:
        delay = _backoff(task.tries)
        _log(task, f"try {task.tries} failed: {reason}; retrying in {delay:g} s", "warning")
        if _set(task.id, ("running",), status="pending", error=reason[:1000], logs=task.logs):
            db.session.refresh(task)
            enqueue_task(task, delay=delay or None)
            return "pending"
        return db.session.get(Task, task.id).status
    _log(task, f"try {task.tries} failed: {reason}", "error")
    if _set(
        task.id,
        ("running",),
        status="failed",
        error=reason[:1000],
        finished_at=timing.now(),
        logs=task.logs,
    ):
        db.session.refresh(task)
        _emit(task, "task.failed")
        return "failed"
    return db.session.get(Task, task.id).status


def _emit(task: Task, event_type: str) -> None:
    from blueprints.users.models import Organization

    org = db.session.get(Organization, task.org_id)
    emit(
        org,
        event_type,
        {
            "taskId": task.id,
            "workflowId": task.workflow_id,
            "scheduleId": task.schedule_id,
            "serviceId": task.service_id,
            "status": task.status,
            "trigger": task.trigger,
            "tries": task.tries,
            "error": task.error,
            "outputText": (task.output_text or "")[:1000] or None,
        },
    )
    db.session.commit()


def cancel(task: Task, *, by: str) -> bool:
    """End a pending or running task `cancelled`, stopping its RQ job; False when it had
    already ended."""
    was = task.status
    _log(task, f"cancelled by {by} while {was}", "warning")
    if not _set(
        task.id, OPEN_STATUSES, status="cancelled", finished_at=timing.now(), logs=task.logs
    ):
        db.session.refresh(task)
        return False
    db.session.refresh(task)
    if task.job_id:
        redis = get_redis()
        try:
            job = Job.fetch(task.job_id, connection=redis)
            if job.get_status(refresh=True) == "started":
                send_stop_job_command(redis, task.job_id)
            else:
                job.cancel()
        except (NoSuchJobError, InvalidJobOperation):
            pass
    return True
