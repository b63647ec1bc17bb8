"""What the schedules feature does: sources, workflows, schedules and tasks.

HTTP-free: functions take `(org, actor, ...)`, raise DomainErrors and commit once. Firing
(the scheduler tick) and running tasks live in `engine.py`; RQ jobs in `jobs.py` are
enqueued by dotted path, so nothing here imports them.

Roles: anyone reads; developers (and up) run workflows, run schedules now, retry and
cancel tasks; maintainers and admins manage sources, workflows' settings and schedules.
A schedule that targets a service also needs the right to deploy that service.
"""

from __future__ import annotations

from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from blueprints.core import guard
from blueprints.core.auth import has_role, require_role
from blueprints.core.errors import Conflict, DomainError, InvalidRequest, NotFound
from blueprints.core.extensions import db
from blueprints.core.models import get_in_org, scoped
from blueprints.core.types import Actor, Org

from . import clients, timing
from .engine import cancel, enqueue_task, new_task, spec_of
from .models import (
    CONCURRENCY_POLICIES,
    MISSED_RUN_POLICIES,
    OPEN_STATUSES,
    SERVICE_ACTIONS,
    SOURCE_TYPES,
    TASK_STATUSES,
    Schedule,
    Source,
    Task,
    Workflow,
)

MANAGERS = ("maintainer",)
RUNNERS = ("maintainer", "developer")
MAX_INPUT = 100_000  # characters of a task's input
MAX_RETRIES = 10
MAX_TIMEOUT = 3600  # seconds


# --- who may do what ---------------------------------------------------------------------


def can_manage(actor: Actor) -> bool:
    """Whether `actor` may manage sources, workflow settings and schedules."""
    return has_role(actor, *MANAGERS)


def can_run(actor: Actor) -> bool:
    """Whether `actor` may run workflows and schedules now, retry and cancel tasks."""
    return has_role(actor, *RUNNERS)


def require_manager(actor: Actor, action: str) -> None:
    """PermissionDenied naming `action` unless `actor` may manage (`can_manage`)."""
    require_role(actor, *MANAGERS, action=action)


_manage = require_manager


def _run(actor: Actor, action: str) -> None:
    require_role(actor, *RUNNERS, action=action)


def _bad(exc: timing.BadSchedule) -> InvalidRequest:
    return InvalidRequest(exc.message, field=exc.field, reason=exc.reason)


def _text(value: Any, field: str, *, max_len: int, required: bool = False) -> str:
    text = (value or "").strip() if isinstance(value, str) else value
    if not isinstance(text, str) or (required and not text):
        raise InvalidRequest(f"'{field}' is required", field=field, reason="required")
    if len(text) > max_len:
        raise InvalidRequest(
            f"'{field}' is longer than {max_len} characters", field=field, reason="too long"
        )
    return text


# --- sources -----------------------------------------------------------------------------


def _check_source_url(url: str) -> str:
    url = _text(url, "url", max_len=2000, required=True)
    try:
        return clients.check_url(url)
    except guard.UnsafeURL as exc:
        raise InvalidRequest(exc.message, field="url", reason=exc.reason) from exc


def _contact(source_type: str, url: str, api_key: str) -> str | None:
    """Validate against the live source; its version. Raises InvalidRequest naming why."""
    try:
        return clients.client_for(source_type, url, api_key).validate()
    except clients.SourceError as exc:
        field = "apiKey" if exc.status in (401, 403) else "url"
        raise InvalidRequest(
            f"The source at {url} cannot be used: {exc.reason}", field=field, reason=exc.reason
        ) from exc


def _url_taken(org: Org, url: str, exclude: str | None = None) -> bool:
    stmt = select(Source.id).where(Source.org_id == org.id, Source.url == url)
    if exclude:
        stmt = stmt.where(Source.id != exclude)
    return db.session.execute(stmt).first() is not None


