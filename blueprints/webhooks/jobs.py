"""RQ jobs of the webhooks feature: the outbox relay, one delivery attempt, the sweep.

Jobs reload rows and are idempotent (see `delivery.fan_out` and `delivery.attempt`). This
module imports the engine, never the reverse: the engine enqueues `deliver` by dotted path.
"""

from __future__ import annotations

import logging

from blueprints.core.extensions import get_redis
from blueprints.core.jobs import enqueue, periodic

from . import delivery

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
    """Fan out every undispatched event (the outbox relay); the number of events handled."""
    get_redis().delete(RELAY_QUEUED)
    handled, more = delivery.drain_outbox()
    if more:  # time is up: hand over to a fresh job
        dispatch_events([])
    log.info("outbox relay: %d events", handled)
    return handled


def deliver(delivery_id: str) -> str:
    """Make one attempt of that delivery; its status. Enqueued by path (DELIVER_JOB)."""
    status = delivery.attempt(delivery_id)
    log.info("delivery %s: %s", delivery_id, status)
    return status


@periodic(interval=SWEEP_INTERVAL, timeout=120)
def sweep() -> dict[str, int]:
    """The safety net (`delivery.sweep`), every SWEEP_INTERVAL seconds."""
    result = delivery.sweep()
    if any(result.values()):
        log.info("webhook sweep: %s", result)
    return result
