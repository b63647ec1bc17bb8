"""The `schedules` module: sources (workflow engines), workflows, schedules and tasks."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Dict, Optional, Union

from ..models import (
    Preview,
    Schedule,
    Source,
    Success,
    Sync,
    Task,
    TaskDetail,
    Workflow,
    WorkflowDetail,
)
from ..pagination import Page
from ._base import Resource, body, query

# Every call here raises ModuleDisabledError (403) when the organization has `schedules` off.


class Sources(Resource):
    """`/sources`: external workflow engines (Langflow, Hive) whose workflows Sparki runs."""

    def list(
        self,
        *,
        page: Optional[int] = None,
        limit: Optional[int] = None,
        cursor: Optional[str] = None,
    ) -> Page[Source]:
        """The organization's sources, newest first.

        Args:
            page: page number, from 1 (default 1).
            limit: items per page, 1–100 (default 20).
            cursor: a `next_cursor` from an earlier page (iterating the page follows them for you).

        Returns:
            `Page[Source]`.

        Raises:
            ModuleDisabledError, ValidationError.
        """
        return self._list("/sources", Source, query(page=page, limit=limit, cursor=cursor))

    def create(
        self,
        *,
        name: str,
        source_type: str,
        url: str,
        api_key: str,
        idempotency_key: Optional[str] = None,
    ) -> Source:
        """Register a source; the server checks that it answers first.

        Args:
            idempotency_key: the `Idempotency-Key` (up to 255 characters); the SDK makes a UUID when
                not given, so a retry is replayed, never done twice.
            name: a label. source_type: `langflow` or `hive`. url: its base URL.
            api_key: its API key (stored encrypted, never returned).

        Returns:
            The new `Source`.

        Raises:
            ValidationError (unreachable), ConflictError (URL registered already),
            ModuleDisabledError, PermissionError.
        """
        fields = body(name=name, source_type=source_type, url=url, api_key=api_key)
        return self._call("POST", "/sources", Source, json=fields, idempotency_key=idempotency_key)

    def get(self, source_id: str) -> Source:
        """One source.

        Args:
            source_id: the source's id.

        Returns:
            `Source`.

        Raises:
            NotFoundError, ModuleDisabledError.
        """
        return self._call("GET", f"/sources/{source_id}", Source)

    def update(
        self,
        source_id: str,
        *,
        name: Optional[str] = None,
        url: Optional[str] = None,
        api_key: Optional[str] = None,
    ) -> Source:
        """Change a source (only the fields given).

        Args:
            source_id: the source's id.
            name, url, api_key: the fields to change, as for `create()`; those left None are not
                sent.

        Returns:
            The updated `Source`.

        Raises:
            NotFoundError, ConflictError, ValidationError, ModuleDisabledError.
        """
        fields = body(name=name, url=url, api_key=api_key)
        return self._call("PATCH", f"/sources/{source_id}", Source, json=fields)

    def delete(self, source_id: str, *, force: Optional[bool] = None) -> Success:
        """Delete a source.

        Args:
            source_id: the source's id.
            force: also when schedules still use its workflows (they are removed too).

        Returns:
            `Success`.

        Raises:
            ConflictError (in use, without `force`), NotFoundError, ModuleDisabledError.
        """
        return self._call("DELETE", f"/sources/{source_id}", Success, params=query(force=force))

    def sync(self, source_id: str) -> Sync:
        """Import the source's workflows now.

        Args:
            source_id: the source's id.

        Returns:
            `Sync` with counts `created`, `updated`, `gone`.

        Raises:
            NotFoundError, ServiceUnavailableError/ValidationError (the source fails).
        """
        return self._call("POST", f"/sources/{source_id}/sync", Sync)

    def check(self, source_id: str) -> Source:
        """Check that the source answers now (updates `status` and `last_error`).

        Args:
            source_id: the source's id.

        Returns:
            The `Source`.

        Raises:
            NotFoundError, ModuleDisabledError.
        """
        return self._call("POST", f"/sources/{source_id}/check", Source)


class Workflows(Resource):
    """`/workflows`: workflows imported from sources."""

    def list(
        self,
        *,
        source_id: Optional[str] = None,
        search: Optional[str] = None,
        page: Optional[int] = None,
        limit: Optional[int] = None,
        cursor: Optional[str] = None,
    ) -> Page[Workflow]:
        """Workflows, newest first.

        Args:
            page: page number, from 1 (default 1).
            limit: items per page, 1–100 (default 20).
            cursor: a `next_cursor` from an earlier page (iterating the page follows them for you).
            source_id: only this source's. search: part of the name.

        Returns:
            `Page[Workflow]`.

        Raises:
            ModuleDisabledError, ValidationError.
        """
        params = query(source_id=source_id, search=search, page=page, limit=limit, cursor=cursor)
        return self._list("/workflows", Workflow, params)

    def get(self, workflow_id: str) -> WorkflowDetail:
        """One workflow with its last task and task counts.

        Args:
            workflow_id: the workflow's id.

        Returns:
            `WorkflowDetail`.

        Raises:
            NotFoundError, ModuleDisabledError.
        """
        return self._call("GET", f"/workflows/{workflow_id}", WorkflowDetail)

    def update(
        self,
        workflow_id: str,
        *,
        max_retries: Optional[int] = None,
        timeout_seconds: Optional[int] = None,
    ) -> Workflow:
        """Change how a workflow's tasks run.

        Args:
            workflow_id: the workflow's id.
            max_retries: retries of a failed task, 0–10. timeout_seconds: 1–3600 seconds.

        Returns:
            The updated `Workflow`.

        Raises:
            NotFoundError, ValidationError, ModuleDisabledError.
        """
        fields = body(max_retries=max_retries, timeout_seconds=timeout_seconds)
        return self._call("PATCH", f"/workflows/{workflow_id}", Workflow, json=fields)

    def run(
        self,
        workflow_id: str,
        *,
        input: Optional[str] = None,
        idempotency_key: Optional[str] = None,
    ) -> Task:
        """Run a workflow now, as a task.

        Args:
            workflow_id: the workflow's id.
            idempotency_key: the `Idempotency-Key` (up to 255 characters); the SDK makes a UUID when
                not given, so a retry is replayed, never done twice.
            input: the text given to the workflow.

        Returns:
            The queued `Task`.

        Raises:
            NotFoundError, ValidationError, ModuleDisabledError.
        """
        return self._call(
            "POST",
            f"/workflows/{workflow_id}/run",
            Task,
            json=body(input=input),
            idempotency_key=idempotency_key,
        )


class Schedules(Resource):
    """`/schedules`: cron, interval or one-time firings of a workflow or a service action."""

    def list(
        self,
        *,
        workflow_id: Optional[str] = None,
        active: Optional[bool] = None,
        page: Optional[int] = None,
        limit: Optional[int] = None,
        cursor: Optional[str] = None,
    ) -> Page[Schedule]:
        """Schedules, newest first.

        Args:
            workflow_id: the workflow's id.
            active: only active (True) or paused (False) schedules.
            page: page number, from 1 (default 1).
            limit: items per page, 1–100 (default 20).
            cursor: a `next_cursor` from an earlier page (iterating the page follows them for you).

        Returns:
            `Page[Schedule]`.

        Raises:
            ModuleDisabledError, ValidationError.
        """
        params = query(
            workflow_id=workflow_id, active=active, page=page, limit=limit, cursor=cursor
        )
        return self._list("/schedules", Schedule, params)

    def create(
        self,
        *,
        schedule_type: str,
        expression: str,
        workflow_id: Optional[str] = None,
        target: Optional[Dict[str, Any]] = None,
        timezone: Optional[str] = None,
        input: Optional[str] = None,
        active: Optional[bool] = None,
        missed_run_policy: Optional[str] = None,
        concurrency_policy: Optional[str] = None,
        idempotency_key: Optional[str] = None,
    ) -> Schedule:
        """Create a schedule.

        Args:
            idempotency_key: the `Idempotency-Key` (up to 255 characters); the SDK makes a UUID when
                not given, so a retry is replayed, never done twice.
            schedule_type: `cron`, `interval` or `once`.
            expression: 5-field cron, an interval (`30s`, `5m`, `1h`, `1d`) or an ISO datetime.
            workflow_id: the workflow to run, or `target` (camelCase keys), e.g.
                `{"type": "service", "serviceId": …, "action": "restart"}`.
            timezone: an IANA zone for cron (default UTC). input: the workflow's input.
            active: fire (default True). missed_run_policy, concurrency_policy: see the API.

        Returns:
            The new `Schedule` with `next_run_at`.

        Raises:
            ValidationError (a bad expression names the reason), NotFoundError,
            ModuleDisabledError.
        """
        fields = body(
            schedule_type=schedule_type,
            expression=expression,
            workflow_id=workflow_id,
            target=target,
            timezone=timezone,
            input=input,
            active=active,
            missed_run_policy=missed_run_policy,
            concurrency_policy=concurrency_policy,
        )
        return self._call(
            "POST", "/schedules", Schedule, json=fields, idempotency_key=idempotency_key
        )

    def get(self, schedule_id: str) -> Schedule:
        """One schedule with its next runs.

        Args:
            schedule_id: the schedule's id.

        Returns:
            `Schedule`.

        Raises:
            NotFoundError, ModuleDisabledError.
        """
        return self._call("GET", f"/schedules/{schedule_id}", Schedule)

    def update(self, schedule_id: str, **fields: Any) -> Schedule:
        """Change a schedule: the keyword arguments of `create()`, only those given.

        Args:
            schedule_id: the schedule's id.

        Returns:
            The updated `Schedule`.

        Raises:
            NotFoundError, ValidationError, ModuleDisabledError.
        """
        return self._call("PATCH", f"/schedules/{schedule_id}", Schedule, json=body(**fields))

    def delete(self, schedule_id: str) -> Success:
        """Delete a schedule.

        Args:
            schedule_id: the schedule's id.

        Returns:
            `Success`.

        Raises:
            NotFoundError, ModuleDisabledError.
        """
        return self._call("DELETE", f"/schedules/{schedule_id}", Success)

    def preview(
        self, *, schedule_type: str, expression: str, timezone: Optional[str] = None
    ) -> Preview:
        """The next firing times an expression would give, without saving anything.

        Args:
            schedule_type: `cron`, `interval` or `once`.
            expression: as for `create()`.
            timezone: an IANA zone for cron expressions (default UTC).

        Returns:
            `Preview` with `next_runs`.

        Raises:
            ValidationError: a bad expression (the reason is named).
        """
        fields = body(schedule_type=schedule_type, expression=expression, timezone=timezone)
        return self._call("POST", "/schedules/preview", Preview, json=fields)

    def pause(self, schedule_id: str) -> Schedule:
        """Stop a schedule firing (it keeps its settings).

        Args:
            schedule_id: the schedule's id.

        Returns:
            The `Schedule`.

        Raises:
            NotFoundError, ModuleDisabledError.
        """
        return self._call("POST", f"/schedules/{schedule_id}/pause", Schedule)

    def resume(self, schedule_id: str) -> Schedule:
        """Make a paused schedule fire again.

        Args:
            schedule_id: the schedule's id.

        Returns:
            The `Schedule`.

        Raises:
            NotFoundError, ModuleDisabledError.
        """
        return self._call("POST", f"/schedules/{schedule_id}/resume", Schedule)

    def run_now(self, schedule_id: str, *, idempotency_key: Optional[str] = None) -> Task:
        """Fire a schedule once, now.

        Args:
            schedule_id: the schedule's id.
            idempotency_key: the `Idempotency-Key` (up to 255 characters); the SDK makes a UUID when
                not given, so a retry is replayed, never done twice.

        Returns:
            The queued `Task`.

        Raises:
            NotFoundError, ModuleDisabledError.
        """
        return self._call(
            "POST", f"/schedules/{schedule_id}/run-now", Task, idempotency_key=idempotency_key
        )


class Tasks(Resource):
    """`/tasks`: each run of a workflow or service action."""

    def list(
        self,
        *,
        status: Optional[str] = None,
        workflow_id: Optional[str] = None,
        schedule_id: Optional[str] = None,
        since: Optional[Union[datetime, str]] = None,
        until: Optional[Union[datetime, str]] = None,
        page: Optional[int] = None,
        limit: Optional[int] = None,
        cursor: Optional[str] = None,
    ) -> Page[Task]:
        """Tasks, newest first.

        Args:
            page: page number, from 1 (default 1).
            limit: items per page, 1–100 (default 20).
            cursor: a `next_cursor` from an earlier page (iterating the page follows them for you).
            status: `pending`, `running`, `completed`, `failed` or `cancelled`.
            workflow_id, schedule_id: only theirs. since, until: aware datetimes.

        Returns:
            `Page[Task]`.

        Raises:
            ValidationError, ModuleDisabledError.
        """
        params = query(
            status=status,
            workflow_id=workflow_id,
            schedule_id=schedule_id,
            since=since,
            until=until,
            page=page,
            limit=limit,
            cursor=cursor,
        )
        return self._list("/tasks", Task, params)

    def get(self, task_id: str) -> TaskDetail:
        """One task with input, output, error, tries and `duration_ms` (milliseconds).

        Args:
            task_id: the task's id.

        Returns:
            `TaskDetail`.

        Raises:
            NotFoundError, ModuleDisabledError.
        """
        return self._call("GET", f"/tasks/{task_id}", TaskDetail)

    def retry(self, task_id: str, *, idempotency_key: Optional[str] = None) -> Task:
        """Run a failed or cancelled task again, as a new task.

        Args:
            task_id: the task's id.
            idempotency_key: the `Idempotency-Key` (up to 255 characters); the SDK makes a UUID when
                not given, so a retry is replayed, never done twice.

        Returns:
            The new `Task`.

        Raises:
            ConflictError (not finished), NotFoundError, ModuleDisabledError.
        """
        return self._call("POST", f"/tasks/{task_id}/retry", Task, idempotency_key=idempotency_key)

    def cancel(self, task_id: str) -> Task:
        """Cancel a pending or running task.

        Args:
            task_id: the task's id.

        Returns:
            The `Task`.

        Raises:
            ConflictError (already finished), NotFoundError, ModuleDisabledError.
        """
        return self._call("POST", f"/tasks/{task_id}/cancel", Task)
