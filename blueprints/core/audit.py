"""The kernel's audit hook: who changed what, recorded in the same transaction as the change.

One place sees every write: the database session. During a write request (any method but
GET/HEAD/OPTIONS) SQLAlchemy's `after_flush` collects the rows created, changed and deleted
(type, id, the changed fields; a secret field's value is never kept, only its name); just
before the transaction commits, every registered recorder is called with the session and one
`AuditRecord` (who, what, from where, the request id) and adds its rows to that same
transaction. So a change that rolls back leaves no record, and a committed one always has one.

A write request that commits nothing (a refusal, a failure, or a change outside the
database such as a logout) is recorded once after the response, in a transaction of its own,
with its outcome (`success`, `denied`, `failure`); anonymous refusals are not (nobody to name),
except what a feature notes itself (`note`, e.g. a failed login).

The kernel knows no audit storage: the feature that keeps the trail registers its recorder
with `register_audit_recorder(app, fn)`. Without one, nothing is recorded.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from flask import current_app, g, has_request_context, request
from flask_login import user_logged_in, user_logged_out
from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from .extensions import db

log = logging.getLogger("sparki.audit")

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
# Bookkeeping columns: a row whose only change is one of these was not "changed" by anyone.
IGNORED_FIELDS = {"updated_at", "last_used_at", "last_seen_at", "last_login_at"}
# A field whose name says it holds a secret: its name is recorded, its value never.
_SECRET_NAME = re.compile(r"secret|password|hash|token|api_key|apikey|private|credential", re.I)
_ID_VALUE = re.compile(r"^(?:[a-z]+-[0-9a-f]{20}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f-]{27})$")
_MAX_TEXT = 200

_RECORDERS_KEY = "sparki_audit_recorders"
_CHANGES = "sparki_audit_changes"


@dataclass
class Change:
    """One row a write created, updated or deleted. `fields` maps a changed field to its new
    value (`"[secret]"` for a secret one); `before` holds old values of updated fields."""

    op: str  # created | updated | deleted
    type: str  # the model's display name (`service`, `event`) or table name
    id: str
    fields: dict[str, Any] = field(default_factory=dict)
    before: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"op": self.op, "type": self.type, "id": self.id}
        if self.fields:
            out["fields"] = self.fields
        if self.before:
            out["before"] = self.before
        return out


@dataclass
class AuditRecord:
    """What one write request did, as a recorder receives it."""

    action: str  # e.g. `services.deploy`, `auth.login`
    outcome: str  # success | denied | failure
    status_code: int | None
    org_id: str | None
    user_id: str | None
    user_email: str | None
    via: str | None  # session | token | key | None (anonymous)
    api_key_id: str | None
    session_id: str | None
    client: str | None
    request_id: str | None
    method: str
    path: str
    channel: str  # api | page
    target_type: str | None
    target_id: str | None
    changes: list[Change] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)


Recorder = Callable[[Session, AuditRecord], None]


def register_audit_recorder(app: Any, fn: Recorder) -> Recorder:
    """Call `fn(session, record)` for every audited write on `app` (from a feature's
    `register`). It must only add rows to `session`: the caller commits."""
    recorders: list[Recorder] = app.extensions.setdefault(_RECORDERS_KEY, [])
    if fn not in recorders:
        recorders.append(fn)
    return fn


def _recorders() -> list[Recorder]:
    return list(current_app.extensions.get(_RECORDERS_KEY, ()))


def not_audited(view: Callable) -> Callable:
    """Mark a view whose writes are not Sparki's (e.g. a proxy to a user's service), or a POST
    that changes nothing (a preview, a quote)."""
    view._sparki_not_audited = True  # type: ignore[attr-defined]
    return view


def audit_action(name: str) -> Callable[[Callable], Callable]:
    """Name the action a write view records, where its endpoint would name it otherwise.

    A page records the action of the JSON endpoint that makes the same change (the New
    project form: `@audit_action("projects.create_project")`), so the trail and its
    `action` filter have one name per change whichever way it was made. `{field}`s are
    filled from the URL's values (`services.{action}`, on a route whose converter admits
    only the actions: `<any(start, stop, restart):action>`). Use below the route decorators.
    """

    def decorator(view: Callable) -> Callable:
        view._sparki_audit_action = name  # type: ignore[attr-defined]
        return view

    return decorator


def note(
    *,
    action: str | None = None,
    actor: Any = None,
    target: tuple[str, str] | None = None,
    org_id: str | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """Say what this request did, when the request alone does not tell: the action's name,
    who acted (before a login the request has no user; after a logout none any more), its
    target (type, id), the organization, details. A no-op outside a request."""
    if not has_request_context():
        return
    noted: dict[str, Any] = g.setdefault("sparki_audit_note", {})
    if action:
        noted["action"] = action
    if actor is not None:
        noted["actor"] = _actor_fields(actor, via=noted.get("actor", {}).get("via"))
        noted.setdefault("org_id", getattr(actor, "org_id", None))
    if target:
        noted["target"] = target
    if org_id:
        noted["org_id"] = org_id
    if details:
        noted.setdefault("details", {}).update(details)


def _logged_in_or_out(_sender: Any, user: Any = None, **_extra: Any) -> None:
    """Flask-Login's signals: who logs in or out, named while they still are the user (after
    `logout_user` the request has nobody)."""
    if user is not None and getattr(user, "is_authenticated", False):
        note(actor=user)


user_logged_in.connect(_logged_in_or_out, weak=False)
user_logged_out.connect(_logged_in_or_out, weak=False)


# --- collecting changes ------------------------------------------------------------------


def _auditing() -> bool:
    return (
        has_request_context()
        and (request.method not in SAFE_METHODS or "sparki_audit_note" in g)
        and not g.get("sparki_audit_writing", False)
        and bool(current_app.extensions.get(_RECORDERS_KEY))
    )


def _json_value(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, str):
        return value if len(value) <= _MAX_TEXT else value[:_MAX_TEXT] + "…"
    if isinstance(value, list | tuple | dict):
        text = repr(value)
        return value if len(text) <= _MAX_TEXT else text[:_MAX_TEXT] + "…"
    return str(value)[:_MAX_TEXT]


def _is_secret(obj: Any, name: str) -> bool:
    if _SECRET_NAME.search(name):
        return True
    column = obj.__table__.columns.get(name) if hasattr(obj, "__table__") else None
    return column is not None and type(column.type).__name__ == "EncryptedText"


def _change(obj: Any, op: str) -> Change | None:
    if getattr(type(obj), "__audit__", True) is False:
        return None
    state = inspect(obj)
    ident = state.identity
    obj_id = str(ident[0]) if ident else str(getattr(obj, "id", "") or "")
    kind = getattr(type(obj), "__display_name__", None) or getattr(obj, "__tablename__", "row")
    fields: dict[str, Any] = {}
    before: dict[str, Any] = {}
    for attr in state.mapper.column_attrs:
        name = attr.key
        if name in IGNORED_FIELDS or name == "id":
            continue
        history = state.attrs[name].history
        if op == "updated" and not history.has_changes():
            continue
        if op == "created":
            value = getattr(obj, name, None)
            if value is None:
                continue
        elif op == "deleted":
            continue
        else:
            value = history.added[0] if history.added else None
        secret = _is_secret(obj, name)
        fields[name] = "[secret]" if secret else _json_value(value)
        if op == "updated" and history.deleted and not secret:
            before[name] = _json_value(history.deleted[0])
    if op == "updated" and not fields:
        return None
    return Change(op=op, type=str(kind), id=obj_id, fields=fields, before=before)


@event.listens_for(Session, "after_flush")
def _collect(session: Session, _flush_context: Any) -> None:
    if not _auditing():
        return
    found: list[Change] = session.info.setdefault(_CHANGES, [])
    for op, objs in (
        ("created", session.new),
        ("updated", session.dirty),
        ("deleted", session.deleted),
    ):
        for obj in objs:
            if op == "updated" and not session.is_modified(obj):
                continue
            change = _change(obj, op)
            if change is not None:
                found.append(change)


@event.listens_for(Session, "after_soft_rollback")
def _forget(session: Session, _previous: Any) -> None:
    session.info.pop(_CHANGES, None)


@event.listens_for(Session, "after_commit")
def _forget_committed(session: Session) -> None:
    session.info.pop(_CHANGES, None)


@event.listens_for(Session, "before_commit")
def _record_before_commit(session: Session) -> None:
    """The changes of this transaction, recorded in it: it commits both or neither."""
    if not has_request_context() or not _auditing():
        session.info.pop(_CHANGES, None)
        return
    if session.new or session.dirty or session.deleted:
        session.flush()  # collect what the commit is about to write
    changes = session.info.pop(_CHANGES, None)
    if not changes:
        return
    record = _record(changes=changes, status_code=None, outcome="success")
    for fn in _recorders():
        fn(session, record)
    g.sparki_audit_recorded = True


def record_request_outcome(response: Any) -> Any:
    """An after-request hook: a write request that committed no recorded change is recorded
    now, with its outcome, in its own transaction. Never fails the response."""
    try:
        _record_outcome(response.status_code)
    except Exception:  # an audit failure must not turn a served answer into a 500
        log.exception("could not record the outcome of %s %s", request.method, request.path)
    return response


def _record_outcome(status: int) -> None:
    noted = "sparki_audit_note" in g
    if request.method in SAFE_METHODS and not noted:
        return
    if g.get("sparki_audit_recorded") or not current_app.extensions.get(_RECORDERS_KEY):
        return
    view = current_app.view_functions.get(request.endpoint or "")
    if view is None or getattr(view, "_sparki_not_audited", False):
        return
    record = _record(changes=[], status_code=status, outcome=_outcome(status))
    if record.user_id is None and not noted:
        return  # an anonymous refusal: nobody to name
    db.session.rollback()  # whatever a failed request left half-done is not ours to commit
    g.sparki_audit_writing = True
    try:
        for fn in _recorders():
            fn(db.session, record)
        db.session.commit()
    finally:
        g.sparki_audit_writing = False
    g.sparki_audit_recorded = True


def _outcome(status: int | None) -> str:
    if status is None or status < 400:
        return "success"
    return "denied" if status in (401, 403) else "failure"


# --- who, what, where --------------------------------------------------------------------


def _actor_fields(user: Any, via: str | None = None) -> dict[str, Any]:
    return {"user_id": getattr(user, "id", None), "email": getattr(user, "email", None), "via": via}


def _current_actor() -> dict[str, Any]:
    """Who is acting, from what this request already resolved (never authenticates anew)."""
    principal = g.get("sparki_principal") or g.get("principal")
    if principal is not None and not isinstance(principal, Exception):
        fields = _actor_fields(principal.user_view, principal.via)
        fields["api_key_id"] = getattr(principal.api_key, "id", None)
        fields["session_id"] = principal.session_id
        fields["org_id"] = getattr(principal.user_view, "org_id", None)
        return fields
    user = g.get("_login_user")  # flask-login's loaded session user, if any
    if user is not None and getattr(user, "is_authenticated", False):
        from . import sessions

        fields = _actor_fields(user, "session")
        fields["session_id"] = sessions.current_session_id()
        fields["org_id"] = getattr(user, "org_id", None)
        return fields
    return {}


def action_name(endpoint: str, view: Any = None, view_args: dict[str, Any] | None = None) -> str:
    """The action a write to `endpoint` (served by `view`, with the URL's `view_args`)
    records: the view's `audit_action` with its fields filled, else the endpoint's name
    without `api.` and the `_api` of blueprint names (`api.services_api.deploy` ->
    `services.deploy`)."""
    named = getattr(view, "_sparki_audit_action", None)
    if named:
        try:
            return named.format_map(view_args or {})
        except (KeyError, ValueError, IndexError, AttributeError):
            return named
    parts = [p for p in endpoint.split(".") if p != "api"]
    return ".".join(p[: -len("_api")] if p.endswith("_api") else p for p in parts)


def _action_from_endpoint() -> str:
    view = current_app.view_functions.get(request.endpoint or "")
    return action_name(request.endpoint or request.path, view, request.view_args)


def _target_from_url(changes: list[Change]) -> tuple[str | None, str | None]:
    for name, value in (request.view_args or {}).items():
        if isinstance(value, str) and _ID_VALUE.match(value):
            return (name[: -len("_id")] if name.endswith("_id") else name), value
    for change in changes:
        if change.op == "created":
            return change.type, change.id
    if changes:
        return changes[0].type, changes[0].id
    return None, None


def _record(*, changes: list[Change], status_code: int | None, outcome: str) -> AuditRecord:
    noted: dict[str, Any] = g.get("sparki_audit_note", {})
    actor = {**_current_actor(), **{k: v for k, v in noted.get("actor", {}).items() if v}}
    target_type, target_id = noted.get("target") or _target_from_url(changes)
    return AuditRecord(
        action=noted.get("action") or _action_from_endpoint(),
        outcome=outcome,
        status_code=status_code,
        org_id=noted.get("org_id") or actor.get("org_id"),
        user_id=actor.get("user_id"),
        user_email=actor.get("email"),
        via=actor.get("via"),
        api_key_id=actor.get("api_key_id"),
        session_id=actor.get("session_id"),
        client=request.remote_addr,
        request_id=g.get("request_id"),
        method=request.method,
        path=request.path[:500],
        channel="api" if request.path.startswith("/api/") else "page",
        target_type=target_type,
        target_id=target_id,
        changes=list(changes),
        details=dict(noted.get("details", {})),
    )
