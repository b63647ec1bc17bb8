"""JSON in and out for webhooks, deliveries and events."""

from __future__ import annotations

from typing import Any

from blueprints.core.events import event_types
from blueprints.core.schemas import PageQuery, Schema, Timestamp, fields, validators

from .models import DELIVERY_STATUSES

_events_doc = {"description": "Event types, `group.*` (e.g. `deployment.*`) or `*` for all."}
# What the domain enforces, documented (the domain also resolves the host: SSRF guard).
_url_doc = {
    "description": "An http(s) URL whose host resolves to a public address",
    "pattern": r"^[Hh][Tt][Tt][Pp][Ss]?://[^\s/?#]+",
}
_event_name = {"pattern": r"^(\*|[a-z][a-z_]*(\.[a-z_]+)*(\.\*)?)$"}


class WebhookOut(Schema):
    id = fields.String()
    url = fields.String()
    description = fields.String()
    events = fields.List(fields.String(), metadata=_events_doc)
    active = fields.Boolean()
    status = fields.String(metadata={"description": "`active` or `disabled`"})
    disabled_at = Timestamp(allow_none=True)
    disabled_reason = fields.String(
        allow_none=True, metadata={"description": "Why the endpoint is disabled"}
    )
    failing_since = Timestamp(allow_none=True)
    previous_secret_expires_at = Timestamp(
        allow_none=True, metadata={"description": "Until when the rotated-out secret signs too"}
    )
    created_at = Timestamp()
    updated_at = Timestamp()


class WebhookCreated(WebhookOut):
    secret = fields.String(metadata={"description": "The signing secret. Shown once."})


class WebhookCreate(Schema):
    url = fields.String(
        required=True, validate=validators.Length(min=1, max=2000), metadata=_url_doc
    )
    events = fields.List(
        fields.String(validate=validators.Length(max=64), metadata=_event_name),
        required=True,
        validate=validators.Length(min=1, max=50),
        metadata=_events_doc,
    )
    active = fields.Boolean(load_default=True)
    description = fields.String(load_default="", validate=validators.Length(max=200))


class WebhookUpdate(Schema):
    url = fields.String(validate=validators.Length(min=1, max=2000), metadata=_url_doc)
    events = fields.List(
        fields.String(validate=validators.Length(max=64), metadata=_event_name),
        validate=validators.Length(min=1, max=50),
        metadata=_events_doc,
    )
    active = fields.Boolean()
    description = fields.String(validate=validators.Length(max=200))


class DeliveryOut(Schema):
    id = fields.String()
    webhook_id = fields.String()
    event_id = fields.String()
    event = fields.String(attribute="event_type")
    attempt = fields.Integer()
    manual = fields.Boolean(metadata={"description": "A ping or a redelivery by hand"})
    status = fields.String(metadata={"description": " | ".join(DELIVERY_STATUSES)})
    status_code = fields.Integer(allow_none=True)
    duration_ms = fields.Integer(
        allow_none=True,
        metadata={"description": "How long the endpoint took to answer, in milliseconds"},
    )
    duration = fields.Integer(
        attribute="duration_ms",
        allow_none=True,
        dump_only=True,
        metadata={"description": "Deprecated: the same as `durationMs` (milliseconds)"},
    )
    response_excerpt = fields.String(
        allow_none=True, metadata={"description": "First 1 KiB of the response"}
    )
    error = fields.String(allow_none=True)
    scheduled_at = Timestamp()
    started_at = Timestamp(allow_none=True)
    finished_at = Timestamp(allow_none=True)
    next_retry_at = Timestamp(allow_none=True)
    created_at = Timestamp()


class DeliveryQuery(PageQuery):
    status = fields.String(load_default=None, validate=validators.OneOf(DELIVERY_STATUSES))


class RecoverIn(Schema):
    since = fields.AwareDateTime(
        required=True,
        default_timezone=None,
        metadata={"description": "Redeliver events whose attempts since this time all failed"},
    )


class RecoverOut(Schema):
    count = fields.Integer()
    deliveries = fields.List(fields.Nested(DeliveryOut))


class EventOut(Schema):
    id = fields.String()
    type = fields.String()
    organization_id = fields.String(attribute="org_id")
    data = fields.Dict()
    timestamp = Timestamp(attribute="created_at")
    dispatched_at = Timestamp(allow_none=True)


def _known_event_type(value: Any) -> Any:
    """OneOf the event types declared on the current app, read at load time (features
    declare theirs on the app, so a list fixed at import would miss some)."""
    return validators.OneOf(event_types())(value)


class EventQuery(PageQuery):
    type = fields.String(
        load_default=None,
        validate=_known_event_type,
        metadata={"description": "An event type, e.g. `user.created` (see `GET /events`)"},
    )
