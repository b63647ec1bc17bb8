"""Background work: queues, the one `enqueue()`, the worker class, periodic jobs.

Jobs take ids, reload rows and are idempotent. Every job runs inside a fresh Flask app
context (so it gets its own database session); in a forked work horse the SQLAlchemy
connection pool inherited from the parent is dropped first.

Periodic work is data: a job function is declared `@periodic(...)` beside its code, a
feature adds it to the app with `add_periodic_jobs(app, fn)` from its `register(app, api)`,
and the `sparki scheduler` process registers the app's jobs with RQ's CronScheduler on start.

The kernel imports no feature and not the application module: the worker and the scheduler
are handed the app they run in (`sparki worker`, `sparki scheduler`, or `rq worker -w` with
`SparkiWorker.app_factory` pointing at a factory; see SparkiWorker).
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, current_app, has_app_context
from redis import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from rq import Queue, Retry, SimpleWorker, Worker
from rq.cron import CronScheduler
from sqlalchemy import text
from sqlalchemy.orm import configure_mappers

from .extensions import db, get_redis
from .metrics import observe_job

log = logging.getLogger("sparki.jobs")

DEFAULT_QUEUE = "default"


@dataclass(frozen=True)
class PeriodicJob:
    """A job the scheduler enqueues every `interval` seconds or on a `cron` expression."""

    func: Callable[..., Any]
    interval: int | None = None
    cron: str | None = None
    queue: str = DEFAULT_QUEUE
    kwargs: dict[str, Any] = field(default_factory=dict)
    timeout: int = 300


_PERIODIC_KEY = "sparki_periodic_jobs"
_SPEC_ATTR = "__sparki_periodic__"


def periodic(
    *,
    interval: int | None = None,
    cron: str | None = None,
    queue: str = DEFAULT_QUEUE,
    timeout: int = 300,
) -> Callable:
    """Declare a function as periodic work: every `interval` seconds or on `cron`.

    Only marks the function; a feature's `register()` adds it to an app with
    `add_periodic_jobs`, so importing a module never schedules anything.
    """

    def decorator(fn: Callable) -> Callable:
        spec = PeriodicJob(fn, interval=interval, cron=cron, queue=queue, timeout=timeout)
        setattr(fn, _SPEC_ATTR, spec)
        return fn

    return decorator


def add_periodic_jobs(app: Flask, *funcs: Callable[..., Any]) -> None:
    """Run each `@periodic` function of `funcs` under `app`'s scheduler (call from `register`).

    Raises TypeError for a function that was not declared with `@periodic`.
    """
    jobs: list[PeriodicJob] = app.extensions.setdefault(_PERIODIC_KEY, [])
    for fn in funcs:
        spec = getattr(fn, _SPEC_ATTR, None)
        if not isinstance(spec, PeriodicJob):
            raise TypeError(f"{fn!r} is not declared @periodic")
        if spec not in jobs:
            jobs.append(spec)


def periodic_jobs(app: Flask) -> tuple[PeriodicJob, ...]:
    """The periodic jobs added to `app`, in the order the features added them."""
    return tuple(app.extensions.get(_PERIODIC_KEY, ()))


@dataclass(frozen=True)
class SchedulerTick:
    """Work the `sparki scheduler` process runs itself, in an app context, at least every
    `interval` seconds: `func()` returns None or how many seconds until it wants to run
    again (sooner than `interval`; e.g. the next due firing), so it can fire on time."""

    func: Callable[[], float | None]
    interval: float = 1.0


_TICKS_KEY = "sparki_scheduler_ticks"


def add_scheduler_tick(
    app: Flask, func: Callable[[], float | None], *, interval: float = 1.0
) -> None:
    """Run `func` in `app`'s scheduler process every `interval` seconds (call from `register`).

    For user-defined schedules stored as rows (a tick finds what is due and enqueues it);
    static periodic work belongs in `add_periodic_jobs`. Raises ValueError for interval <= 0.
    """
    if interval <= 0:
        raise ValueError("a scheduler tick needs a positive interval")
    ticks: list[SchedulerTick] = app.extensions.setdefault(_TICKS_KEY, [])
    if all(t.func is not func for t in ticks):
        ticks.append(SchedulerTick(func, interval))


def scheduler_ticks(app: Flask) -> tuple[SchedulerTick, ...]:
    """The scheduler ticks added to `app`, in the order the features added them."""
    return tuple(app.extensions.get(_TICKS_KEY, ()))


def get_queue(name: str = DEFAULT_QUEUE, connection: Redis | None = None) -> Queue:
    return Queue(name, connection=connection or get_redis())


def enqueue(
    func: Callable[..., Any] | str,
    *args: Any,
    queue: str = DEFAULT_QUEUE,
    job_id: str | None = None,
    delay: float | None = None,
    retry: Retry | None = None,
    timeout: int = 600,
    **kwargs: Any,
):
    """The one way to start background work.

    `job_id` makes enqueueing idempotent: a job with that id that is still queued, scheduled
    or running is not enqueued again. `delay` (seconds) needs a worker with the scheduler.
    """
    q = get_queue(queue)
    options: dict[str, Any] = {"job_timeout": timeout, "retry": retry, "failure_ttl": 7 * 86400}
    if job_id:
        existing = q.fetch_job(job_id)
        if existing is not None:
            status = existing.get_status(refresh=True)
            if (
                status in {"scheduled", "deferred"}
                or (status == "queued" and q.get_job_position(existing) is not None)
                or (status == "started" and _worker_alive(existing))
            ):
                return existing
        options["job_id"] = job_id
    if delay and delay > 0:
        from datetime import timedelta

        return q.enqueue_in(timedelta(seconds=delay), func, *args, **options, **kwargs)
    return q.enqueue(func, *args, **options, **kwargs)


def _worker_alive(job: Any) -> bool:
    """Whether the worker that started `job` is still registered. A worker stopped between
    taking a job and running it leaves the job "started" (or "queued" but in no queue) with
    nobody on it: such a job may be enqueued again (job ids make that idempotent)."""
    if not job.worker_name:
        return True  # cannot tell: assume it runs
    return bool(job.connection.exists(Worker.redis_worker_namespace_prefix + job.worker_name))


_handover = False
_handover_checked = 0.0


def handover_requested() -> bool:
    """Whether the worker running this job was asked to stop (SIGTERM to `sparki worker`).

    RQ's warm shutdown lets the current job finish; a long job that another worker can resume
    (a rollout) checks this while it waits and stops early instead, leaving its work to be
    picked up again. Read from the worker's record in Redis (RQ writes
    `shutdown_requested_date` there), at most twice a second; False outside a worker.
    """
    global _handover, _handover_checked
    if _handover:
        return True
    now = time.monotonic()
    if now - _handover_checked < 0.5:
        return False
    _handover_checked = now
    from rq import get_current_job

    job = get_current_job()
    if job is None or not job.worker_name:
        return False
    key = Worker.redis_worker_namespace_prefix + job.worker_name
    try:
        _handover = bool(job.connection.hexists(key, "shutdown_requested_date"))
    except RedisError:
        return False
    return _handover


class _AppContextMixin:
    """Runs each job in its own app context.

    The app is the one handed over (`flask_app`, set by `run_worker` and the tests), else the
    current app, else, for a worker started by hand as `rq worker -w
    blueprints.core.jobs.SparkiWorker`, the app Flask's own CLI would load (`FLASK_APP`, or
    `app.py`'s factory in the working directory). `sparki worker` is the way to start one.
    """

    flask_app: Flask | None = None
    _parent_pid: int = 0

    def __init__(self, *args: Any, app: Flask | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[call-arg]
        self.flask_app = app
        self._parent_pid = os.getpid()

    def _app(self) -> Flask:
        if self.flask_app is None:
            if has_app_context():
                self.flask_app = current_app._get_current_object()  # type: ignore[attr-defined]
            else:
                from flask.cli import ScriptInfo

                self.flask_app = ScriptInfo().load_app()
        return self.flask_app

    def perform_job(self, *args: Any, **kwargs: Any) -> bool:
        app = self._app()
        with app.app_context():
            if os.getpid() != self._parent_pid:
                # A forked work horse must not share the parent's pooled connections.
                db.engine.dispose(close=False)
            job = args[0] if args else kwargs.get("job")
            started, succeeded = time.perf_counter(), False
            try:
                succeeded = bool(super().perform_job(*args, **kwargs))  # type: ignore[misc]
                return succeeded
            finally:
                db.session.remove()
                observe_job(
                    getattr(job, "func_name", "unknown"), succeeded, time.perf_counter() - started
                )


class SparkiWorker(_AppContextMixin, Worker):
    """The production worker: forks a work horse per job; `app=` is the app jobs run in.

    On SIGTERM it stops taking jobs and waits for the current one (RQ's warm shutdown); a
    resumable job hands over early (`handover_requested`).
    """


class SparkiSimpleWorker(_AppContextMixin, SimpleWorker):
    """Runs jobs in-process: tests use it with `app=` and `work(burst=True)`."""


def wait_for_redis(connection: Redis, seconds: float = 30.0) -> None:
    """Block until Redis answers (processes start together under `sparki up`)."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            connection.ping()
            return
        except RedisConnectionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def run_worker(
    app: Flask, queues: list[str], *, burst: bool = False, with_scheduler: bool = True
) -> None:
    """Work `queues` (names) in `app` until stopped, or until they are empty with `burst`."""
    connection = get_redis()
    wait_for_redis(connection)
    # Connect once so the dialect is initialised here, configure the ORM mappers, then drop
    # the connection: forked work horses inherit both instead of redoing them for every job.
    db.session.execute(text("SELECT 1"))
    db.session.remove()
    db.engine.dispose()
    configure_mappers()
    worker = SparkiWorker(
        [get_queue(q, connection) for q in queues], connection=connection, app=app
    )
    worker.work(burst=burst, with_scheduler=with_scheduler, logging_level=app.config["LOG_LEVEL"])


class TickingCronScheduler(CronScheduler):
    """RQ's CronScheduler that also runs the app's scheduler ticks between its own jobs."""

    def __init__(self, *args: Any, app: Flask, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.flask_app = app
        self._due: dict[int, float] = {}  # tick index -> time.monotonic() it is next due

    def run_ticks(self) -> None:
        """Run every tick that is due; a failing tick is logged and tried again next time."""
        for index, tick in enumerate(scheduler_ticks(self.flask_app)):
            if time.monotonic() < self._due.get(index, 0.0):
                continue
            wait: float | None = None
            with self.flask_app.app_context():
                try:
                    wait = tick.func()
                except Exception:
                    log.exception("scheduler tick %s failed", getattr(tick.func, "__name__", tick))
                finally:
                    db.session.remove()
            step = tick.interval if wait is None else max(0.0, min(float(wait), tick.interval))
            self._due[index] = time.monotonic() + step

    def enqueue_jobs(self):  # type: ignore[no-untyped-def]
        enqueued = super().enqueue_jobs()
        self.run_ticks()
        return enqueued

    def calculate_sleep_interval(self) -> float:
        sleep = super().calculate_sleep_interval()
        if self._due:
            sleep = min(sleep, max(0.0, min(self._due.values()) - time.monotonic()))
        return sleep


def build_cron_scheduler(app: Flask, connection: Redis) -> CronScheduler:
    """Register every periodic job added to `app` with RQ's CronScheduler (which also runs
    the app's scheduler ticks, see `add_scheduler_tick`)."""
    scheduler = TickingCronScheduler(
        connection=connection, name=f"sparki-scheduler-{os.getpid()}", app=app
    )
    for job in periodic_jobs(app):
        scheduler.register(
            job.func,
            queue_name=job.queue,
            kwargs=job.kwargs,
            interval=job.interval,
            cron=job.cron,
            job_timeout=job.timeout,
        )
    return scheduler


def run_scheduler(app: Flask) -> None:
    """Enqueue `app`'s periodic jobs on time until stopped (run exactly one scheduler)."""
    connection = get_redis()
    wait_for_redis(connection)
    scheduler = build_cron_scheduler(app, connection)
    log.info(
        "scheduler: %d periodic jobs and %d ticks registered",
        len(periodic_jobs(app)),
        len(scheduler_ticks(app)),
    )
    scheduler.start()
