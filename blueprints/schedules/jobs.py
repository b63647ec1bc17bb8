"""RQ jobs and the scheduler tick of the schedules feature. Jobs take ids and reload rows;
running a task that is no longer pending does nothing, so a duplicate job is harmless."""

from __future__ import annotations

import logging
import time

from . import engine

log = logging.getLogger("sparki.schedules.jobs")

REQUEUE_EVERY = 30.0  # seconds between sweeps for tasks whose job never reached Redis
_last_requeue = [0.0]


def run_task(task_id: str) -> str:
    """Run one attempt of the task (enqueued by path, engine.RUN_JOB); its status after."""
    status = engine.execute(task_id)
    log.info("task %s: %s", task_id, status)
    return status


def scheduler_tick() -> float | None:
    """The scheduler process's tick (core.jobs.add_scheduler_tick): fire what is due;
    returns the seconds until the next slot so the scheduler wakes up on time."""
    result = engine.tick()
    if result["fired"] or result["skipped"]:
        log.info("schedules tick: %d fired, %d skipped", result["fired"], result["skipped"])
    if result["leader"] and time.monotonic() - _last_requeue[0] > REQUEUE_EVERY:
        _last_requeue[0] = time.monotonic()
        engine.requeue_lost()
    return result["next_in"]
