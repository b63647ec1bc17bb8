"""`sparki sources|workflows|schedules|tasks`: the feature from a terminal.

Each command calls the same domain function as the API, acting in an organization
(`--org`, a slug or id; the only one when there is just one) as a user (`--as`, an email;
default: the organization's first admin). Output is a table, or JSON with `--json`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps
from typing import Any

import click
from flask.cli import AppGroup
from sqlalchemy import select

from blueprints.core.errors import DomainError
from blueprints.core.extensions import db

_ORG = click.option("--org", "org_ref", default=None, help="Organization slug or id.")
_AS = click.option("--as", "as_email", default=None, help="Act as this user (email).")
_JSON = click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")


def _actor(org_ref: str | None, as_email: str | None):
    from blueprints.users.models import Organization, User

    if org_ref:
        org = db.session.execute(
            select(Organization).where(
                (Organization.slug == org_ref) | (Organization.id == org_ref)
            )
        ).scalar_one_or_none()
        if org is None:
            raise click.ClickException(f"No organization '{org_ref}'")
    else:
        orgs = list(db.session.execute(select(Organization)).scalars())
        if len(orgs) != 1:
            raise click.ClickException("Several organizations: pick one with --org")
        org = orgs[0]
    users = list(
        db.session.execute(
            select(User)
            .where(User.org_id == org.id, User.active.is_(True))
            .order_by(User.created_at)
        ).scalars()
    )
    if as_email:
        user = next((u for u in users if u.email == as_email.lower()), None)
    else:
        user = next((u for u in users if u.is_admin), None)
    if user is None:
        raise click.ClickException("No such active user in that organization (see --as)")
    if not (org.modules or {}).get("schedules"):
        raise click.ClickException("The 'schedules' module is disabled for this organization")
    return org, user


def command(group: click.Group, name: str, schema: type, columns: tuple[str, ...] = ()):
    """A subcommand of `group` that gets (org, actor, **options), returns rows or a row."""

    def decorator(fn: Callable[..., Any]) -> click.Command:
        @_ORG
        @_AS
        @_JSON
        @wraps(fn)
        def run(org_ref, as_email, as_json, **kwargs):
            org, actor = _actor(org_ref, as_email)
            try:
                result = fn(org, actor, **kwargs)
            except DomainError as exc:
                raise click.ClickException(exc.message) from exc
            _print(result, schema, columns, as_json)

        return group.command(name, help=fn.__doc__)(run)

    return decorator


def _print(result: Any, schema: type, columns: tuple[str, ...], as_json: bool) -> None:
    if result is None:
        return
    if isinstance(result, str):
        click.echo(result)
        return
    many = isinstance(result, list)
    data = schema(many=many).dump(result)
    if as_json:
        click.echo(json.dumps(data, indent=2))
        return
    rows = data if many else [data]
    cols = columns or tuple(rows[0].keys() if rows else ())
    if not many:
        for key, value in data.items():
            click.echo(f"{key:>18}  {value}")
        return
    widths = (
        [
            max(len(c), *(len(str(r.get(c) if r.get(c) is not None else "")) for r in rows))
            for c in cols
        ]
        if rows
        else [len(c) for c in cols]
    )
    widths = [min(w, 48) for w in widths]
    click.echo("  ".join(c.ljust(w) for c, w in zip(cols, widths, strict=True)))
    for r in rows:
        click.echo(
            "  ".join(
                str(r.get(c) if r.get(c) is not None else "")[:w].ljust(w)
                for c, w in zip(cols, widths, strict=True)
            )
        )


def _all(stmt, limit: int) -> list:
    from blueprints.core.api import paginate

    return paginate(stmt, {"page": 1, "limit": limit}).items


_LIMIT = click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 100))


@click.group("sources", cls=AppGroup)
def sources() -> None:
    """Workflow sources (LangFlow, Hive)."""


@click.group("workflows", cls=AppGroup)
def workflows() -> None:
    """Workflows imported from sources."""


@click.group("schedules", cls=AppGroup)
def schedules() -> None:
    """Cron, interval and one-time schedules."""


@click.group("tasks", cls=AppGroup)
def tasks() -> None:
    """Runs of workflows and service actions."""


def _schemas():
    from . import schemas

    return schemas


S = _schemas()
_SRC = ("id", "name", "sourceType", "url", "status", "version")
_WF = ("id", "name", "kind", "sourceId", "status")
_SCH = ("id", "scheduleType", "expression", "timezone", "active", "nextRunAt", "lastRunAt")
_TSK = ("id", "status", "trigger", "workflowId", "scheduleId", "tries", "createdAt")


@_LIMIT
@command(sources, "list", S.SourceOut, _SRC)
def sources_list(org, actor, limit):
    """List sources."""
    from . import domain

    return _all(domain.list_sources(org, actor), limit)


@click.argument("url")
@click.option("--name", required=True, help="A name for the source.")
@click.option("--type", "source_type", type=click.Choice(["langflow", "hive"]), required=True)
@click.option("--api-key", required=True, envvar="SPARKI_SOURCE_API_KEY", help="Its API key.")
@command(sources, "add", S.SourceOut)
def sources_add(org, actor, url, name, source_type, api_key):
    """Add a source at URL (it is contacted first)."""
    from . import domain

    return domain.create_source(
        org, actor, name=name, source_type=source_type, url=url, api_key=api_key
    )


@click.argument("source_id")
@command(sources, "show", S.SourceOut)
def sources_show(org, actor, source_id):
    """Show a source."""
    from . import domain

    return domain.get_source(org, actor, source_id)


@click.argument("source_id")
@command(sources, "sync", S.SourceOut)
def sources_sync(org, actor, source_id):
    """Import a source's workflows."""
    from . import domain

    r = domain.sync_source(org, actor, source_id)
    return f"{r.created} new, {r.updated} updated, {r.gone} gone"


