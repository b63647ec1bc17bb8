"""The audit trail: one row per audited write, never updated."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, event
from sqlalchemy.orm import Mapped, mapped_column

from blueprints.core.extensions import db
from blueprints.core.models import PrefixedIdMixin, UTCDateTime, utcnow

OUTCOMES = ("success", "denied", "failure")


class AuditEntry(PrefixedIdMixin, db.Model):
    """Who (user, API key or session), what (action, target, changes), when, from where
    (client address), the request id and the outcome of one write.

    Actor ids are plain strings, not foreign keys: an entry outlives the user or key it
    names. `org_id` is empty for a failed login under an unknown email.
    """

    __tablename__ = "audit_entries"
    __id_prefix__ = "audit"
    __display_name__ = "audit entry"
    __audit__ = False  # the trail does not audit itself

    org_id: Mapped[str | None] = mapped_column(
        String(64), ForeignKey("organizations.id", ondelete="CASCADE"), nullable=True, index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    action: Mapped[str] = mapped_column(String(120), index=True)
    outcome: Mapped[str] = mapped_column(String(16))
    status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    user_id: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    user_email: Mapped[str | None] = mapped_column(String(254), nullable=True)
    via: Mapped[str | None] = mapped_column(String(16), nullable=True)
    api_key_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    session_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    client: Mapped[str | None] = mapped_column(String(100), nullable=True)
    request_id: Mapped[str | None] = mapped_column(String(128), nullable=True, index=True)
    method: Mapped[str] = mapped_column(String(10))
    path: Mapped[str] = mapped_column(String(500))
    channel: Mapped[str] = mapped_column(String(8))
    target_type: Mapped[str | None] = mapped_column(String(64), nullable=True)
    target_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # The target and every changed row's id, space-separated: what the `target` filter reads.
    subjects: Mapped[str] = mapped_column(Text, default="")
    changes: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


@event.listens_for(AuditEntry, "before_update")
def _never_updated(_mapper: Any, _connection: Any, target: AuditEntry) -> None:
    raise RuntimeError(f"audit entries are never updated ({target.id})")