def _duplicate(url: str) -> Conflict:
    return Conflict(f"A source with URL {url} already exists", field="url", reason="already exists")


def list_sources(org: Org, actor: Actor) -> Select:
    """The organization's sources, as a statement to paginate."""
    return scoped(Source, org)


def get_source(org: Org, actor: Actor, source_id: str) -> Source:
    """One source of the organization. Raises NotFound."""
    return get_in_org(Source, org, source_id)


def create_source(
    org: Org, actor: Actor, *, name: str, source_type: str, url: str, api_key: str
) -> Source:
    """Register a source after contacting it (LangFlow: `/health` then `/api/v1/version`
    with the key; Hive: `/health`). Raises PermissionDenied, InvalidRequest (field `url`,
    `apiKey`, `sourceType` or `name`, with the reason the source cannot be used) and Conflict
    (the URL is registered in the organization already)."""
    _manage(actor, "add sources")
    name = _text(name, "name", max_len=100, required=True)
    if source_type not in SOURCE_TYPES:
        raise InvalidRequest(
            f"sourceType must be one of {', '.join(SOURCE_TYPES)}",
            field="sourceType",
            reason="unknown source type",
        )
    api_key = _text(api_key, "apiKey", max_len=500, required=True)
    url = _check_source_url(url)
    if _url_taken(org, url):
        raise _duplicate(url)
    version = _contact(source_type, url, api_key)
    source = Source(
        org_id=org.id,
        name=name,
        source_type=source_type,
        url=url,
        api_key=api_key,
        status="active",
        version=version,
        last_checked_at=timing.now(),
        created_by=actor.id,
    )
    db.session.add(source)
    _commit_unique(url)
    return source


def _commit_unique(url: str) -> None:
    try:
        db.session.commit()
    except IntegrityError as exc:
        db.session.rollback()
        raise _duplicate(url) from exc


def update_source(
    org: Org,
    actor: Actor,
    source_id: str,
    *,
    name: str | None = None,
    url: str | None = None,
    api_key: str | None = None,
) -> Source:
    """Rename, or change the URL or key (then the source is contacted again first).
    Raises NotFound, PermissionDenied, InvalidRequest and Conflict as `create_source`."""
    _manage(actor, "change sources")
    source = get_source(org, actor, source_id)
    if name is not None:
        source.name = _text(name, "name", max_len=100, required=True)
    new_url = _check_source_url(url) if url is not None else source.url
    new_key = _text(api_key, "apiKey", max_len=500, required=True) if api_key else source.api_key
    if new_url != source.url or new_key != source.api_key:
        if new_url != source.url and _url_taken(org, new_url, exclude=source.id):
            raise _duplicate(new_url)
        source.version = _contact(source.source_type, new_url, new_key)
        source.url, source.api_key = new_url, new_key
        source.status, source.last_error, source.last_checked_at = "active", None, timing.now()
    _commit_unique(new_url)
    return source


def check_source(org: Org, actor: Actor, source_id: str) -> Source:
    """Contact the source now and record its status, version and the time. Raises NotFound."""
    source = get_source(org, actor, source_id)
    try:
        source.version = clients.client_for(
            source.source_type, source.url, source.api_key
        ).validate()
        source.status, source.last_error = "active", None
    except clients.SourceError as exc:
        source.status, source.last_error = "error", exc.reason[:500]
    source.last_checked_at = timing.now()
    db.session.commit()
    return source


