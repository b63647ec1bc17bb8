"""What the webhooks feature does: endpoints, secrets, manual deliveries, the events list.

Functions take the organization and the acting user, raise DomainErrors and commit once.
The delivery engine (fan-out, attempts, retries, the sweep) lives in `delivery.py`; this
module uses it to create manual attempts, and the RQ jobs in `jobs.py` call it. Neither
this module nor the engine imports the jobs: they are enqueued by dotted path.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import Select, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import lazyload

from blueprints.core import guard
from blueprints.core.auth import has_role, require_role
from blueprints.core.errors import Conflict, InvalidRequest
from blueprints.core.events import Event, emit, event_types
from blueprints.core.extensions import db
from blueprints.core.models import get_in_org, scoped, utcnow
from blueprints.core.types import Actor, Org

from . import signing
from .delivery import enqueue_deliveries, new_attempt
from .models import Delivery, Webhook

MANAGERS = ("maintainer",)  # with admin: who may change webhooks


def subscribable() -> tuple[str, ...]:
    """Event types an endpoint can subscribe to (all declared ones but `ping`, which only
    the ping action sends), read from the app's registry at call time."""
    return tuple(t for t in event_types() if t != "ping")


def groups() -> tuple[str, ...]:
    """The `group` of each subscribable `group.action` type, sorted: `group.*` subscribes
    to all of them."""
    return tuple(sorted({t.split(".")[0] for t in subscribable() if "." in t}))


# --- who may do what -------------------------------------------------------------------------


def can_manage_webhooks(actor: Actor) -> bool:
    """Whether `actor` may create, change, ping, redeliver or delete webhooks (admin or
    maintainer); what pages ask before showing those controls."""
    return has_role(actor, *MANAGERS)


def _manage(actor: Actor, action: str) -> None:
    """Raise PermissionDenied unless `can_manage_webhooks(actor)`."""
    require_role(actor, *MANAGERS, action=action)


# --- validation ------------------------------------------------------------------------------


def normalize_events(events: list[str] | None) -> list[str]:
    """Validate subscriptions: known types, `group.*` or `*` (everything).

    Returns them stripped and deduplicated in order (`["*"]` when `*` is among them).
    Raises InvalidRequest (field `events`) for an empty list or an unknown name.
    """
    if not events:
        raise InvalidRequest(
            "Subscribe to at least one event ('*' for all)", field="events", reason="empty"
        )
    known, known_groups = subscribable(), groups()
    out: list[str] = []
    for name in events:
        name = (name or "").strip()
        valid = name == "*" or name in known or (name.endswith(".*") and name[:-2] in known_groups)
        if not valid:
            raise InvalidRequest(
                f"Unknown event '{name}'; use one of {', '.join(known)}, a group like "
                "'deployment.*', or '*'",
                field="events",
                reason=f"unknown event {name!r}",
            )
        if name not in out:
            out.append(name)
    return ["*"] if "*" in out else out


def check_url(url: str) -> str:
    """The stripped URL if webhooks may be sent to it (at most 2000 characters; the SSRF
    guard refuses private addresses unless WEBHOOK_ALLOW_PRIVATE). Raises InvalidRequest
    (field `url`)."""
    url = (url or "").strip()
    if len(url) > 2000:
        raise InvalidRequest(
            "The URL is longer than 2000 characters", field="url", reason="too long"
        )
    try:
        guard.check(url, allow_private=bool(current_app.config["WEBHOOK_ALLOW_PRIVATE"]))
    except guard.UnsafeURL as exc:
        raise InvalidRequest(exc.message, field="url", reason=exc.reason) from exc
    return url


def _url_taken(org: Org, url: str, exclude: str | None = None) -> bool:
    stmt = select(Webhook.id).where(Webhook.org_id == org.id, Webhook.url == url)
    if exclude:
        stmt = stmt.where(Webhook.id != exclude)
    return db.session.execute(stmt).first() is not None


def _commit_unique() -> None:
    try:
        db.session.commit()
    except IntegrityError as exc:
        db.session.rollback()
        raise Conflict(
            "A webhook with this URL already exists", field="url", reason="already exists"
        ) from exc


# --- endpoints -----------------------------------------------------------------------------


def list_webhooks(org: Org, actor: Actor) -> Select:
    """The organization's endpoints, as a statement to paginate (any role may read)."""
    return scoped(Webhook, org)


def get_webhook(org: Org, actor: Actor, webhook_id: str) -> Webhook:
    """One endpoint of the organization. Raises NotFound."""
    return get_in_org(Webhook, org, webhook_id)


