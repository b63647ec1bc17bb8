"""What the webhooks feature does: endpoints, secrets, deliveries, the events list.

Functions take the organization and the acting user, raise DomainErrors and commit once.
The delivery engine (fan-out, attempts, retries, the sweep) is at the bottom; the RQ jobs
in `jobs.py` are thin wrappers around it.
"""

from __future__ import annotations

import json
import logging
import math
import secrets
import time
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import Select, func, select, update
from sqlalchemy.exc import IntegrityError

from blueprints.core.auth import require_role
from blueprints.core.errors import Conflict, InvalidRequest
from blueprints.core.events import Event, emit, event_types
from blueprints.core.extensions import db
from blueprints.core.models import get_in_org, scoped, utcnow

from . import guard, signing, transport
from .models import Delivery, Webhook

log = logging.getLogger("sparki.webhooks")

MANAGERS = ("maintainer",)  # with admin: who may change webhooks


def subscribable() -> tuple[str, ...]:
    """Event types an endpoint can subscribe to (all declared ones but `ping`, which only
    the ping action sends), read from the app's registry at call time."""
    return tuple(t for t in event_types() if t != "ping")


def groups() -> tuple[str, ...]:
    """The `group` of each subscribable `group.action` type, sorted: `group.*` subscribes
    to all of them."""
    return tuple(sorted({t.split(".")[0] for t in subscribable() if "." in t}))


USER_AGENT = "Sparki-Webhooks/1.0"


def _manage(actor: Any, action: str) -> None:
    require_role(actor, *MANAGERS, action=action)


def normalize_events(events: list[str] | None) -> list[str]:
    """Validate subscriptions: known types, `group.*` or `*` (everything)."""
    if not events:
        raise InvalidRequest(
            "Subscribe to at least one event ('*' for all)", field="events", reason="empty"
        )
    out: list[str] = []
    known, known_groups = subscribable(), groups()
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


def subscribes(webhook: Webhook, event_type: str) -> bool:
    for name in webhook.events or []:
        if name == "*" or name == event_type:
            return True
        if name.endswith(".*") and event_type.startswith(name[:-1]):
            return True
    return False


def check_url(url: str) -> str:
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


def _url_taken(org: Any, url: str, exclude: str | None = None) -> bool:
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


def list_webhooks(org: Any, actor: Any) -> Select:
    return scoped(Webhook, org)


def get_webhook(org: Any, actor: Any, webhook_id: str) -> Webhook:
    return get_in_org(Webhook, org, webhook_id)


def create_webhook(
    org: Any, actor: Any, *, url: str, events: list[str], active: bool = True, description: str = ""
) -> tuple[Webhook, str]:
    """Create an endpoint; returns it with its secret (shown once)."""
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
        _disable(webhook, f"Created disabled by {actor.email}")
    db.session.add(webhook)
    _commit_unique()
    return webhook, secret


def _disable(webhook: Webhook, reason: str) -> None:
    webhook.active = False
    webhook.disabled_at = utcnow()
    webhook.disabled_reason = reason[:300]


def update_webhook(
    org: Any,
    actor: Any,
    webhook_id: str,
    *,
    url: str | None = None,
    events: list[str] | None = None,
    active: bool | None = None,
    description: str | None = None,
) -> Webhook:
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
        _disable(webhook, f"Disabled by {actor.email}")
    _commit_unique()
    return webhook


def delete_webhook(org: Any, actor: Any, webhook_id: str) -> None:
    _manage(actor, "delete webhooks")
    webhook = get_in_org(Webhook, org, webhook_id)
    db.session.delete(webhook)
    db.session.commit()


def rotate_secret(org: Any, actor: Any, webhook_id: str) -> tuple[Webhook, str]:
    """A new secret; the old one keeps signing next to it for WEBHOOK_SECRET_OVERLAP_SECONDS."""
    _manage(actor, "rotate webhook secrets")
    webhook = get_in_org(Webhook, org, webhook_id)
    overlap = int(current_app.config["WEBHOOK_SECRET_OVERLAP_SECONDS"])
    webhook.previous_secret = webhook.secret
    webhook.previous_secret_expires_at = utcnow() + timedelta(seconds=overlap)
    webhook.secret = signing.generate_secret()
    db.session.commit()
    return webhook, webhook.secret