def delete_source(org: Org, actor: Actor, source_id: str, *, force: bool = False) -> None:
    """Delete a source and its workflows. Raises NotFound, PermissionDenied and Conflict
    while schedules use its workflows (unless `force`, which deletes those schedules too)."""
    _manage(actor, "delete sources")
    source = get_source(org, actor, source_id)
    used = db.session.execute(
        select(func.count(Schedule.id))
        .join(Workflow, Workflow.id == Schedule.workflow_id)
        .where(Workflow.source_id == source.id)
    ).scalar_one()
    if used and not force:
        raise Conflict(
            f"{used} schedule(s) use this source's workflows; delete them or pass force=true",
            field="id",
            reason="in use by schedules",
            details={"schedules": used},
        )
    wf_ids = select(Workflow.id).where(Workflow.source_id == source.id)
    db.session.execute(update(Task).where(Task.workflow_id.in_(wf_ids)).values(workflow_id=None))
    for sched in db.session.execute(
        select(Schedule).where(Schedule.workflow_id.in_(wf_ids))
    ).scalars():
        db.session.delete(sched)
    for wf in db.session.execute(select(Workflow).where(Workflow.source_id == source.id)).scalars():
        db.session.delete(wf)
    db.session.delete(source)
    db.session.commit()


@dataclass
class SyncResult:
    source: Source
    created: int
    updated: int
    gone: int


def sync_source(org: Org, actor: Actor, source_id: str) -> SyncResult:
    """Import the source's workflows (LangFlow flows; Hive agents, teams and workflows),
    upserting by remote id and marking `gone` those no longer there. Raises NotFound,
    PermissionDenied and InvalidRequest (the source could not be read; its status becomes
    `error`)."""
    _manage(actor, "sync sources")
    source = get_source(org, actor, source_id)
    at = timing.now()
    try:
        remote = clients.client_for(source.source_type, source.url, source.api_key).list_workflows()
    except clients.SourceError as exc:
        source.status, source.last_error, source.last_checked_at = "error", exc.reason[:500], at
        db.session.commit()
        raise InvalidRequest(
            f"Could not read the source's workflows: {exc.reason}", field="id", reason=exc.reason
        ) from exc
    existing = {
        (w.kind, w.remote_id): w
        for w in db.session.execute(select(Workflow).where(Workflow.source_id == source.id))
        .unique()
        .scalars()
    }
    created = updated = 0
    seen = set()
    for item in remote:
        key = (item.kind, item.remote_id)
        if key in seen:
            continue
        seen.add(key)
        wf = existing.get(key)
        if wf is None:
            wf = Workflow(
                org_id=org.id, source_id=source.id, remote_id=item.remote_id, kind=item.kind
            )
            db.session.add(wf)
            created += 1
        else:
            updated += 1
        wf.name, wf.description = item.name, item.description
        wf.input_component, wf.output_component = item.input_component, item.output_component
        wf.gone, wf.synced_at = False, at
    gone = 0
    for key, wf in existing.items():
        if key not in seen and not wf.gone:
            wf.gone = True
            gone += 1
    source.status, source.last_error, source.last_checked_at = "active", None, at
    source.last_synced_at = at
    db.session.commit()
    return SyncResult(source, created, updated, gone)


# --- workflows ---------------------------------------------------------------------------


def list_workflows(
    org: Org, actor: Actor, *, source_id: str | None = None, search: str | None = None
) -> Select:
    """The organization's workflows (of one source, matching `search` in the name), as a
    statement to paginate."""
    stmt = scoped(Workflow, org)
    if source_id:
        stmt = stmt.where(Workflow.source_id == source_id)
    if search:
        pattern = "%" + search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        stmt = stmt.where(
            or_(Workflow.name.ilike(pattern, escape="\\"), Workflow.remote_id == search)
        )
    return stmt


def get_workflow(org: Org, actor: Actor, workflow_id: str) -> Workflow:
    """One workflow of the organization. Raises NotFound."""
    return get_in_org(Workflow, org, workflow_id)


@dataclass
class WorkflowView:
    workflow: Workflow
    last_task: Task | None
    counts: dict[str, int]