def create_webhook(
    org: Org,
    actor: Actor,
    *,
    url: str,
    events: list[str],
    active: bool = True,
    description: str = "",
) -> tuple[Webhook, str]:
    """Create an endpoint; returns it with its signing secret (`whsec_…`, shown once).

    Raises PermissionDenied (not a manager), InvalidRequest (URL or events) and Conflict
    (the organization has an endpoint with this URL already).
    """
    _manage(actor, "create webhooks")
    url = check_url(url)
    events = normalize_events(events)
    if _url_taken(org, url):
        raise Conflict(
            "A webhook with this URL already exists", field="url", reason="already exists"
        )
    secret = signing.generate_secret()
    webhook = Webhook(
        org_id=org.id,
        url=url,
        events=events,
        active=bool(active),
        description=(description or "").strip(),
        secret=secret,
        created_by=actor.id,
    )
    if not active:
        webhook.mark_disabled(f"Created disabled by {actor.email}", utcnow())
    db.session.add(webhook)
    _commit_unique()
    return webhook, secret


def update_webhook(
    org: Org,
    actor: Actor,
    webhook_id: str,
    *,
    url: str | None = None,
    events: list[str] | None = None,
    active: bool | None = None,
    description: str | None = None,
) -> Webhook:
    """Change what is given (None leaves a field alone); `active` enables or disables.

    Enabling clears the disabled reason and the failing streak. Raises NotFound,
    PermissionDenied, InvalidRequest (URL or events) and Conflict (URL taken).
    """
    _manage(actor, "change webhooks")
    webhook = get_in_org(Webhook, org, webhook_id)
    if url is not None and url.strip() != webhook.url:
        url = check_url(url)
        if _url_taken(org, url, exclude=webhook.id):
            raise Conflict(
                "A webhook with this URL already exists", field="url", reason="already exists"
            )
        webhook.url = url
    if events is not None:
        webhook.events = normalize_events(events)
    if description is not None:
        webhook.description = description.strip()
    if active is True and not webhook.active:
        webhook.active = True
        webhook.disabled_at = webhook.disabled_reason = webhook.failing_since = None
    elif active is False and webhook.active:
        webhook.mark_disabled(f"Disabled by {actor.email}", utcnow())
    _commit_unique()
    return webhook


def delete_webhook(org: Org, actor: Actor, webhook_id: str) -> None:
    """Delete an endpoint and (cascade) its delivery log. Raises NotFound, PermissionDenied."""
    _manage(actor, "delete webhooks")
    webhook = get_in_org(Webhook, org, webhook_id)
    db.session.delete(webhook)
    db.session.commit()


def rotate_secret(org: Org, actor: Actor, webhook_id: str) -> tuple[Webhook, str]:
    """A new secret (returned, shown once); the old one keeps signing next to it for
    WEBHOOK_SECRET_OVERLAP_SECONDS. Raises NotFound, PermissionDenied."""
    _manage(actor, "rotate webhook secrets")
    webhook = get_in_org(Webhook, org, webhook_id)
    overlap = int(current_app.config["WEBHOOK_SECRET_OVERLAP_SECONDS"])
    webhook.previous_secret = webhook.secret
    webhook.previous_secret_expires_at = utcnow() + timedelta(seconds=overlap)
    webhook.secret = signing.generate_secret()
    db.session.commit()
    return webhook, webhook.secret


# --- deliveries ----------------------------------------------------------------------------


def list_deliveries(
    org: Org, actor: Actor, webhook_id: str, *, status: str | None = None
) -> Select:
    """The endpoint's attempts (optionally of one status), as a statement to paginate.
    Raises NotFound for an unknown endpoint."""
    webhook = get_in_org(Webhook, org, webhook_id)
    # The endpoint is loaded above (its secret decrypted once) and the list shows the event's
    # type from the delivery's own column: neither is joined (and decoded) again per row.
    stmt = (
        scoped(Delivery, org)
        .where(Delivery.webhook_id == webhook.id)
        .options(lazyload(Delivery.webhook), lazyload(Delivery.event))
    )
    if status:
        stmt = stmt.where(Delivery.status == status)
    return stmt


def get_delivery(org: Org, actor: Actor, webhook_id: str, delivery_id: str) -> Delivery:
    """One attempt of that endpoint. Raises NotFound (either id), InvalidRequest (the
    delivery belongs to another endpoint)."""
    delivery = get_in_org(Delivery, org, delivery_id)
    if delivery.webhook_id != webhook_id:
        get_in_org(Webhook, org, webhook_id)  # 404 for an unknown webhook first
        raise InvalidRequest(
            "That delivery belongs to another webhook", field="deliveryId", reason="other webhook"
        )
    return delivery