def signing_secrets(webhook: Webhook, now: datetime | None = None) -> list[str]:
    """The current secret first, then the previous one while its overlap lasts."""
    now = now or utcnow()
    keys = [webhook.secret]
    if (
        webhook.previous_secret
        and webhook.previous_secret_expires_at
        and webhook.previous_secret_expires_at > now
    ):
        keys.append(webhook.previous_secret)
    return keys


# --- deliveries ----------------------------------------------------------------------------


def list_deliveries(org: Any, actor: Any, webhook_id: str, *, status: str | None = None) -> Select:
    webhook = get_in_org(Webhook, org, webhook_id)
    stmt = scoped(Delivery, org).where(Delivery.webhook_id == webhook.id)
    if status:
        stmt = stmt.where(Delivery.status == status)
    return stmt


def get_delivery(org: Any, actor: Any, webhook_id: str, delivery_id: str) -> Delivery:
    delivery = get_in_org(Delivery, org, delivery_id)
    if delivery.webhook_id != webhook_id:
        get_in_org(Webhook, org, webhook_id)  # 404 for an unknown webhook first
        raise InvalidRequest(
            "That delivery belongs to another webhook", field="deliveryId", reason="other webhook"
        )
    return delivery


def _next_attempt(webhook_id: str, event_id: str) -> int:
    top = db.session.execute(
        select(func.max(Delivery.attempt)).where(
            Delivery.webhook_id == webhook_id, Delivery.event_id == event_id
        )
    ).scalar_one_or_none()
    return (top or 0) + 1


def _new_delivery(
    webhook: Webhook,
    event_id: str,
    event_type: str,
    *,
    at: datetime,
    manual: bool,
    attempt: int | None = None,
    claimed: bool = False,
) -> Delivery:
    delivery = Delivery(
        org_id=webhook.org_id,
        webhook_id=webhook.id,
        event_id=event_id,
        event_type=event_type,
        manual=manual,
        scheduled_at=at,
        status="sending" if claimed else "pending",
        started_at=at if claimed else None,
        attempt=attempt or _next_attempt(webhook.id, event_id),
        created_at=utcnow(),
    )
    db.session.add(delivery)
    return delivery


def enqueue_deliveries(
    deliveries: list[tuple[str, datetime | None]], *, job_suffix: str = ""
) -> None:
    """Hand (delivery id, due time) pairs to RQ after the rows are committed.

    RQ's scheduler keeps whole seconds, so a due time is rounded up: never early. A failure
    here loses nothing: the sweep enqueues every pending delivery that is due.
    """
    from blueprints.core.jobs import enqueue

    from .jobs import deliver

    for delivery_id, due in deliveries:
        delay = math.ceil(due.timestamp()) - time.time() if due is not None else 0
        try:
            enqueue(
                deliver,
                delivery_id,
                job_id=f"webhook-delivery-{delivery_id}{job_suffix}",
                delay=delay if delay > 0 else None,
                timeout=job_timeout(),
            )
        except Exception:  # noqa: BLE001 (the sweep retries; the row is the truth)
            log.exception("could not enqueue delivery %s; the sweep will", delivery_id)


def job_timeout() -> int:
    return int(current_app.config["WEBHOOK_TIMEOUT_SECONDS"]) + 45


def ping(org: Any, actor: Any, webhook_id: str) -> Delivery:
    """Send a `ping` event to this endpoint only."""
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
    delivery = _new_delivery(webhook, evt.id, "ping", at=utcnow(), manual=True, attempt=1)
    db.session.commit()
    enqueue_deliveries([(delivery.id, None)])
    return delivery