def view_workflow(org: Org, actor: Actor, workflow_id: str) -> WorkflowView:
    """A workflow with its last task and its tasks counted by status. Raises NotFound."""
    wf = get_workflow(org, actor, workflow_id)
    last = db.session.execute(
        select(Task).where(Task.workflow_id == wf.id).order_by(Task.created_at.desc()).limit(1)
    ).scalar_one_or_none()
    counts = {s: 0 for s in TASK_STATUSES}
    counts.update(
        dict(
            db.session.execute(
                select(Task.status, func.count())
                .where(Task.workflow_id == wf.id)
                .group_by(Task.status)
            ).all()
        )
    )
    return WorkflowView(wf, last, counts)


def update_workflow(
    org: Org,
    actor: Actor,
    workflow_id: str,
    *,
    max_retries: int | None = None,
    timeout_seconds: int | None = None,
) -> Workflow:
    """Set how often a failed run is retried (0–10) and its timeout (1–3600 s). Raises
    NotFound, PermissionDenied, InvalidRequest."""
    _manage(actor, "change workflows")
    wf = get_workflow(org, actor, workflow_id)
    if max_retries is not None:
        if not 0 <= max_retries <= MAX_RETRIES:
            raise InvalidRequest(
                f"maxRetries must be 0 to {MAX_RETRIES}", field="maxRetries", reason="out of range"
            )
        wf.max_retries = max_retries
    if timeout_seconds is not None:
        if not 1 <= timeout_seconds <= MAX_TIMEOUT:
            raise InvalidRequest(
                f"timeoutSeconds must be 1 to {MAX_TIMEOUT}",
                field="timeoutSeconds",
                reason="out of range",
            )
        wf.timeout_seconds = timeout_seconds
    db.session.commit()
    return wf


def _input(value: Any) -> str:
    return _text(value if value is not None else "", "input", max_len=MAX_INPUT)


def run_workflow(
    org: Org,
    actor: Actor,
    workflow_id: str,
    *,
    input: str = "",
    trigger: str = "api",  # noqa: A002
) -> Task:
    """Queue a run of the workflow: returns the `pending` task at once; a worker runs it.
    Raises NotFound, PermissionDenied, InvalidRequest (input too long) and Conflict (the
    workflow is gone from its source)."""
    _run(actor, "run workflows")
    wf = get_workflow(org, actor, workflow_id)
    if wf.gone:
        raise Conflict(
            "This workflow is no longer at its source; sync the source",
            field="id",
            reason="gone",
        )
    task = Task(
        org_id=org.id,
        workflow_id=wf.id,
        status="pending",
        trigger=trigger,
        input=_input(input),
        max_retries=wf.max_retries,
        timeout_seconds=wf.timeout_seconds,
        created_by=actor.id,
        logs=[],
    )
    db.session.add(task)
    db.session.commit()
    enqueue_task(task)
    return task


# --- schedules ---------------------------------------------------------------------------


def _policy(value: str, allowed: tuple[str, ...], field: str) -> str:
    if value not in allowed:
        raise InvalidRequest(
            f"{field} must be one of {', '.join(allowed)}", field=field, reason="unknown value"
        )
    return value


