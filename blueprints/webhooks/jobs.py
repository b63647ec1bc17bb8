"""RQ jobs of the webhooks feature: the outbox relay, one delivery attempt, the sweep.

Jobs reload rows and are idempotent (see `domain.fan_out` and `domain.attempt`).
"""

from __future__ import annotations

import logging

from blueprints.core.extensions import get_redis
from blueprints.core.jobs import enqueue, periodic

from . import domain

log = logging.getLogger("sparki.webhooks.jobs")

SWEEP_INTERVAL = 10  # seconds


# Set while a relay job is queued and not yet started: the events of any commit made
# meanwhile will be seen by that job, so no other is needed.
RELAY_QUEUED = "sparki:webhooks:relay-queued"


def dispatch_events(event_ids: list[str]) -> None:
    """The event dispatcher (called after commit): queue the outbox relay, touch no database.

    At most one relay job waits in the queue; the relay deletes the flag before it reads
    the outbox, so an event committed before that is read and one committed after queues
    a new relay. If this fails, the periodic sweep dispatches the events again.
    """
    redis = get_redis()
    if not redis.set(RELAY_QUEUED, "1", nx=True, ex=60):
        return
    try:
        enqueue(relay_outbox, timeout=300)
    except Exception:
        redis.delete(RELAY_QUEUED)
        raise


def relay_outbox() -> int:
    get_redis().delete(RELAY_QUEUED)
    handled, more = domain.drain_outbox()
    if more:  # time is up: hand over to a fresh job
        dispatch_events([])
    log.info("outbox relay: %d events", handled)
    return handled


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
