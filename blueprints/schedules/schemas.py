"""JSON in and out for sources, workflows, schedules and tasks."""

from __future__ import annotations

from typing import Any

from marshmallow import validates_schema

from blueprints.core.models import iso_utc
from blueprints.core.schemas import PageQuery, Schema, Timestamp, fields, validators

from .models import (
    CONCURRENCY_POLICIES,
    MISSED_RUN_POLICIES,
    SCHEDULE_TYPES,
    SERVICE_ACTIONS,
    SOURCE_TYPES,
    TASK_STATUSES,
)

_input_doc = {"description": "Text handed to the workflow (LangFlow `input_value`, Hive `message`)"}


class SourceOut(Schema):
    id = fields.String()
    name = fields.String()
    source_type = fields.String(metadata={"description": " | ".join(SOURCE_TYPES)})
    url = fields.String()
    status = fields.String(metadata={"description": "`active`, or `error` (see lastError)"})
    version = fields.String(allow_none=True)
    last_checked_at = Timestamp(allow_none=True)
    last_error = fields.String(allow_none=True)
    last_synced_at = Timestamp(allow_none=True)
    created_at = Timestamp()
    updated_at = Timestamp()


class SourceCreate(Schema):
    name = fields.String(required=True, validate=validators.Length(min=1, max=100))
    source_type = fields.String(required=True, validate=validators.OneOf(SOURCE_TYPES))
    url = fields.String(required=True, validate=validators.Length(min=1, max=2000))
    api_key = fields.String(
        required=True,
        validate=validators.Length(min=1, max=500),
        metadata={"description": "Stored encrypted; never returned"},
    )


class SourceUpdate(Schema):
    name = fields.String(validate=validators.Length(min=1, max=100))
    url = fields.String(validate=validators.Length(min=1, max=2000))
    api_key = fields.String(validate=validators.Length(min=1, max=500))


class DeleteQuery(PageQuery):
    force = fields.Boolean(load_default=False)


class SyncOut(Schema):
    source = fields.Nested(SourceOut)
    created = fields.Integer()
    updated = fields.Integer()
    gone = fields.Integer()


class WorkflowOut(Schema):
    id = fields.String()
    source_id = fields.String()
    remote_id = fields.String()
    kind = fields.String(metadata={"description": "flow (LangFlow); agent, team, workflow (Hive)"})
    name = fields.String()
    description = fields.String()
    input_component = fields.String(allow_none=True)
    output_component = fields.String(allow_none=True)
    status = fields.String(metadata={"description": "`active`, or `gone` from its source"})
    max_retries = fields.Integer()
    timeout_seconds = fields.Integer()
    synced_at = Timestamp(allow_none=True)
    created_at = Timestamp()


class WorkflowQuery(PageQuery):
    source_id = fields.String(load_default=None, validate=validators.Length(max=64))
    search = fields.String(load_default=None, validate=validators.Length(max=200))


class WorkflowUpdate(Schema):
    max_retries = fields.Integer(validate=validators.Range(min=0, max=10))
    timeout_seconds = fields.Integer(validate=validators.Range(min=1, max=3600))


class RunIn(Schema):
    input = fields.String(
        load_default="", validate=validators.Length(max=100_000), metadata=_input_doc
    )


class TaskOut(Schema):
    id = fields.String()
    status = fields.String(metadata={"description": " | ".join(TASK_STATUSES)})
    trigger = fields.String(
        metadata={"description": "What started it: schedule, catch_up, run_now, api, cli, retry"}
    )
    workflow_id = fields.String(allow_none=True)
    schedule_id = fields.String(allow_none=True)
    service_id = fields.String(allow_none=True)
    action = fields.String(
        allow_none=True, metadata={"description": "A service task's action: restart|deploy|scale"}
    )
    replicas = fields.Integer(allow_none=True, metadata={"description": "A scale task's replicas"})
    retry_of = fields.String(allow_none=True)
    input = fields.String()
    output = fields.Raw(allow_none=True, metadata={"description": "The source's raw answer"})
    output_text = fields.String(allow_none=True, metadata={"description": "The final text"})
    error = fields.String(allow_none=True)
    reason = fields.String(allow_none=True, metadata={"description": "Why it was skipped"})
    tries = fields.Integer()
    max_retries = fields.Integer()
    scheduled_for = Timestamp(allow_none=True, metadata={"description": "The slot it fired for"})
    started_at = Timestamp(allow_none=True)
    finished_at = Timestamp(allow_none=True)
    duration_ms = fields.Integer(allow_none=True, metadata={"description": "Milliseconds"})
    created_at = Timestamp()
    updated_at = Timestamp()