def _resolve_target(
    org: Org, actor: Actor, workflow_id: str | None, target: dict[str, Any] | None
) -> dict[str, Any]:
    """{target_type, workflow_id, service_id, action, replicas} from the request."""
    if target and target.get("type") == "service":
        if workflow_id:
            raise InvalidRequest(
                "Give workflowId or a service target, not both", field="workflowId", reason="both"
            )
        from blueprints.services import domain as services

        service_id = target.get("serviceId") or target.get("service_id")
        if not service_id:
            raise InvalidRequest(
                "target.serviceId is required", field="target.serviceId", reason="required"
            )
        try:
            service = services.get_service(org, actor, service_id)
        except NotFound as exc:
            raise NotFound(
                f"No service with id '{service_id}'", field="target.serviceId", reason="unknown"
            ) from exc
        _require_service_rights(org, actor, service.id, "schedule actions of this service")
        action = target.get("action")
        if action not in SERVICE_ACTIONS:
            raise InvalidRequest(
                f"target.action must be one of {', '.join(SERVICE_ACTIONS)}",
                field="target.action",
                reason="unknown action",
            )
        replicas = target.get("replicas")
        if action == "scale":
            if (
                not isinstance(replicas, int)
                or isinstance(replicas, bool)
                or not 0 <= replicas <= services.MAX_REPLICAS
            ):
                raise InvalidRequest(
                    f"target.replicas must be 0 to {services.MAX_REPLICAS} for scale",
                    field="target.replicas",
                    reason="out of range",
                )
        else:
            replicas = None
        return {
            "target_type": "service",
            "workflow_id": None,
            "service_id": service.id,
            "action": action,
            "replicas": replicas,
        }
    if target and target.get("type") not in (None, "workflow"):
        raise InvalidRequest(
            "target.type must be workflow or service", field="target.type", reason="unknown type"
        )
    workflow_id = workflow_id or (target or {}).get("workflowId")
    if not workflow_id:
        raise InvalidRequest(
            "workflowId (or a service target) is required", field="workflowId", reason="required"
        )
    try:
        wf = get_workflow(org, actor, workflow_id)
    except NotFound as exc:
        raise NotFound(
            f"No workflow with id '{workflow_id}'", field="workflowId", reason="unknown"
        ) from exc
    return {
        "target_type": "workflow",
        "workflow_id": wf.id,
        "service_id": None,
        "action": None,
        "replicas": None,
    }


def _require_service_rights(org: Org, actor: Actor, service_id: str | None, action: str) -> None:
    """A service action runs only for someone who may deploy that service (as the action
    itself requires). Raises PermissionDenied, and NotFound when the service is gone."""
    if service_id is None:
        return
    from blueprints.projects.domain import require_deploy_rights
    from blueprints.services import domain as services

    try:
        service = services.get_service(org, actor, service_id)
    except NotFound as exc:
        raise Conflict("The task's service no longer exists", field="id", reason="gone") from exc
    require_deploy_rights(service.project, actor, action)


def target_choices(org: Org, actor: Actor) -> list[tuple[str, str]]:
    """What a schedule made on the page may run, as (value, label): each workflow still at
    its source (`workflow:<id>`) and each action of the services `actor` may deploy
    (`service:<id>:<action>`)."""
    from blueprints.services import domain as services

    stmt = list_workflows(org, actor).where(Workflow.gone.is_(False)).order_by(Workflow.name)
    out = [
        (f"workflow:{w.id}", f"{w.name} ({w.source.name})")
        for w in db.session.execute(stmt).unique().scalars()
    ]
    found = db.session.execute(services.list_services(org, actor)).unique().scalars()
    for svc in sorted(found, key=lambda s: s.name):
        if services.can_deploy(org, actor, svc):
            out += [
                (f"service:{svc.id}:{action}", f"{action.title()} service {svc.name}")
                for action in SERVICE_ACTIONS
            ]
    return out


def service_name(org: Org, actor: Actor, service_id: str | None) -> str:
    """The name of the organization's service `service_id` (its id when it is gone)."""
    from blueprints.services import domain as services

    if not service_id:
        return ""
    try:
        return services.get_service(org, actor, service_id).name
    except NotFound:
        return service_id


def parse_target_choice(value: str, replicas: int | None) -> dict[str, Any]:
    """`create_schedule`'s `workflow_id` or `target` from a `target_choices` value."""
    kind, _, rest = (value or "").partition(":")
    if kind == "service":
        service_id, _, action = rest.partition(":")
        target: dict[str, Any] = {"type": "service", "serviceId": service_id, "action": action}
        if action == "scale":
            target["replicas"] = replicas
        return {"target": target}
    return {"workflow_id": rest or None}


