"""Workflow sources, their workflows, schedules and tasks (one run of a workflow or action)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from blueprints.core.extensions import db
from blueprints.core.models import (
    EncryptedText,
    OrgScopedMixin,
    PrefixedIdMixin,
    TimestampMixin,
    UTCDateTime,
)

SOURCE_TYPES = ("langflow", "hive")
SOURCE_STATUSES = ("active", "error")
WORKFLOW_KINDS = ("flow", "agent", "team", "workflow")
SCHEDULE_TYPES = ("cron", "interval", "once")
MISSED_RUN_POLICIES = ("skip", "run_once")
CONCURRENCY_POLICIES = ("allow", "forbid")
SERVICE_ACTIONS = ("restart", "deploy", "scale")
TARGET_TYPES = ("workflow", "service")
# pending → running → completed | failed; pending|running → cancelled; a firing that never
# ran (missed while down, or forbidden by concurrencyPolicy) is recorded `skipped`.
TASK_STATUSES = ("pending", "running", "completed", "failed", "cancelled", "skipped")
OPEN_STATUSES = ("pending", "running")
TRIGGERS = ("schedule", "catch_up", "run_now", "api", "retry")


class Source(PrefixedIdMixin, OrgScopedMixin, TimestampMixin, db.Model):
    """An external workflow engine (LangFlow or a Hive/Agno AgentOS) and its API key."""

    __tablename__ = "workflow_sources"
    __id_prefix__ = "src"
    __display_name__ = "source"
    __table_args__ = (UniqueConstraint("org_id", "url", name="uq_workflow_sources_org_url"),)

    name: Mapped[str] = mapped_column(String(100))
    source_type: Mapped[str] = mapped_column(String(16))
    url: Mapped[str] = mapped_column(String(2000))
    api_key: Mapped[str] = mapped_column(EncryptedText())  # never returned, logged or shown
    status: Mapped[str] = mapped_column(String(16), default="active")
    version: Mapped[str | None] = mapped_column(String(100), nullable=True)
    last_checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    last_error: Mapped[str | None] = mapped_column(String(500), nullable=True)
    last_synced_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_by: Mapped[str | None] = mapped_column(
        String(64), ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )


class Workflow(PrefixedIdMixin, OrgScopedMixin, TimestampMixin, db.Model):
    """A flow (LangFlow) or an agent, team or workflow (Hive) imported from a source."""

    __tablename__ = "workflows"
    __id_prefix__ = "wf"
    __display_name__ = "workflow"
    __table_args__ = (
        UniqueConstraint("source_id", "kind", "remote_id", name="uq_workflows_source_remote"),
    )

    source_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("workflow_sources.id", ondelete="CASCADE"), index=True
    )
    remote_id: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    input_component: Mapped[str | None] = mapped_column(String(200), nullable=True)
    output_component: Mapped[str | None] = mapped_column(String(200), nullable=True)
    # `gone`: the last sync did not find it at the source any more (kept for its history).
    gone: Mapped[bool] = mapped_column(Boolean, default=False)
    max_retries: Mapped[int] = mapped_column(Integer, default=3)
    timeout_seconds: Mapped[int] = mapped_column(Integer, default=300)
    synced_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    source: Mapped[Source] = relationship(lazy="joined")

    @property
    def status(self) -> str:
        return "gone" if self.gone else "active"


class Schedule(PrefixedIdMixin, OrgScopedMixin, TimestampMixin, db.Model):
    """When to run a workflow (or a service action): cron, interval or once, in a time zone.

    `next_run_at` is the next slot (UTC) or None when the schedule will not fire again; the
    scheduler's one query is on (active, next_run_at).
    """

    __tablename__ = "schedules"
    __id_prefix__ = "sched"
    __display_name__ = "schedule"
    __table_args__ = (Index("ix_schedules_due", "active", "next_run_at"),)

    target_type: Mapped[str] = mapped_column(String(16), default="workflow")
    workflow_id: Mapped[str | None] = mapped_column(
        String(64), ForeignKey("workflows.id", ondelete="CASCADE"), nullable=True, index=True
    )
    service_id: Mapped[str | None] = mapped_column(
        String(64), ForeignKey("services.id", ondelete="CASCADE"), nullable=True, index=True
    )
    action: Mapped[str | None] = mapped_column(String(16), nullable=True)
    replicas: Mapped[int | None] = mapped_column(Integer, nullable=True)
    schedule_type: Mapped[str] = mapped_column(String(16))
    expression: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    input: Mapped[str] = mapped_column(Text, default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    missed_run_policy: Mapped[str] = mapped_column(String(16), default="skip")
    concurrency_policy: Mapped[str] = mapped_column(String(16), default="allow")
    # Interval schedules count from here (creation or resume, whole seconds).
    anchor_at: Mapped[datetime] = mapped_column(UTCDateTime())
    next_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    last_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_by: Mapped[str | None] = mapped_column(
        String(64), ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )

    workflow: Mapped[Workflow | None] = relationship(lazy="joined")

    @property
    def target(self) -> dict[str, Any]:
        if self.target_type == "service":
            out: dict[str, Any] = {
                "type": "service",
                "serviceId": self.service_id,
                "action": self.action,
            }
            if self.replicas is not None:
                out["replicas"] = self.replicas
            return out
        return {"type": "workflow", "workflowId": self.workflow_id}


class Task(PrefixedIdMixin, OrgScopedMixin, TimestampMixin, db.Model):
    """One run of a workflow or service action, whoever started it.

    A schedule's slot makes at most one task: (schedule_id, scheduled_for) is unique, which
    is what makes a second scheduler (or a restarted one) unable to fire a slot twice.
    """

    __tablename__ = "tasks"
    __id_prefix__ = "task"
    __display_name__ = "task"
    __table_args__ = (
        UniqueConstraint("schedule_id", "scheduled_for", name="uq_tasks_schedule_slot"),
        Index("ix_tasks_org_status", "org_id", "status"),
    )

    workflow_id: Mapped[str | None] = mapped_column(
        String(64), ForeignKey("workflows.id", ondelete="SET NULL"), nullable=True, index=True
    )
    schedule_id: Mapped[str | None] = mapped_column(
        String(64), ForeignKey("schedules.id", ondelete="SET NULL"), nullable=True, index=True
    )
    service_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    action: Mapped[str | None] = mapped_column(String(16), nullable=True)
    replicas: Mapped[int | None] = mapped_column(Integer, nullable=True)
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    trigger: Mapped[str] = mapped_column(String(16), default="api")
    retry_of: Mapped[str | None] = mapped_column(String(64), nullable=True)
    input: Mapped[str] = mapped_column(Text, default="")
    output: Mapped[Any] = mapped_column(JSON, nullable=True)
    output_text: Mapped[str | None] = mapped_column(Text, nullable=True)
    error: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    reason: Mapped[str | None] = mapped_column(String(300), nullable=True)
    tries: Mapped[int] = mapped_column(Integer, default=0)
    max_retries: Mapped[int] = mapped_column(Integer, default=0)
    timeout_seconds: Mapped[int] = mapped_column(Integer, default=300)
    scheduled_for: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    enqueued_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    job_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    logs: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    created_by: Mapped[str | None] = mapped_column(
        String(64), ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )

    workflow: Mapped[Workflow | None] = relationship(lazy="joined")

    @property
    def duration_ms(self) -> int | None:
        if self.started_at and self.finished_at:
            return int((self.finished_at - self.started_at).total_seconds() * 1000)
        return None
