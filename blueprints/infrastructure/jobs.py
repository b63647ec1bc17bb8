"""Periodic work of the infrastructure feature (declared as data; the scheduler registers it)."""

from __future__ import annotations

import logging

from blueprints.core.jobs import periodic

log = logging.getLogger("sparki.infrastructure.jobs")

#: Seconds between threshold evaluations; readings arrive every NODE_SAMPLE_SECONDS.
EVALUATE_EVERY = 10


@periodic(interval=EVALUATE_EVERY, timeout=60)
def evaluate_thresholds() -> dict[str, int]:
    """Compare the latest node readings with each organization's thresholds.

    Idempotent: an alert already firing is not raised again, one already resolved is not
    resolved again, so overlapping or repeated runs emit each crossing once.
    """
    from . import domain

    counts = domain.evaluate_alerts()
    if counts["triggered"] or counts["resolved"]:
        log.info("alerts: %(triggered)d triggered, %(resolved)d resolved", counts)
    return counts