def preview(
    schedule_type: str, expression: str, timezone: str = "UTC", count: int = 5
) -> list[datetime]:
    """The next `count` firings of such a schedule from now (aware UTC). Raises
    InvalidRequest naming the field and the reason."""
    at = timing.now()
    try:
        spec = timing.validate(timing.Spec(schedule_type, expression, timezone or "UTC"), at)
        anchor = at.replace(microsecond=0)
        return timing.upcoming(
            timing.Spec(spec.schedule_type, spec.expression, spec.timezone, anchor), at, count
        )
    except timing.BadSchedule as exc:
        raise _bad(exc) from exc


def list_schedules(
    org: Org, actor: Actor, *, workflow_id: str | None = None, active: bool | None = None
) -> Select:
    """The organization's schedules, as a statement to paginate."""
    stmt = scoped(Schedule, org)
    if workflow_id:
        stmt = stmt.where(Schedule.workflow_id == workflow_id)
    if active is not None:
        stmt = stmt.where(Schedule.active.is_(active))
    return stmt


def get_schedule(org: Org, actor: Actor, schedule_id: str) -> Schedule:
    """One schedule of the organization. Raises NotFound."""
    return get_in_org(Schedule, org, schedule_id)


def next_runs(schedule: Schedule, count: int = 5) -> list[datetime]:
    """The schedule's next `count` firings from its next run (empty when paused or done)."""
    if not schedule.active or schedule.next_run_at is None:
        return []
    spec = spec_of(schedule)
    rest = timing.upcoming(spec, schedule.next_run_at, count - 1)
    return [schedule.next_run_at, *rest]


def _set_timing(schedule: Schedule, at: datetime) -> None:
    """Validate the expression and compute next_run_at from `at`."""
    try:
        spec = timing.validate(spec_of(schedule), at)
    except timing.BadSchedule as exc:
        raise _bad(exc) from exc
    schedule.expression = spec.expression
    schedule.anchor_at = at.replace(microsecond=0)
    schedule.next_run_at = timing.next_after(spec_of(schedule), at) if schedule.active else None


def create_schedule(
    org: Org,
    actor: Actor,
    *,
    schedule_type: str,
    expression: str,
    workflow_id: str | None = None,
    target: dict[str, Any] | None = None,
    timezone: str = "UTC",
    input: str = "",  # noqa: A002
    active: bool = True,
    missed_run_policy: str = "skip",
    concurrency_policy: str = "allow",
) -> Schedule:
    """Create a schedule of a workflow (or a service action, `target`). Raises
    PermissionDenied, NotFound (field `workflowId` / `target.serviceId`) and InvalidRequest
    naming the field (a cron not of 5 fields or that does not parse, an interval under 5 s,
    a `once` not in the future, an unknown time zone or policy)."""
    _manage(actor, "create schedules")
    resolved = _resolve_target(org, actor, workflow_id, target)
    expression = _text(expression, "expression", max_len=200, required=True)
    schedule = Schedule(
        org_id=org.id,
        schedule_type=schedule_type,
        expression=expression,
        timezone=_text(timezone or "UTC", "timezone", max_len=64, required=True),
        input=_input(input),
        active=bool(active),
        missed_run_policy=_policy(missed_run_policy, MISSED_RUN_POLICIES, "missedRunPolicy"),
        concurrency_policy=_policy(concurrency_policy, CONCURRENCY_POLICIES, "concurrencyPolicy"),
        created_by=actor.id,
        **resolved,
    )
    _set_timing(schedule, timing.now())
    db.session.add(schedule)
    db.session.commit()
    return schedule


def update_schedule(org: Org, actor: Actor, schedule_id: str, **changes: Any) -> Schedule:
    """Edit in place; the next run is recomputed from now when the timing changes. Accepts
    the fields of `create_schedule`. Raises as `create_schedule`, and NotFound."""
    _manage(actor, "change schedules")
    schedule = get_schedule(org, actor, schedule_id)
    try:
        _apply_changes(org, actor, schedule, changes)
    except DomainError:
        db.session.rollback()  # nothing half-changed stays in the session
        raise
    db.session.commit()
    return schedule


