"""Audit: who did what, when, from where, with which outcome; a deploy linked to the events it
emitted and their webhook deliveries. Entries are written by the kernel's audit hook
(core.audit) in the transaction of the change they describe, and never updated."""

from __future__ import annotations

from blueprints.core.audit import register_audit_recorder
from blueprints.core.htmx import add_nav
from blueprints.core.jobs import add_periodic_jobs


def register(app, api) -> None:
    """Attach the Audit page and API, the kernel hook's recorder and the retention job."""
    from . import api as audit_api
    from . import jobs
    from .domain import record
    from .views import bp

    register_audit_recorder(app, record)
    add_periodic_jobs(app, jobs.prune)
    app.register_blueprint(bp)
    api.register_blueprint(audit_api.bp)
    add_nav(app, "Audit", "audit.index", 90, admin_only=True)