def ping(org: Org, actor: Actor, webhook_id: str) -> Delivery:
    """Send a `ping` event to this endpoint only; returns the queued (pending) attempt.
    Raises NotFound, PermissionDenied."""
    _manage(actor, "ping webhooks")
    webhook = get_in_org(Webhook, org, webhook_id)
    evt = emit(
        org,
        "ping",
        {
            "webhookId": webhook.id,
            "url": webhook.url,
            "message": f"Ping from Sparki, sent by {actor.email}",
        },
    )
    delivery = new_attempt(webhook, evt.id, "ping", at=utcnow(), manual=True, attempt=1)
    db.session.commit()
    enqueue_deliveries([(delivery.id, None)])
    return delivery


def redeliver(org: Org, actor: Actor, webhook_id: str, delivery_id: str) -> Delivery:
    """Send that delivery's event again now, as a new (manual) attempt; returns it.

    Raises NotFound, PermissionDenied, InvalidRequest (see `get_delivery`) and Conflict
    (another attempt took the same number at the same moment).
    """
    _manage(actor, "redeliver webhooks")
    original = get_delivery(org, actor, webhook_id, delivery_id)
    delivery = new_attempt(
        original.webhook, original.event_id, original.event_type, at=utcnow(), manual=True
    )
    try:
        db.session.commit()
    except IntegrityError as exc:  # a concurrent attempt took this number
        db.session.rollback()
        raise Conflict(
            "Another attempt was created at the same moment; retry",
            field="deliveryId",
            reason="concurrent attempt",
        ) from exc
    enqueue_deliveries([(delivery.id, None)])
    return delivery


def recover(org: Org, actor: Actor, webhook_id: str, since: datetime) -> list[Delivery]:
    """Redeliver every event whose attempts to this endpoint since `since` (aware UTC)
    all failed; returns the new attempts. Raises NotFound, PermissionDenied."""
    _manage(actor, "recover webhook deliveries")
    webhook = get_in_org(Webhook, org, webhook_id)
    rows = db.session.execute(
        select(Delivery.event_id, Delivery.event_type, Delivery.status).where(
            Delivery.webhook_id == webhook.id, Delivery.created_at >= since
        )
    ).all()
    by_event: dict[str, tuple[str, set[str]]] = {}
    for event_id, event_type, status in rows:
        by_event.setdefault(event_id, (event_type, set()))[1].add(status)
    created = [
        new_attempt(webhook, event_id, event_type, at=utcnow(), manual=True)
        for event_id, (event_type, statuses) in by_event.items()
        if "failed" in statuses and not statuses & {"succeeded", "pending", "sending"}
    ]
    db.session.commit()
    enqueue_deliveries([(d.id, None) for d in created])
    return created


# --- events --------------------------------------------------------------------------------


def list_events(org: Org, actor: Actor, *, type: str | None = None) -> Select:  # noqa: A002
    """The organization's events (optionally of one type), as a statement to paginate.
    Raises InvalidRequest (field `type`) for a type no feature declared."""
    stmt = scoped(Event, org)
    if type:
        if type not in event_types():
            raise InvalidRequest(
                f"Unknown event type '{type}'", field="type", reason="unknown event type"
            )
        stmt = stmt.where(Event.type == type)
    return stmt


def get_event(org: Org, actor: Actor, event_id: str) -> Event:
    """One event of the organization. Raises NotFound."""
    return get_in_org(Event, org, event_id)


def summary(org: Org, actor: Actor, *, hours: int = 24) -> dict[str, Any]:
    """Endpoints and the last `hours` of delivery attempts by status (the home card).

    `{"endpoints", "active": int, "disabled": [Webhook], "succeeded", "failed",
    "pending" (pending + sending): counts, "hours"}`.
    """
    since = utcnow() - timedelta(hours=hours)
    hooks = list(db.session.execute(scoped(Webhook, org)).scalars())
    counts = dict(
        db.session.execute(
            select(Delivery.status, func.count())
            .where(Delivery.org_id == org.id, Delivery.created_at >= since)
            .group_by(Delivery.status)
        ).all()
    )
    return {
        "endpoints": len(hooks),
        "active": sum(1 for h in hooks if h.active),
        "disabled": [h for h in hooks if not h.active and h.disabled_at],
        "succeeded": counts.get("succeeded", 0),
        "failed": counts.get("failed", 0),
        "pending": counts.get("pending", 0) + counts.get("sending", 0),
        "hours": hours,
    }
