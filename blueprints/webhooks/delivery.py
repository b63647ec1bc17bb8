"""The webhook delivery engine: fan-out, attempts, retries, auto-disable and the sweep.

Called by the RQ jobs in `jobs.py` and by the domain (which creates manual attempts);
it imports neither. Jobs are enqueued by dotted path, so this module never imports
`jobs.py`. Functions here act for the system, not for a user: they take ids, reload
rows, are idempotent and commit themselves.

A delivery row is one attempt (see `models.DELIVERY_STATUSES`); the row in the database
is the truth and Redis only a way to wake a worker, so the sweep can always rebuild the
queue from the rows.
"""

from __future__ import annotations

import json
import logging
import math
import secrets
import time
from datetime import datetime, timedelta

from flask import current_app
from prometheus_client import Counter, Histogram
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from blueprints.core import guard
from blueprints.core.events import Event, emit, redispatch_undispatched
from blueprints.core.extensions import db
from blueprints.core.jobs import enqueue
from blueprints.core.models import iso_utc, utcnow

from . import signing, transport
from .models import Delivery, Webhook

log = logging.getLogger("sparki.webhooks")
DELIVERIES = Counter(
    "sparki_webhook_deliveries_total",
    "Webhook delivery attempts, by outcome (succeeded|failed)",
    ["outcome"],
)
DELIVERY_SECONDS = Histogram(
    "sparki_webhook_delivery_duration_seconds",
    "How long endpoints took to answer a delivery attempt, by outcome",
    ["outcome"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15, 30),
)

USER_AGENT = "Sparki-Webhooks/1.0"
INLINE_MAX = 200  # first attempts one fan-out job may make itself
DELIVER_JOB = "blueprints.webhooks.jobs.deliver"  # by path: the jobs import this module

# What one attempt sends: (url, body, message id, event type, signing secrets).
Message = tuple[str, bytes, str, str, list[str]]


# --- what is sent ----------------------------------------------------------------------------


def subscribes(webhook: Webhook, event_type: str) -> bool:
    """Whether `webhook` receives `event_type` (an exact name, its `group.*` or `*`)."""
    for name in webhook.events or []:
        if name == "*" or name == event_type:
            return True
        if name.endswith(".*") and event_type.startswith(name[:-1]):
            return True
    return False


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


def payload(evt: Event) -> bytes:
    """The exact bytes that are sent and signed: `{id, timestamp, event, data}`, compact."""
    return json.dumps(
        {"id": evt.id, "timestamp": iso_utc(evt.created_at), "event": evt.type, "data": evt.data},
        separators=(",", ":"),
        ensure_ascii=False,
    ).encode()


def _message(webhook: Webhook, evt: Event, now: datetime | None = None) -> Message:
    return (webhook.url, payload(evt), evt.id, evt.type, signing_secrets(webhook, now))


# --- attempts --------------------------------------------------------------------------------


def _next_attempt(webhook_id: str, event_id: str) -> int:
    top = db.session.execute(
        select(func.max(Delivery.attempt)).where(
            Delivery.webhook_id == webhook_id, Delivery.event_id == event_id
        )
    ).scalar_one_or_none()
    return (top or 0) + 1


def new_attempt(
    webhook: Webhook,
    event_id: str,
    event_type: str,
    *,
    at: datetime,
    manual: bool,
    attempt: int | None = None,
    claimed: bool = False,
) -> Delivery:
    """Add (uncommitted) an attempt of `event_id` to `webhook`, due at `at`.

    `attempt` defaults to the next number for that pair; `claimed` creates it `sending`
    (the caller makes it at once). The unique (webhook, event, attempt) constraint makes a
    concurrent duplicate fail with IntegrityError at flush or commit.
    """
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
    here loses nothing (it is logged, not raised): the sweep enqueues every pending
    delivery that is due.
    """
    timeout = int(current_app.config["WEBHOOK_TIMEOUT_SECONDS"]) + 45  # seconds
    for delivery_id, due in deliveries:
        delay = math.ceil(due.timestamp()) - time.time() if due is not None else 0
        try:
            enqueue(
                DELIVER_JOB,
                delivery_id,
                job_id=f"webhook-delivery-{delivery_id}{job_suffix}",
                delay=delay if delay > 0 else None,
                timeout=timeout,
            )
        except Exception:  # noqa: BLE001 (the sweep retries; the row is the truth)
            log.exception("could not enqueue delivery %s; the sweep will", delivery_id)


# --- fan-out (the outbox relay) --------------------------------------------------------------


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


def _active_hooks(org_id: str) -> list[Webhook]:
    stmt = select(Webhook).where(Webhook.org_id == org_id, Webhook.active.is_(True))
    return list(db.session.execute(stmt).scalars())


def fan_out(event_ids: list[str] | None, *, limit: int = 100) -> tuple[int, int]:
    """Create the first attempt for each active subscription of each event; mark dispatched.

    Takes the given events, or (None) the oldest undispatched ones, at most `limit`; returns
    how many events it handled and how many deliveries it made.

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
    inline: list[tuple[Delivery, Message]] = []
    hooks_by_org: dict[str, list[Webhook]] = {}
    for evt in events:
        if evt.type != "ping":
            if evt.org_id not in hooks_by_org:
                hooks_by_org[evt.org_id] = _active_hooks(evt.org_id)
            for webhook in hooks_by_org[evt.org_id]:
                # endpoints registered after the event happened do not receive it
                if not subscribes(webhook, evt.type) or webhook.created_at > evt.created_at:
                    continue
                mine = budget > 0 and webhook.failing_since is None and len(inline) < INLINE_MAX
                delivery = new_attempt(
                    webhook, evt.id, evt.type, at=now, manual=False, attempt=1, claimed=mine
                )
                if mine:
                    inline.append((delivery, _message(webhook, evt, now)))
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


