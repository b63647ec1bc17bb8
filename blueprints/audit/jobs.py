"""Retention: entries older than AUDIT_RETENTION_DAYS go, once an hour."""

from __future__ import annotations

import logging

from flask import current_app

from blueprints.core.jobs import periodic

from . import domain

log = logging.getLogger("sparki.audit")


@periodic(interval=3600, timeout=600)
def prune() -> int:
    days = int(current_app.config["AUDIT_RETENTION_DAYS"])
    removed = domain.prune(retention_days=days)
    if removed:
        log.info("audit: pruned %d entries older than %d days", removed, days)
    return removed