def _apply_changes(org: Org, actor: Actor, schedule: Schedule, changes: dict[str, Any]) -> None:
    if "workflow_id" in changes or "target" in changes:
        resolved = _resolve_target(org, actor, changes.get("workflow_id"), changes.get("target"))
        for key, value in resolved.items():
            setattr(schedule, key, value)
    if "expression" in changes:
        schedule.expression = _text(changes["expression"], "expression", max_len=200, required=True)
    if "schedule_type" in changes:
        schedule.schedule_type = changes["schedule_type"]
    if "timezone" in changes:
        schedule.timezone = _text(changes["timezone"], "timezone", max_len=64, required=True)
    if "input" in changes:
        schedule.input = _input(changes["input"])
    if "missed_run_policy" in changes:
        schedule.missed_run_policy = _policy(
            changes["missed_run_policy"], MISSED_RUN_POLICIES, "missedRunPolicy"
        )
    if "concurrency_policy" in changes:
        schedule.concurrency_policy = _policy(
            changes["concurrency_policy"], CONCURRENCY_POLICIES, "concurrencyPolicy"
        )
    if "active" in changes:
        schedule.active = bool(changes["active"])
    timing_changed = {"expression", "schedule_type", "timezone", "active"} & set(changes)
    if timing_changed == {"active"} and not schedule.active:
        # Pausing needs no valid timing: a row saved under older, laxer rules still pauses.
        schedule.next_run_at = None
    elif timing_changed:
        _set_timing(schedule, timing.now())


def pause_schedule(org: Org, actor: Actor, schedule_id: str) -> Schedule:
    """Stop firing until resumed. Raises NotFound, PermissionDenied."""
    return update_schedule(org, actor, schedule_id, active=False)


def resume_schedule(org: Org, actor: Actor, schedule_id: str) -> Schedule:
    """Fire again from the next slot after now (slots while paused are not missed runs).
    Raises NotFound, PermissionDenied, InvalidRequest (a `once` now in the past)."""
    return update_schedule(org, actor, schedule_id, active=True)


def delete_schedule(org: Org, actor: Actor, schedule_id: str) -> None:
    """Delete a schedule; its tasks stay (their scheduleId is cleared). Raises NotFound,
    PermissionDenied."""
    _manage(actor, "delete schedules")
    schedule = get_schedule(org, actor, schedule_id)
    db.session.execute(update(Task).where(Task.schedule_id == schedule.id).values(schedule_id=None))
    db.session.delete(schedule)
    db.session.commit()


def run_schedule_now(org: Org, actor: Actor, schedule_id: str) -> Task:
    """Run the schedule's target once now (outside its slots; `next_run_at` unchanged).
    Raises NotFound, PermissionDenied, Conflict (its workflow is gone)."""
    _run(actor, "run schedules")
    schedule = get_schedule(org, actor, schedule_id)
    _require_service_rights(org, actor, schedule.service_id, "run this service's action")
    if schedule.workflow is not None and schedule.workflow.gone:
        raise Conflict(
            "The schedule's workflow is no longer at its source", field="id", reason="gone"
        )
    task = new_task(schedule, status="pending", trigger="run_now", created_by=actor.id)
    db.session.add(task)
    db.session.commit()
    enqueue_task(task)
    return task


# --- tasks -------------------------------------------------------------------------------