@click.argument("source_id")
@click.option("--force", is_flag=True, help="Also delete schedules that use it.")
@command(sources, "delete", S.SourceOut)
def sources_delete(org, actor, source_id, force):
    """Delete a source and its workflows."""
    from . import domain

    domain.delete_source(org, actor, source_id, force=force)
    return f"deleted {source_id}"


@_LIMIT
@click.option("--source", "source_id", default=None, help="Only this source's workflows.")
@click.option("--search", default=None, help="Name contains.")
@command(workflows, "list", S.WorkflowOut, _WF)
def workflows_list(org, actor, limit, source_id, search):
    """List workflows."""
    from . import domain

    return _all(domain.list_workflows(org, actor, source_id=source_id, search=search), limit)


@click.argument("workflow_id")
@command(workflows, "show", S.WorkflowOut)
def workflows_show(org, actor, workflow_id):
    """Show a workflow."""
    from . import domain

    return domain.get_workflow(org, actor, workflow_id)


@click.argument("workflow_id")
@click.option("--input", "text", default="", help="Input text for the workflow.")
@command(workflows, "run", S.TaskOut)
def workflows_run(org, actor, workflow_id, text):
    """Queue a run of a workflow; prints the pending task."""
    from . import domain

    return domain.run_workflow(org, actor, workflow_id, input=text, trigger="cli")


@_LIMIT
@command(schedules, "list", S.ScheduleOut, _SCH)
def schedules_list(org, actor, limit):
    """List schedules."""
    from . import domain

    return _all(domain.list_schedules(org, actor), limit)


@click.option("--workflow", "workflow_id", help="Workflow id (or a service target).")
@click.option("--service", "service_id", help="Service id, for a service action instead.")
@click.option(
    "--action",
    type=click.Choice(["restart", "deploy", "scale"]),
    help="The service action (with --service).",
)
@click.option("--replicas", type=int, help="Replicas for --action scale.")
@click.option(
    "--type", "schedule_type", type=click.Choice(["cron", "interval", "once"]), required=True
)
@click.option("--expression", required=True, help="'0 9 * * 1-5', '5m' or an ISO datetime.")
@click.option("--timezone", default="UTC", show_default=True, help="IANA time zone.")
@click.option("--input", "text", default="", help="Input text for each run.")
@click.option(
    "--missed", type=click.Choice(["skip", "run_once"]), default="skip", show_default=True
)
@click.option(
    "--concurrency", type=click.Choice(["allow", "forbid"]), default="allow", show_default=True
)
@command(schedules, "create", S.ScheduleOut)
def schedules_create(
    org,
    actor,
    workflow_id,
    service_id,
    action,
    replicas,
    schedule_type,
    expression,
    timezone,
    text,
    missed,
    concurrency,
):
    """Create a schedule of a workflow (--workflow) or of a service action (--service with
    --action, and --replicas to scale)."""
    from . import domain

    target = None
    if service_id:
        target = {"type": "service", "serviceId": service_id, "action": action}
        if replicas is not None:
            target["replicas"] = replicas
    return domain.create_schedule(
        org,
        actor,
        workflow_id=workflow_id,
        target=target,
        schedule_type=schedule_type,
        expression=expression,
        timezone=timezone,
        input=text,
        missed_run_policy=missed,
        concurrency_policy=concurrency,
    )


def _schedule_cmd(name: str, fn_name: str, doc: str, schema: type) -> None:
    @click.argument("schedule_id")
    @command(schedules, name, schema)
    def cmd(org, actor, schedule_id):
        from . import domain

        out = getattr(domain, fn_name)(org, actor, schedule_id)
        return out if out is not None else f"deleted {schedule_id}"

    cmd.help = doc


_schedule_cmd("show", "get_schedule", "Show a schedule with its next runs.", S.ScheduleOut)
_schedule_cmd("pause", "pause_schedule", "Pause a schedule.", S.ScheduleOut)
_schedule_cmd("resume", "resume_schedule", "Resume a schedule.", S.ScheduleOut)
_schedule_cmd("run-now", "run_schedule_now", "Run a schedule's target now.", S.TaskOut)
_schedule_cmd("delete", "delete_schedule", "Delete a schedule.", S.ScheduleOut)


@_LIMIT
@click.option(
    "--status", default=None, help="pending, running, completed, failed, cancelled, skipped"
)
@click.option("--workflow", "workflow_id", default=None)
@click.option("--schedule", "schedule_id", default=None)
@command(tasks, "list", S.TaskOut, _TSK)
def tasks_list(org, actor, limit, status, workflow_id, schedule_id):
    """List tasks, newest first."""
    from . import domain

    stmt = domain.list_tasks(
        org, actor, status=status, workflow_id=workflow_id, schedule_id=schedule_id
    )
    return _all(stmt, limit)


def _task_cmd(name: str, fn_name: str, doc: str) -> None:
    @click.argument("task_id")
    @command(tasks, name, S.TaskDetailOut if name == "show" else S.TaskOut)
    def cmd(org, actor, task_id):
        from . import domain

        return getattr(domain, fn_name)(org, actor, task_id)

    cmd.help = doc


_task_cmd("show", "get_task", "Show a task with its output and log.")
_task_cmd("retry", "retry_task", "Run a finished task again (a new task).")
_task_cmd("cancel", "cancel_task", "Cancel a pending or running task.")

GROUPS = (sources, workflows, schedules, tasks)
