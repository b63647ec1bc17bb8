"""The local driver's own table: the desired state of every service, which the agent on
this machine reads each tick and converges on. Only the local driver touches it; another
driver keeps its desired state where its runtime does (a Kubernetes Deployment object)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from blueprints.core.extensions import db
from blueprints.core.models import UTCDateTime, utcnow


class RuntimeDesiredState(db.Model):
    """The local runtime's record of what should run; the agent reconciles against it."""

    __tablename__ = "runtime_desired_states"

    service_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("services.id", ondelete="CASCADE"), primary_key=True
    )
    org_id: Mapped[str] = mapped_column(String(64), index=True)
    spec: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    generation: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