def list_tasks(
    org: Org,
    actor: Actor,
    *,
    status: str | None = None,
    workflow_id: str | None = None,
    schedule_id: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Select:
    """The organization's tasks, filtered, as a statement to paginate (newest first).
    Raises InvalidRequest for an unknown status or since after until."""
    stmt = scoped(Task, org)
    if status:
        if status not in TASK_STATUSES:
            raise InvalidRequest(
                f"status must be one of {', '.join(TASK_STATUSES)}",
                field="status",
                reason="unknown status",
            )
        stmt = stmt.where(Task.status == status)
    if workflow_id:
        stmt = stmt.where(Task.workflow_id == workflow_id)
    if schedule_id:
        stmt = stmt.where(Task.schedule_id == schedule_id)
    if since and until and since > until:
        raise InvalidRequest("since is after until", field="since", reason="after until")
    if since:
        stmt = stmt.where(Task.created_at >= since)
    if until:
        stmt = stmt.where(Task.created_at <= until)
    return stmt


def get_task(org: Org, actor: Actor, task_id: str) -> Task:
    """One task of the organization. Raises NotFound."""
    return get_in_org(Task, org, task_id)


def retry_task(org: Org, actor: Actor, task_id: str) -> Task:
    """Run a finished task's target again with the same input, as a new task linked by
    `retryOf`. Raises NotFound, PermissionDenied, Conflict (still pending or running, or
    its workflow or schedule target is gone)."""
    _run(actor, "retry tasks")
    old = get_task(org, actor, task_id)
    if old.status in OPEN_STATUSES:
        raise Conflict(f"Task {old.id} is still {old.status}", field="id", reason=old.status)
    if old.workflow_id is None and old.service_id is None:
        raise Conflict("The task's workflow no longer exists", field="id", reason="gone")
    _require_service_rights(org, actor, old.service_id, "retry this service's action")
    wf = old.workflow
    task = Task(
        org_id=org.id,
        workflow_id=old.workflow_id,
        schedule_id=old.schedule_id,
        service_id=old.service_id,
        action=old.action,
        replicas=old.replicas,
        status="pending",
        trigger="retry",
        retry_of=old.id,
        input=old.input,
        max_retries=wf.max_retries if wf else old.max_retries,
        timeout_seconds=wf.timeout_seconds if wf else old.timeout_seconds,
        created_by=actor.id,
        logs=[],
    )
    db.session.add(task)
    db.session.commit()
    enqueue_task(task)
    return task


def cancel_task(org: Org, actor: Actor, task_id: str) -> Task:
    """Cancel a pending task (it never runs) or a running one (its RQ job is stopped);
    it ends `cancelled`. Raises NotFound, PermissionDenied, Conflict (already finished)."""
    _run(actor, "cancel tasks")
    task = get_task(org, actor, task_id)
    if task.status in OPEN_STATUSES:  # stopping a service's action is that action's right
        # (when its service is gone, anyone who may cancel tasks may cancel this one)
        with suppress(Conflict):
            _require_service_rights(org, actor, task.service_id, "cancel this service's action")
    if not cancel(task, by=actor.email):
        raise Conflict(
            f"Task {task.id} already ended ({task.status})", field="id", reason=task.status
        )
    return task


# --- home card ---------------------------------------------------------------------------


def summary(org: Org, actor: Actor, *, hours: int = 24) -> dict[str, Any]:
    """The home card: `{"next": [Schedule] (the 5 next due), "failures": [Task] (last 5
    failed within `hours`), "counts": {status: n} (last `hours`), "hours"}`."""
    since = timing.now() - timedelta(hours=hours)
    upcoming = list(
        db.session.execute(
            scoped(Schedule, org)
            .where(Schedule.active.is_(True), Schedule.next_run_at.is_not(None))
            .order_by(Schedule.next_run_at)
            .limit(5)
        )
        .unique()
        .scalars()
    )
    failures = list(
        db.session.execute(
            scoped(Task, org)
            .where(Task.status == "failed", Task.created_at >= since)
            .order_by(Task.created_at.desc())
            .limit(5)
        )
        .unique()
        .scalars()
    )
    counts = dict(
        db.session.execute(
            select(Task.status, func.count())
            .where(Task.org_id == org.id, Task.created_at >= since)
            .group_by(Task.status)
        ).all()
    )
    return {"next": upcoming, "failures": failures, "counts": counts, "hours": hours}
