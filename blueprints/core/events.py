"""The one event emitter.

`emit()` stores an event row in the caller's transaction (an outbox): if the change rolls
back, so does the event. After the transaction commits, every registered dispatcher is
called with the new event ids (the webhooks feature registers one that enqueues
deliveries); a periodic sweep re-dispatches events whose dispatch never happened.

Both registries are per app (`app.extensions`), filled by each feature's `register(app, api)`:
the event types it emits (`register_event_types`) and any dispatcher (`register_dispatcher`).
The kernel lists no feature's event names.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import JSON, String, event, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from .extensions import db
from .models import OrgScopedMixin, PrefixedIdMixin, UTCDateTime, utcnow
from .types import Org

log = logging.getLogger("sparki.events")

_TYPES_KEY = "sparki_event_types"


def register_event_types(app: Any, *types: str) -> None:
    """Declare the event types a feature emits (call from the feature's `register`).

    Types are `resource.action` names (Standard Webhooks' "event type"); webhooks may
    subscribe to them and `emit` refuses any type no feature declared.
    """
    registered: list[str] = app.extensions.setdefault(_TYPES_KEY, [])
    for name in types:
        if name not in registered:
            registered.append(name)


def event_types(app: Any = None) -> tuple[str, ...]:
    """Every event type declared on `app` (default: the current app), in declaration order."""
    from flask import current_app

    app = app or current_app
    return tuple(app.extensions.get(_TYPES_KEY, ()))


Dispatcher = Callable[[list[str]], None]
_DISPATCHERS_KEY = "sparki_event_dispatchers"


class Event(PrefixedIdMixin, OrgScopedMixin, db.Model):
    __tablename__ = "events"
    __id_prefix__ = "evt"
    __display_name__ = "event"

    type: Mapped[str] = mapped_column(String(64), index=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    dispatched_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True, index=True)


def emit(org: Org, event_type: str, data: dict[str, Any]) -> Event:
    """Record `event_type` for `org` in the current transaction; dispatched after commit.

    `data` is the event's JSON payload. Raises ValueError for a type no feature declared
    with `register_event_types` (a programming error, not a request error).
    """
    if event_type not in event_types():
        raise ValueError(f"unknown event type {event_type!r}")
    evt = Event(org_id=org.id, type=event_type, data=data, created_at=utcnow())
    db.session.add(evt)
    db.session.flush()
    db.session.info.setdefault("sparki_pending_events", []).append(evt.id)
    return evt


def register_dispatcher(app: Any, fn: Dispatcher) -> Dispatcher:
    """Call `fn(event_ids)` after each commit on `app` that emitted events."""
    dispatchers: list[Dispatcher] = app.extensions.setdefault(_DISPATCHERS_KEY, [])
    if fn not in dispatchers:
        dispatchers.append(fn)
    return fn


def dispatch(event_ids: list[str]) -> None:
    """Hand `event_ids` to every dispatcher of the current app; failures are only logged."""
    from flask import current_app, has_app_context

    if not has_app_context():  # a session outside any app: nobody to dispatch to
        return
    for fn in list(current_app.extensions.get(_DISPATCHERS_KEY, ())):
        try:
            fn(event_ids)
        except Exception:  # the outbox sweep retries what failed here
            log.exception("event dispatcher %s failed for %d events", fn.__name__, len(event_ids))


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    ids = session.info.pop("sparki_pending_events", None)
    if ids:
        dispatch(ids)


@event.listens_for(Session, "after_soft_rollback")
def _after_rollback(session: Session, previous_transaction: Any) -> None:
    session.info.pop("sparki_pending_events", None)


def redispatch_undispatched(*, older_than: timedelta, limit: int = 500) -> int:
    """The outbox sweep: dispatch again events that were committed but never dispatched.

    An event stays undispatched when the process died (or Redis was down) between the
    commit and the dispatchers' enqueue; dispatchers must tolerate seeing an id twice.
    """
    cutoff = utcnow() - older_than
    ids = list(
        db.session.execute(
            select(Event.id)
            .where(Event.dispatched_at.is_(None), Event.created_at <= cutoff)
            .order_by(Event.created_at)
            .limit(limit)
        ).scalars()
    )
    for start in range(0, len(ids), 100):
        dispatch(ids[start : start + 100])
    return len(ids)