def redeliver(org: Any, actor: Any, webhook_id: str, delivery_id: str) -> Delivery:
    """Send that delivery's event again now, as a new attempt."""
    _manage(actor, "redeliver webhooks")
    original = get_delivery(org, actor, webhook_id, delivery_id)
    delivery = _new_delivery(
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


def recover(org: Any, actor: Any, webhook_id: str, since: datetime) -> list[Delivery]:
    """Redeliver every event whose deliveries to this endpoint since `since` all failed."""
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
        _new_delivery(webhook, event_id, event_type, at=utcnow(), manual=True)
        for event_id, (event_type, statuses) in by_event.items()
        if "failed" in statuses and not statuses & {"succeeded", "pending", "sending"}
    ]
    db.session.commit()
    enqueue_deliveries([(d.id, None) for d in created])
    return created


# --- events --------------------------------------------------------------------------------


def list_events(org: Any, actor: Any, *, type: str | None = None) -> Select:  # noqa: A002
    stmt = scoped(Event, org)
    if type:
        if type not in event_types():
            raise InvalidRequest(
                f"Unknown event type '{type}'", field="type", reason="unknown event type"
            )
        stmt = stmt.where(Event.type == type)
    return stmt


def get_event(org: Any, actor: Any, event_id: str) -> Event:
    return get_in_org(Event, org, event_id)


def payload(evt: Event) -> bytes:
    """The exact bytes that are sent and signed: `{id, timestamp, event, data}`, compact."""
    stamp = evt.created_at.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return json.dumps(
        {"id": evt.id, "timestamp": stamp, "event": evt.type, "data": evt.data},
        separators=(",", ":"),
        ensure_ascii=False,
    ).encode()


# --- the delivery engine (called by jobs) ----------------------------------------------------

INLINE_MAX = 200  # first attempts one fan-out job may make itself


def drain_outbox(*, seconds: float = 10.0, batch: int = 100) -> tuple[int, bool]:
    """Fan out undispatched events, oldest first, `batch` at a time, for up to `seconds`.

    This is the outbox relay: however many commits emitted events while it was queued,
    one job takes them all. Returns (events handled, whether some are left).
    """
    deadline = time.monotonic() + seconds
    total = 0
    while time.monotonic() < deadline:
        handled, _ = fan_out(None, limit=batch)
        total += handled
        if handled < batch:
            return total, False
    return total, True


def fan_out(event_ids: list[str] | None, *, limit: int = 100) -> tuple[int, int]:
    """Create the first attempt for each active subscription of each event; mark dispatched.

    Takes the given events, or (None) the oldest undispatched ones; returns how many events
    it handled and how many deliveries it made.

    Idempotent: an event already dispatched is skipped, and the unique (webhook, event,
    attempt) constraint stops two concurrent fan-outs from both creating attempt 1.

    A job per delivery costs a fork and a fresh database connection, which this job has
    already; so it makes up to INLINE_MAX first attempts to healthy endpoints itself, for
    at most WEBHOOK_INLINE_SECONDS. Those rows are created claimed (`sending`); the others,
    and any the budget does not reach, get jobs of their own, so one slow endpoint holds up
    the rest for at most one timeout. A crash leaves committed rows the sweep picks up.
    """
    stmt = select(Event).where(Event.dispatched_at.is_(None))
    if event_ids is not None:
        stmt = stmt.where(Event.id.in_(event_ids))
    # Row locks (PostgreSQL) keep two relays off the same events; SQLite serialises writes.
    stmt = stmt.order_by(Event.created_at).limit(limit).with_for_update(skip_locked=True)
    events = list(db.session.execute(stmt).scalars())
    now = utcnow()
    budget = float(current_app.config["WEBHOOK_INLINE_SECONDS"])
    created: list[Delivery] = []
    inline: list[tuple[Delivery, tuple[str, bytes, str, str, list[str]]]] = []
    hooks_by_org: dict[str, list[Webhook]] = {}
    for evt in events:
        if evt.type != "ping":
            if evt.org_id not in hooks_by_org:
                hooks_by_org[evt.org_id] = list(
                    db.session.execute(
                        select(Webhook).where(
                            Webhook.org_id == evt.org_id, Webhook.active.is_(True)
                        )
                    ).scalars()
                )
            for webhook in hooks_by_org[evt.org_id]:
                # endpoints registered after the event happened do not receive it
                if not subscribes(webhook, evt.type) or webhook.created_at > evt.created_at:
                    continue
                mine = budget > 0 and webhook.failing_since is None and len(inline) < INLINE_MAX
                delivery = _new_delivery(
                    webhook, evt.id, evt.type, at=now, manual=False, attempt=1, claimed=mine
                )
                if mine:
                    inline.append(
                        (
                            delivery,
                            (
                                webhook.url,
                                payload(evt),
                                evt.id,
                                evt.type,
                                signing_secrets(webhook, now),
                            ),
                        )
                    )
                else:
                    created.append(delivery)
        evt.dispatched_at = now
    try:
        db.session.flush()
        queued = [d.id for d in created]
        mine_ids = [(d.id, message) for d, message in inline]
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        log.info("%d events were fanned out concurrently", len(events))
        return 0, 0
    deadline = time.monotonic() + budget
    for delivery_id, message in mine_ids:
        if time.monotonic() < deadline:
            _conclude(delivery_id, _send(*message), was_failing=False)
        elif _release(delivery_id):
            queued.append(delivery_id)
    enqueue_deliveries([(i, None) for i in queued])
    return len(events), len(queued) + len(mine_ids)


