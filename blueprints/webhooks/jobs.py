"""RQ jobs of the webhooks feature: fan-out, one delivery attempt, the periodic sweep.

Jobs take ids, reload rows and are idempotent (see `domain.fan_out` and `domain.attempt`).
"""

from __future__ import annotations

import logging

from blueprints.core.jobs import enqueue, periodic

from . import domain

log = logging.getLogger("sparki.webhooks.jobs")

SWEEP_INTERVAL = 10  # seconds


def dispatch_events(event_ids: list[str]) -> None:
    """The event dispatcher (called after commit): enqueue the fan-out, touch no database."""
    enqueue(fan_out, list(event_ids), job_id=f"event-fanout-{event_ids[0]}", timeout=120)


def fan_out(event_ids: list[str]) -> int:
    created = domain.fan_out(event_ids)
    log.info("fan-out of %d events: %d deliveries", len(event_ids), created)
    return created


def deliver(delivery_id: str) -> str:
    status = domain.attempt(delivery_id)
    log.info("delivery %s: %s", delivery_id, status)
    return status


@periodic(interval=SWEEP_INTERVAL, timeout=120)
def sweep() -> dict[str, int]:
    result = domain.sweep()
    if any(result.values()):
        log.info("webhook sweep: %s", result)
    return result