class TaskDetailOut(TaskOut):
    logs = fields.List(fields.Dict(), metadata={"description": "{timestamp, level, message}"})


class WorkflowDetailOut(WorkflowOut):
    last_task = fields.Nested(TaskOut, allow_none=True)
    counts = fields.Dict(metadata={"description": "Tasks of this workflow by status"})


class TargetIn(Schema):
    type = fields.String(required=True, validate=validators.OneOf(("workflow", "service")))
    workflow_id = fields.String(validate=validators.Length(max=64))
    service_id = fields.String(validate=validators.Length(max=64))
    action = fields.String(validate=validators.OneOf(SERVICE_ACTIONS))
    replicas = fields.Integer(validate=validators.Range(min=0, max=1000))


class _ScheduleFields(Schema):
    workflow_id = fields.String(validate=validators.Length(max=64))
    target = fields.Nested(TargetIn)
    schedule_type = fields.String(validate=validators.OneOf(SCHEDULE_TYPES))
    expression = fields.String(
        validate=validators.Length(min=1, max=200),
        metadata={"description": "cron (5 fields), interval (30s, 5m, 1h, 1d) or ISO datetime"},
    )
    timezone = fields.String(validate=validators.Length(min=1, max=64))
    input = fields.String(validate=validators.Length(max=100_000), metadata=_input_doc)
    active = fields.Boolean()
    missed_run_policy = fields.String(validate=validators.OneOf(MISSED_RUN_POLICIES))
    concurrency_policy = fields.String(validate=validators.OneOf(CONCURRENCY_POLICIES))


class ScheduleCreate(_ScheduleFields):
    schedule_type = fields.String(required=True, validate=validators.OneOf(SCHEDULE_TYPES))
    expression = fields.String(required=True, validate=validators.Length(min=1, max=200))

    @validates_schema
    def _target(self, data: dict[str, Any], **kwargs: Any) -> None:
        from marshmallow import ValidationError

        if not data.get("workflow_id") and not data.get("target"):
            raise ValidationError("workflowId or target is required", field_name="workflowId")


class ScheduleUpdate(_ScheduleFields):
    pass


class PreviewIn(Schema):
    schedule_type = fields.String(required=True, validate=validators.OneOf(SCHEDULE_TYPES))
    expression = fields.String(required=True, validate=validators.Length(min=1, max=200))
    timezone = fields.String(load_default="UTC", validate=validators.Length(min=1, max=64))


class PreviewOut(Schema):
    next_runs = fields.List(fields.String())


def _next_runs(schedule: Any) -> list[str]:
    from .domain import next_runs

    return [iso_utc(t) for t in next_runs(schedule)]


class ScheduleOut(Schema):
    id = fields.String()
    workflow_id = fields.String(allow_none=True)
    target = fields.Dict(metadata={"description": "{type: workflow|service, ...}"})
    schedule_type = fields.String()
    expression = fields.String()
    timezone = fields.String()
    input = fields.String()
    active = fields.Boolean()
    missed_run_policy = fields.String()
    concurrency_policy = fields.String()
    next_run_at = Timestamp(allow_none=True)
    last_run_at = Timestamp(allow_none=True)
    next_runs = fields.Function(
        _next_runs,
        metadata={"description": "The next 5 firings (UTC)"},
    )
    created_at = Timestamp()
    updated_at = Timestamp()


class ScheduleQuery(PageQuery):
    workflow_id = fields.String(load_default=None, validate=validators.Length(max=64))
    active = fields.Boolean(load_default=None)


class TaskQuery(PageQuery):
    status = fields.String(load_default=None, validate=validators.OneOf(TASK_STATUSES))
    workflow_id = fields.String(load_default=None, validate=validators.Length(max=64))
    schedule_id = fields.String(load_default=None, validate=validators.Length(max=64))
    since = fields.AwareDateTime(load_default=None, default_timezone=None)
    until = fields.AwareDateTime(load_default=None, default_timezone=None)