def _release(delivery_id: str) -> bool:
    """Hand a claimed attempt back (pending) so a job of its own makes it."""
    released = db.session.execute(
        update(Delivery)
        .where(Delivery.id == delivery_id, Delivery.status == "sending")
        .values(status="pending", started_at=None)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    return released == 1


def _send(
    url: str, body: bytes, msg_id: str, event_type: str, keys: list[str]
) -> transport.Outcome:
    """Sign and POST one attempt (the SSRF guard runs again: DNS may have changed)."""
    cfg = current_app.config
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-Sparki-Event": event_type,
        **signing.sign(keys, msg_id, int(time.time()), body),
    }
    try:
        target = guard.check(url, allow_private=bool(cfg["WEBHOOK_ALLOW_PRIVATE"]))
    except guard.UnsafeURL as exc:
        return transport.Outcome(error=f"Refused: {exc.message}")
    return transport.post(target, body, headers, float(cfg["WEBHOOK_TIMEOUT_SECONDS"]))


def _conclude(delivery_id: str, outcome: transport.Outcome, *, was_failing: bool) -> str:
    if outcome.ok:
        return _record_success(delivery_id, outcome, was_failing)
    return record(delivery_id, outcome)


def attempt(delivery_id: str) -> str:
    """Make one delivery attempt and record it; returns the delivery's final status.

    The row is claimed (pending → sending) first, so a duplicate job does nothing. The
    database transaction is closed while the HTTP request runs.
    """
    claimed = db.session.execute(
        update(Delivery)
        .where(Delivery.id == delivery_id, Delivery.status == "pending")
        .values(status="sending", started_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        db.session.rollback()
        return "skipped"
    delivery = db.session.get(Delivery, delivery_id)
    webhook, evt = delivery.webhook, delivery.event
    if not webhook.active and not delivery.manual:
        _finish(delivery, "cancelled", error="The endpoint is disabled")
        db.session.commit()
        return "cancelled"
    message = (webhook.url, payload(evt), evt.id, evt.type, signing_secrets(webhook))
    was_failing = webhook.failing_since is not None
    db.session.commit()  # the claim is visible; no transaction stays open during the call
    return _conclude(delivery_id, _send(*message), was_failing=was_failing)


def _record_success(delivery_id: str, outcome: transport.Outcome, was_failing: bool) -> str:
    """The common case in a few statements: this row, its pending siblings, the endpoint."""
    now = utcnow()
    done = db.session.execute(
        update(Delivery)
        .where(Delivery.id == delivery_id, Delivery.status == "sending")
        .values(
            status="succeeded",
            finished_at=now,
            status_code=outcome.status_code,
            duration_ms=outcome.duration_ms,
            response_excerpt=outcome.excerpt,
        )
        .returning(Delivery.webhook_id, Delivery.event_id, Delivery.attempt)
        .execution_options(synchronize_session=False)
    ).first()
    if done is None:
        db.session.rollback()
        return "superseded"  # the sweep reclaimed it (lease expired) or it was deleted
    webhook_id, event_id, number = done
    db.session.execute(
        update(Delivery)
        .where(
            Delivery.webhook_id == webhook_id,
            Delivery.event_id == event_id,
            Delivery.status == "pending",
        )
        .values(status="cancelled", finished_at=now, error=f"Attempt {number} succeeded")
        .execution_options(synchronize_session=False)
    )
    if was_failing:
        db.session.execute(
            update(Webhook)
            .where(Webhook.id == webhook_id)
            .values(failing_since=None)
            .execution_options(synchronize_session=False)
        )
    db.session.commit()
    return "succeeded"


def _finish(delivery: Delivery, status: str, *, error: str | None = None) -> None:
    delivery.status = status
    delivery.finished_at = utcnow()
    if error:
        delivery.error = error[:500]


def _jittered(seconds: float) -> float:
    jitter = float(current_app.config["WEBHOOK_RETRY_JITTER"])
    if seconds <= 0 or jitter <= 0:
        return max(0.0, seconds)
    factor = 1 - jitter + 2 * jitter * secrets.randbelow(10_001) / 10_000
    return seconds * factor


def _retry_delay(delivery: Delivery, outcome: transport.Outcome) -> float | None:
    """Seconds until the next automatic attempt, or None when the schedule is spent."""
    schedule = [int(s) for s in current_app.config["WEBHOOK_RETRY_SCHEDULE"]]
    automatic = db.session.execute(
        select(func.count())
        .select_from(Delivery)
        .where(
            Delivery.webhook_id == delivery.webhook_id,
            Delivery.event_id == delivery.event_id,
            Delivery.manual.is_(False),
        )
    ).scalar_one()
    if automatic >= len(schedule):
        return None
    delay = _jittered(schedule[automatic])
    if outcome.retry_after is not None:  # the receiver asked for a pause: honour it (≤ 1 day)
        delay = max(delay, min(outcome.retry_after, 86400.0))
    return delay


def record(delivery_id: str, outcome: transport.Outcome) -> str:
    """Store an attempt's outcome; schedule a retry, or disable the endpoint, as due."""
    delivery = db.session.get(Delivery, delivery_id)
    if delivery is None or delivery.status != "sending":
        db.session.rollback()
        return "superseded"  # the sweep reclaimed it (lease expired) or it was deleted
    delivery.status_code = outcome.status_code
    delivery.duration_ms = outcome.duration_ms
    delivery.response_excerpt = outcome.excerpt
    webhook = delivery.webhook
    later: list[tuple[str, datetime | None]] = []
    if outcome.ok:
        _finish(delivery, "succeeded")
        webhook.failing_since = None
        db.session.execute(
            update(Delivery)
            .where(
                Delivery.webhook_id == webhook.id,
                Delivery.event_id == delivery.event_id,
                Delivery.status == "pending",
            )
            .values(
                status="cancelled",
                finished_at=utcnow(),
                error=f"Attempt {delivery.attempt} succeeded",
            )
        )
    else:
        reason = outcome.error or f"The endpoint answered HTTP {outcome.status_code}"
        _finish(delivery, "failed", error=reason)
        webhook.failing_since = webhook.failing_since or delivery.started_at or utcnow()
        later = _after_failure(delivery, webhook, outcome)
    status = delivery.status
    db.session.commit()
    enqueue_deliveries(later)
    return status


def _after_failure(
    delivery: Delivery, webhook: Webhook, outcome: transport.Outcome
) -> list[tuple[str, datetime | None]]:
    now = utcnow()
    limit = int(current_app.config["WEBHOOK_DISABLE_AFTER_SECONDS"])
    if outcome.status_code == 410:
        if webhook.active:
            disable_endpoint(
                webhook, "The endpoint answered 410 Gone: it asked to stop receiving webhooks"
            )
        return []
    if webhook.active and (now - webhook.failing_since).total_seconds() >= limit:
        since = webhook.failing_since.strftime("%Y-%m-%d %H:%M UTC")
        disable_endpoint(
            webhook,
            f"Every delivery has failed since {since} "
            f"({limit // 3600} h or more); last error: {delivery.error}",
        )
        return []
    if delivery.manual or not webhook.active:
        return []
    delay = _retry_delay(delivery, outcome)
    if delay is None:
        return []
    delivery.next_retry_at = now + timedelta(seconds=delay)
    nxt = _new_delivery(
        webhook, delivery.event_id, delivery.event_type, at=delivery.next_retry_at, manual=False
    )
    db.session.flush()
    return [(nxt.id, nxt.scheduled_at)]


def disable_endpoint(webhook: Webhook, reason: str) -> None:
    """Disable an endpoint in the current transaction and tell its owner (webhook.disabled)."""
    from blueprints.users.models import Organization

    _disable(webhook, reason)
    db.session.execute(
        update(Delivery)
        .where(
            Delivery.webhook_id == webhook.id,
            Delivery.status == "pending",
            Delivery.manual.is_(False),
        )
        .values(status="cancelled", finished_at=utcnow(), error="The endpoint was disabled")
    )
    emit(
        db.session.get(Organization, webhook.org_id),
        "webhook.disabled",
        {"webhookId": webhook.id, "url": webhook.url, "reason": webhook.disabled_reason},
    )


def sweep(limit: int = 500) -> dict[str, int]:
    """The safety net, run periodically: nothing stored in the database is ever stranded.

    - events never dispatched (a crash between commit and enqueue) are dispatched again;
    - attempts stuck `sending` past the lease (a worker killed mid-delivery) are marked
      failed and sent again at once;
    - pending attempts that are due are (re-)enqueued (after a Redis restart, say); the
      deterministic job id keeps a still-queued job from being enqueued twice.
    """
    from blueprints.core.events import redispatch_undispatched

    cfg = current_app.config
    now = utcnow()
    redispatched = redispatch_undispatched(
        older_than=timedelta(seconds=int(cfg["WEBHOOK_OUTBOX_GRACE_SECONDS"])), limit=limit
    )
    lease = timedelta(seconds=int(cfg["WEBHOOK_LEASE_SECONDS"]))
    stuck = list(
        db.session.execute(
            select(Delivery)
            .where(Delivery.status == "sending", Delivery.started_at < now - lease)
            .limit(limit)
        ).scalars()
    )
    max_attempts = len(cfg["WEBHOOK_RETRY_SCHEDULE"]) + 3
    for delivery in stuck:
        _finish(
            delivery,
            "failed",
            error="The worker stopped before this attempt finished (lease expired)",
        )
        if delivery.attempt < max_attempts and (delivery.webhook.active or delivery.manual):
            delivery.next_retry_at = now
            _new_delivery(
                delivery.webhook,
                delivery.event_id,
                delivery.event_type,
                at=now,
                manual=delivery.manual,
                attempt=delivery.attempt + 1,
            )
    db.session.commit()
    due = db.session.execute(
        select(Delivery.id, Delivery.scheduled_at)
        .where(Delivery.status == "pending", Delivery.scheduled_at <= now)
        .order_by(Delivery.scheduled_at)
        .limit(limit)
    ).all()
    db.session.commit()
    # A due attempt normally has its job queued (or scheduled) under its own id, which the
    # enqueue below then leaves alone. Long overdue, its job may be stranded in the
    # registry of an RQ scheduler that died: a second job id rescues it, and the claim in
    # `attempt` makes sure only one of the two jobs sends.
    overdue = now - lease
    enqueue_deliveries([(d, None) for d, at in due if at > overdue])
    enqueue_deliveries([(d, None) for d, at in due if at <= overdue], job_suffix="-late")
    return {"redispatched": redispatched, "reclaimed": len(stuck), "enqueued": len(due)}


def summary(org: Any, actor: Any, *, hours: int = 24) -> dict[str, Any]:
    """Endpoints and the last `hours` of delivery attempts by status (the home card)."""
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
