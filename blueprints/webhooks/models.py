"""Webhook endpoints (subscriptions) and their delivery attempts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from blueprints.core.events import Event
from blueprints.core.extensions import db
from blueprints.core.models import (
    EncryptedText,
    OrgScopedMixin,
    PrefixedIdMixin,
    TimestampMixin,
    UTCDateTime,
)

# A delivery row is one attempt. Its status moves pending → sending → succeeded | failed;
# pending rows that will never be sent (the endpoint was disabled or deleted, or another
# attempt of the same event succeeded) end `cancelled`.
DELIVERY_STATUSES = ("pending", "sending", "succeeded", "failed", "cancelled")


class Webhook(PrefixedIdMixin, OrgScopedMixin, TimestampMixin, db.Model):
    """An endpoint that receives the organization's events of the types it subscribes to."""

    __tablename__ = "webhooks"
    __id_prefix__ = "webhook"
    __display_name__ = "webhook"
    __table_args__ = (UniqueConstraint("org_id", "url", name="uq_webhooks_org_url"),)

    url: Mapped[str] = mapped_column(String(2000))
    description: Mapped[str] = mapped_column(String(200), default="")
    events: Mapped[list[str]] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Signing secrets (`whsec_` + base64), encrypted at rest. During a rotation the previous
    # secret keeps signing next to the new one until `previous_secret_expires_at`.
    secret: Mapped[str] = mapped_column(EncryptedText())
    previous_secret: Mapped[str | None] = mapped_column(EncryptedText(), nullable=True)
    previous_secret_expires_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime(), nullable=True
    )
    # Since when every attempt has failed (cleared by a success): drives the auto-disable.
    failing_since: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    disabled_reason: Mapped[str | None] = mapped_column(String(300), nullable=True)
    created_by: Mapped[str | None] = mapped_column(
        String(64), ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )

    @property
    def status(self) -> str:
        if self.active:
            return "active"
        return "disabled" if self.disabled_reason else "inactive"

    def mark_disabled(self, reason: str, at: datetime) -> None:
        """Stop deliveries to this endpoint from `at`, saying why (cut to 300 characters)."""
        self.active = False
        self.disabled_at = at
        self.disabled_reason = reason[:300]


class Delivery(PrefixedIdMixin, OrgScopedMixin, db.Model):
    """One attempt to deliver one event to one endpoint."""

    __tablename__ = "webhook_deliveries"
    __id_prefix__ = "whd"
    __display_name__ = "delivery"
    __table_args__ = (
        UniqueConstraint("webhook_id", "event_id", "attempt", name="uq_webhook_delivery_attempt"),
    )

    webhook_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("webhooks.id", ondelete="CASCADE"), index=True
    )
    event_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("events.id", ondelete="CASCADE"), index=True
    )
    event_type: Mapped[str] = mapped_column(String(64))
    attempt: Mapped[int] = mapped_column(Integer, default=1)
    manual: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    scheduled_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    duration_ms: Mapped[int | None] = mapped_column(Integer, nullable=True)
    response_excerpt: Mapped[str | None] = mapped_column(Text, nullable=True)
    error: Mapped[str | None] = mapped_column(String(500), nullable=True)
    next_retry_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)

    webhook: Mapped[Webhook] = relationship(lazy="joined")
    event: Mapped[Event] = relationship(lazy="joined")
