"""What the audit trail does: record (the kernel hook's recorder), list with filters, show one
entry with its chain (deployment -> events -> webhook deliveries), prune past retention."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, String, cast, delete, or_
from sqlalchemy.orm import Session

from blueprints.core.audit import AuditRecord
from blueprints.core.auth import require_role
from blueprints.core.events import Event
from blueprints.core.extensions import db
from blueprints.core.models import get_in_org, scoped, utcnow
from blueprints.core.types import Actor, Org

from .models import AuditEntry


def record(session: Session, rec: AuditRecord) -> AuditEntry:
    """Add one entry for `rec` to `session` (the caller's transaction commits it)."""
    changes = [c.as_json() for c in rec.changes]
    subjects = {rec.target_id, *(c.id for c in rec.changes)} - {None, ""}
    entry = AuditEntry(
        org_id=rec.org_id,
        created_at=utcnow(),
        action=rec.action[:120],
        outcome=rec.outcome,
        status_code=rec.status_code,
        user_id=rec.user_id,
        user_email=rec.user_email,
        via=rec.via,
        api_key_id=rec.api_key_id,
        session_id=rec.session_id,
        client=(rec.client or "")[:100] or None,
        request_id=rec.request_id,
        method=rec.method,
        path=rec.path,
        channel=rec.channel,
        target_type=rec.target_type,
        target_id=rec.target_id,
        subjects=" ".join(sorted(subjects)),
        changes=changes,
        details=rec.details,
    )
    session.add(entry)
    return entry


def list_entries(
    org: Org,
    actor: Actor,
    *,
    actor_filter: str | None = None,
    action: str | None = None,
    target: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    outcome: str | None = None,
) -> Select:
    """The organization's entries (admins only), filtered: `actor_filter` is a user id, an
    email, an API key id or a session id; `action` an exact action or a prefix ending in `.`
    (`services.`); `target` an id the entry targeted or changed; `since`/`until` bound the
    time (inclusive, exclusive)."""
    require_role(actor, action="read the audit log")
    stmt = scoped(AuditEntry, org)
    if actor_filter:
        stmt = stmt.where(
            or_(
                AuditEntry.user_id == actor_filter,
                AuditEntry.user_email == actor_filter,
                AuditEntry.api_key_id == actor_filter,
                AuditEntry.session_id == actor_filter,
            )
        )
    if action:
        if action.endswith("."):
            stmt = stmt.where(AuditEntry.action.startswith(action, autoescape=True))
        else:
            stmt = stmt.where(AuditEntry.action == action)
    if target:
        stmt = stmt.where(AuditEntry.subjects.contains(target, autoescape=True))
    if since:
        stmt = stmt.where(AuditEntry.created_at >= since)
    if until:
        stmt = stmt.where(AuditEntry.created_at < until)
    if outcome:
        stmt = stmt.where(AuditEntry.outcome == outcome)
    return stmt


@dataclass
class Chain:
    """What one entry set going: the deployments it created, the events those emitted (then
    or later, by the worker) and the webhook deliveries of those events."""

    deployments: list[str] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    deliveries: list[Any] = field(default_factory=list)


def get_entry(org: Org, actor: Actor, entry_id: str) -> AuditEntry:
    require_role(actor, action="read the audit log")
    return get_in_org(AuditEntry, org, entry_id, what="audit entry")


def chain(org: Org, entry: AuditEntry) -> Chain:
    """The entry's deployments, their events (found by id in the change set or by the
    deployment id in an event's data) and every delivery of those events."""
    from blueprints.webhooks.models import Delivery

    result = Chain()
    event_ids = set()
    for change in entry.changes or []:
        if change.get("type") == "deployment" and change.get("op") == "created":
            result.deployments.append(change["id"])
        if change.get("type") == "event":
            event_ids.add(change["id"])
    conditions = [Event.id.in_(event_ids)] if event_ids else []
    conditions += [
        cast(Event.data, String).contains(d, autoescape=True) for d in result.deployments
    ]
    if conditions:
        result.events = list(
            db.session.execute(
                scoped(Event, org).where(or_(*conditions)).order_by(Event.created_at)
            ).scalars()
        )
    if result.events:
        result.deliveries = list(
            db.session.execute(
                scoped(Delivery, org)
                .where(Delivery.event_id.in_([e.id for e in result.events]))
                .order_by(Delivery.created_at)
            ).scalars()
        )
    return result


def prune(*, retention_days: int) -> int:
    """Delete entries older than `retention_days`; returns how many went. Deleting whole
    entries past retention is the only change the trail ever sees."""
    cutoff = utcnow() - timedelta(days=retention_days)
    result = db.session.execute(delete(AuditEntry).where(AuditEntry.created_at < cutoff))
    db.session.commit()
    return int(result.rowcount or 0)
