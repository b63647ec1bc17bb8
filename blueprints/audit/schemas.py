"""JSON in and out for the audit log."""

from __future__ import annotations

from datetime import UTC
from typing import Any

from marshmallow import ValidationError, validates_schema

from blueprints.core.schemas import PageQuery, Schema, Timestamp, fields, validators

from .models import OUTCOMES


class AuditQuery(PageQuery):
    actor = fields.String(
        load_default=None,
        validate=validators.Length(min=1, max=254),
        metadata={"description": "A user id or email, an API key id or a session id"},
    )
    action = fields.String(
        load_default=None,
        validate=validators.Length(min=1, max=120),
        metadata={"description": "An action (`services.deploy`) or a prefix ending in `.`"},
    )
    target = fields.String(
        load_default=None,
        validate=validators.Length(min=1, max=64),
        metadata={"description": "An id the write targeted or changed (`svc-…`, `evt-…`)"},
    )
    since = fields.AwareDateTime(
        load_default=None,
        default_timezone=UTC,
        metadata={"description": "Entries at or after this ISO-8601 time (UTC unless given)"},
    )
    until = fields.AwareDateTime(
        load_default=None,
        default_timezone=UTC,
        metadata={"description": "Entries before this ISO-8601 time (UTC unless given)"},
    )
    outcome = fields.String(load_default=None, validate=validators.OneOf(OUTCOMES))

    @validates_schema
    def _ordered(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data.get("since") and data.get("until") and data["since"] >= data["until"]:
            raise ValidationError("must be later than 'since'", field_name="until")


class ChangeOut(Schema):
    op = fields.String(metadata={"description": "created | updated | deleted"})
    type = fields.String()
    id = fields.String()
    fields_ = fields.Dict(
        data_key="fields",
        attribute="fields",
        metadata={"description": "New values; a secret field shows `[secret]`"},
    )
    before = fields.Dict(metadata={"description": "Old values of updated fields"})


class ActorOut(Schema):
    user_id = fields.String(allow_none=True)
    email = fields.String(allow_none=True, attribute="user_email")
    via = fields.String(allow_none=True, metadata={"description": "session | token | key"})
    api_key_id = fields.String(allow_none=True)
    session_id = fields.String(allow_none=True)


class TargetOut(Schema):
    type = fields.String(allow_none=True, attribute="target_type")
    id = fields.String(allow_none=True, attribute="target_id")


class AuditEntryOut(Schema):
    id = fields.String()
    timestamp = Timestamp(attribute="created_at")
    action = fields.String()
    outcome = fields.String(metadata={"description": " | ".join(OUTCOMES)})
    status_code = fields.Integer(allow_none=True)
    actor = fields.Function(lambda e: ActorOut().dump(e), metadata={"type": "object"})
    target = fields.Function(lambda e: TargetOut().dump(e), metadata={"type": "object"})
    client = fields.String(allow_none=True, metadata={"description": "The client's address"})
    request_id = fields.String(allow_none=True)
    method = fields.String()
    path = fields.String()
    channel = fields.String(metadata={"description": "api | page"})
    changes = fields.List(fields.Nested(ChangeOut))
    details = fields.Dict()


class ChainDeliveryOut(Schema):
    id = fields.String()
    webhook_id = fields.String()
    event_id = fields.String()
    attempt = fields.Integer()
    status = fields.String()
    status_code = fields.Integer(allow_none=True)
    duration_ms = fields.Integer(allow_none=True)


class ChainEventOut(Schema):
    id = fields.String()
    type = fields.String()
    timestamp = Timestamp(attribute="created_at")


class AuditChainOut(Schema):
    deployments = fields.List(fields.String())
    events = fields.List(fields.Nested(ChainEventOut))
    deliveries = fields.List(fields.Nested(ChainDeliveryOut))


class AuditEntryDetailOut(Schema):
    entry = fields.Nested(AuditEntryOut)
    chain = fields.Nested(
        AuditChainOut,
        metadata={"description": "The deployments it created, their events, their deliveries"},
    )
