"""Services, their numbered revisions and deployments.

The local runtime's desired-state table lives with its driver (`runtime/local_state.py`);
it is imported here so the one metadata (and the migrations) see every table.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from blueprints.core.extensions import db
from blueprints.core.models import (
    OrgScopedMixin,
    PrefixedIdMixin,
    TimestampMixin,
    UTCDateTime,
    utcnow,
)
from blueprints.projects.models import Project
from blueprints.users.models import User

from .runtime.local_state import RuntimeDesiredState  # noqa: F401 (the local driver's table)

# A service's type is a category (the Sparki seed's vocabulary): every type but `worker` serves
# HTTP on $PORT (health probes, proxy); a `worker` runs without HTTP.
SERVICE_TYPES = ("web", "backend", "frontend", "api", "worker")
HTTP_SERVICE_TYPES = ("web", "backend", "frontend", "api")
# What a service's spec must give on each runtime: the local runtime runs `command` (its
# `image` is a label); a container runtime runs `image` (its `command` overrides the entry point).
REQUIRED_SPEC_BY_RUNTIME = {"local": ("command",), "kubernetes": ("image",)}
SERVICE_STATUSES = ("running", "stopped", "deploying", "failed")
STRATEGIES = ("rolling-update", "recreate")
URL_AUTH = ("private", "public")
DEPLOYMENT_STATUSES = ("in-progress", "success", "failed")
DEPLOYMENT_KINDS = ("deploy", "rollback", "restart")
HEALTH_STATUSES = ("unknown", "healthy", "hibernated", "unhealthy", "error")


class Service(PrefixedIdMixin, OrgScopedMixin, TimestampMixin, db.Model):
    """What should run: the spec of the next deploy and the lifecycle the user asked for.

    `status` is the intent and outcome (stopped, deploying, running, failed); what actually
    runs is observed through the runtime.
    """

    __tablename__ = "services"
    __id_prefix__ = "svc"
    __display_name__ = "service"
    __table_args__ = (UniqueConstraint("project_id", "name", name="uq_services_project_name"),)

    project_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(63))
    type: Mapped[str] = mapped_column(String(16), default="web")
    image: Mapped[str] = mapped_column(String(255))
    command: Mapped[str] = mapped_column(Text)
    env: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    replicas: Mapped[int] = mapped_column(Integer, default=1)
    health_check_path: Mapped[str] = mapped_column(String(255), default="/")
    port: Mapped[int | None] = mapped_column(Integer, nullable=True)
    url_auth: Mapped[str] = mapped_column(String(16), default="private")
    status: Mapped[str] = mapped_column(String(16), default="stopped", index=True)
    current_revision: Mapped[int | None] = mapped_column(Integer, nullable=True)
    active_deployment_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    health_status: Mapped[str] = mapped_column(String(16), default="unknown")
    health_reason: Mapped[str] = mapped_column(String(255), default="")
    health_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_by_id: Mapped[str | None] = mapped_column(
        String(64), ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )

    project: Mapped[Project] = relationship(lazy="joined")

    @property
    def url_settings(self) -> dict[str, Any]:
        return {"auth": self.url_auth}


class Revision(PrefixedIdMixin, OrgScopedMixin, db.Model):
    """An immutable, numbered snapshot of what a deploy ran (image, command, env, replicas)."""

    __tablename__ = "service_revisions"
    __id_prefix__ = "rev"
    __display_name__ = "revision"
    __table_args__ = (UniqueConstraint("service_id", "number", name="uq_revisions_service_number"),)

    service_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("services.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int] = mapped_column(Integer)
    image: Mapped[str] = mapped_column(String(255))
    command: Mapped[str] = mapped_column(Text)
    env: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    replicas: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Deployment(PrefixedIdMixin, OrgScopedMixin, TimestampMixin, db.Model):
    """One rollout of a revision, carried out by an RQ job that records its progress here."""

    __tablename__ = "deployments"
    __id_prefix__ = "deploy"
    __display_name__ = "deployment"

    service_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("services.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16), default="deploy")
    strategy: Mapped[str] = mapped_column(String(16), default="rolling-update")
    status: Mapped[str] = mapped_column(String(16), default="in-progress", index=True)
    revision: Mapped[int] = mapped_column(Integer)
    previous_revision: Mapped[int | None] = mapped_column(Integer, nullable=True)
    image: Mapped[str] = mapped_column(String(255))
    previous_image: Mapped[str | None] = mapped_column(String(255), nullable=True)
    replicas: Mapped[int] = mapped_column(Integer)
    progress: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    #: The replica sets that ran before this rollout, restored when a rolling update fails.
    previous_sets: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    message: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[str | None] = mapped_column(
        String(64), ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    created_by: Mapped[User | None] = relationship(lazy="joined")
    service: Mapped[Service] = relationship(lazy="joined")

    @property
    def duration_ms(self) -> int | None:
        """Milliseconds from start to finish (to now while in progress); None before start."""
        if self.started_at is None:
            return None
        end = self.finished_at or utcnow()
        return round((end - self.started_at).total_seconds() * 1000)

    @property
    def duration_seconds(self) -> float | None:
        """Deprecated spelling of `duration_ms` in seconds (2 decimals), kept for the API."""
        if self.started_at is None:
            return None
        end = self.finished_at or utcnow()
        return round((end - self.started_at).total_seconds(), 2)