# --- one attempt -----------------------------------------------------------------------------


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
        status = _record_success(delivery_id, outcome, was_failing)
    else:
        status = _record_failure(delivery_id, outcome)
    if status != "superseded":  # a reclaimed attempt is counted by the one that records it
        DELIVERIES.labels(status).inc()
        if outcome.duration_ms is not None:
            DELIVERY_SECONDS.labels(status).observe(outcome.duration_ms / 1000)
    return status


def attempt(delivery_id: str) -> str:
    """Make one delivery attempt and record it; returns the delivery's final status.

    One of `succeeded`, `failed`, `cancelled` (the endpoint is disabled), `skipped` (the
    row was not pending: a duplicate job) or `superseded` (the sweep reclaimed it
    meanwhile). The row is claimed (pending → sending) first, so a duplicate job does
    nothing. The database transaction is closed while the HTTP request runs.
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
    message = _message(webhook, evt)
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


def _record_failure(delivery_id: str, outcome: transport.Outcome) -> str:
    """Store a failed attempt; schedule a retry, or disable the endpoint, as due.

    Returns `failed`, or `superseded` when the row is no longer `sending`.
    """
    delivery = db.session.get(Delivery, delivery_id)
    if delivery is None or delivery.status != "sending":
        db.session.rollback()
        return "superseded"  # the sweep reclaimed it (lease expired) or it was deleted
    delivery.status_code = outcome.status_code
    delivery.duration_ms = outcome.duration_ms
    delivery.response_excerpt = outcome.excerpt
    webhook = delivery.webhook
    reason = outcome.error or f"The endpoint answered HTTP {outcome.status_code}"
    _finish(delivery, "failed", error=reason)
    webhook.failing_since = webhook.failing_since or delivery.started_at or utcnow()
    later = _after_failure(delivery, webhook, outcome)
    db.session.commit()
    enqueue_deliveries(later)
    return "failed"


# --- retries and auto-disable ----------------------------------------------------------------


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
    nxt = new_attempt(
        webhook, delivery.event_id, delivery.event_type, at=delivery.next_retry_at, manual=False
    )
    db.session.flush()
    return [(nxt.id, nxt.scheduled_at)]


def disable_endpoint(webhook: Webhook, reason: str) -> None:
    """Disable an endpoint in the current transaction and tell its owner (webhook.disabled).

    Its pending automatic attempts are cancelled; manual ones (pings, redeliveries) still go.
    """
    from blueprints.users.models import Organization

    webhook.mark_disabled(reason, utcnow())
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


# --- the safety net --------------------------------------------------------------------------


def sweep(limit: int = 500) -> dict[str, int]:
    """The safety net, run periodically: nothing stored in the database is ever stranded.

    - events never dispatched (a crash between commit and enqueue) are dispatched again;
    - attempts stuck `sending` past the lease (a worker killed mid-delivery) are marked
      failed and sent again at once;
    - pending attempts that are due are (re-)enqueued (after a Redis restart, say); the
      deterministic job id keeps a still-queued job from being enqueued twice.

    Handles at most `limit` rows of each kind; returns the counts
    `{"redispatched", "reclaimed", "enqueued"}`.
    """
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
            new_attempt(
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
