"""HTML routes: the Sources, Workflows, Schedules and Tasks pages, and the home card."""

from __future__ import annotations

import re
from functools import wraps

from flask import Blueprint, g, make_response, request, url_for
from flask_login import current_user, login_required
from werkzeug.datastructures import MultiDict

from blueprints.core.api import page_params, paginate, require_module
from blueprints.core.audit import audit_action, not_audited
from blueprints.core.errors import DomainError
from blueprints.core.htmx import apply_domain_error, hx_redirect_or, page_actor, render, triggered
from blueprints.core.types import Actor, Org

from . import domain
from .forms import RunForm, ScheduleForm, SourceForm
from .models import OPEN_STATUSES, TASK_STATUSES
from .schemas import ScheduleQuery, TaskQuery, WorkflowQuery

MODULE = "schedules"
bp = Blueprint(
    "schedules",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/static/schedules",
)


def module_page(view):
    """`login_required`, then 403 module_disabled (a page saying so) while the module is off.
    (A decorator rather than `bp.before_request`: apiflask reads every blueprint's
    before-request hooks for its OpenAPI document and expects API blueprints there.)"""

    @wraps(view)
    def wrapper(*args, **kwargs):
        require_module(current_user.organization, MODULE)
        return view(*args, **kwargs)

    return login_required(wrapper)


def _show_error(form, exc: DomainError) -> None:
    """Put a DomainError beside the form field it names (the API's camelCase → snake_case)."""
    field = exc.details.get("field")
    if field in _TARGET_FIELDS:
        exc.details["field"] = "target"
    elif field:
        exc.details["field"] = re.sub(r"(?<!^)(?=[A-Z])", "_", field).lower()
    apply_domain_error(form, exc)


# What the API names a schedule's target by; the page has one "Runs" select for them all.
_TARGET_FIELDS = ("workflowId", "target.type", "target.serviceId", "target.action")


@bp.app_template_global("sched_target")
def target_label(item) -> str:
    """What a schedule or task runs, in words: the workflow's name, or "Scale web to 0"
    (service names looked up once per request)."""
    if item.workflow is not None:
        return item.workflow.name
    if not item.service_id:
        return item.id
    names = g.setdefault("sched_service_names", {})
    if item.service_id not in names:
        org, actor = page_actor()
        names[item.service_id] = domain.service_name(org, actor, item.service_id)
    label = f"{(item.action or '').title()} {names[item.service_id]}"
    return label + (f" to {item.replicas}" if item.replicas is not None else "")


def home_card(org: Org, actor: Actor) -> dict:
    """The home card's context (nothing when the module is off)."""
    if not (org.modules or {}).get(MODULE):
        return {"off": True}
    return domain.summary(org, actor)


# --- sources -----------------------------------------------------------------------------


def _sources_page(form: SourceForm, status: int = 200, created=None):
    org, actor = page_actor()
    page = paginate(domain.list_sources(org, actor), page_params(request.args))
    return (
        render(
            "schedules/sources.html",
            None,
            page=page,
            form=form,
            created=created,
            can_manage=domain.can_manage(actor),
        ),
        status,
    )


@bp.get("/sources")
@module_page
def sources():
    org, actor = page_actor()
    page = paginate(domain.list_sources(org, actor), page_params(request.args))
    return render(
        "schedules/sources.html",
        "schedules/_sources_table.html",
        page=page,
        form=SourceForm(formdata=None),
        can_manage=domain.can_manage(actor),
    )


@bp.post("/sources")
@module_page
@audit_action("sources.create_source")
def create_source():
    org, actor = page_actor()
    form = SourceForm()
    if form.validate_on_submit():
        try:
            source = domain.create_source(
                org,
                actor,
                name=form.name.data,
                source_type=form.source_type.data,
                url=form.url.data,
                api_key=form.api_key.data,
            )
        except DomainError as exc:
            _show_error(form, exc)
            return render("schedules/_source_form.html", None, form=form), exc.status
        body = render(
            "schedules/_source_form.html", None, form=SourceForm(formdata=None), created=source
        )
        return triggered(body, "sources-changed")
    return render("schedules/_source_form.html", None, form=form), 400


@bp.post("/sources/<source_id>/sync")
@module_page
@audit_action("sources.sync_source")
def sync_source(source_id):
    org, actor = page_actor()
    try:
        result = domain.sync_source(org, actor, source_id)
        message = (
            f"Synced {result.source.name}: {result.created} new, {result.updated} updated, "
            f"{result.gone} gone."
        )
        kind = "success"
    except DomainError as exc:
        if exc.status != 400:
            raise
        message, kind = exc.message, "error"
    return triggered(
        render("schedules/_notice.html", None, message=message, kind=kind), "sources-changed"
    )


@bp.post("/sources/<source_id>/delete")
@module_page
@audit_action("sources.delete_source")
def delete_source(source_id):
    org, actor = page_actor()
    domain.delete_source(org, actor, source_id, force=request.form.get("force") == "1")
    return hx_redirect_or(url_for(".sources"), ("", 303, {"Location": url_for(".sources")}))


# --- workflows ---------------------------------------------------------------------------


@bp.get("/workflows")
@module_page
def workflows():
    org, actor = page_actor()
    query = page_params(request.args, WorkflowQuery)
    stmt = domain.list_workflows(
        org, actor, source_id=query.get("source_id"), search=query.get("search")
    )
    page = paginate(stmt, query)
    sources = [
        (s.id, s.name) for s in paginate(domain.list_sources(org, actor), {"limit": 100}).items
    ]
    return render(
        "schedules/workflows.html",
        "schedules/_workflows_table.html",
        page=page,
        sources=sources,
        source_id=query.get("source_id") or "",
        search=query.get("search") or "",
    )


@bp.get("/workflows/<workflow_id>")
@module_page
def workflow(workflow_id):
    org, actor = page_actor()
    view = domain.view_workflow(org, actor, workflow_id)
    return render(
        "schedules/workflow.html",
        None,
        view=view,
        form=RunForm(formdata=None),
        can_run=domain.can_run(actor),
    )


@bp.post("/workflows/<workflow_id>/run")
@module_page
@audit_action("workflows.run_workflow")
def run_workflow(workflow_id):
    org, actor = page_actor()
    form = RunForm()
    if not form.validate_on_submit():
        reason = "; ".join(e for errors in form.errors.values() for e in errors)
        message = f"Cannot run: {reason}" if reason else "Cannot run this input"
        return render("schedules/_notice.html", None, message=message, kind="error"), 400
    # A person pressing Run on the page: "run now", not "api" (what the task page shows).
    task = domain.run_workflow(
        org, actor, workflow_id, input=form.input.data or "", trigger="run_now"
    )
    return render("schedules/_task_live.html", None, task=task)


@bp.get("/tasks/<task_id>/live")
@module_page
def task_live(task_id):
    """The self-polling task box: htmx stops polling (286) once the task has ended."""
    org, actor = page_actor()
    task = domain.get_task(org, actor, task_id)
    body = render("schedules/_task_live.html", None, task=task)
    return (body, 286) if task.status not in OPEN_STATUSES else body


# --- schedules ---------------------------------------------------------------------------


def _schedule_form(org: Org, actor: Actor, formdata=None) -> ScheduleForm:
    form = ScheduleForm(formdata=formdata) if formdata is not None else ScheduleForm(formdata=None)
    form.target.choices = domain.target_choices(org, actor)
    return form


def _schedules_context(org: Org, actor: Actor) -> dict:
    query = page_params(request.args, ScheduleQuery)
    page = paginate(domain.list_schedules(org, actor, workflow_id=query.get("workflow_id")), query)
    return {"page": page, "can_manage": domain.can_manage(actor), "can_run": domain.can_run(actor)}


@bp.get("/schedules")
@module_page
def schedules():
    org, actor = page_actor()
    return render(
        "schedules/schedules.html",
        "schedules/_schedules_table.html",
        form=_schedule_form(org, actor),
        **_schedules_context(org, actor),
    )


@bp.post("/schedules")
@module_page
def create_schedule():
    org, actor = page_actor()
    form = _schedule_form(org, actor, request.form)
    if form.validate_on_submit():
        try:
            schedule = domain.create_schedule(
                org,
                actor,
                **domain.parse_target_choice(form.target.data, form.replicas.data),
                schedule_type=form.schedule_type.data,
                expression=form.expression.data,
                timezone=form.timezone.data or "UTC",
                input=form.input.data or "",
                active=form.active.data,
                missed_run_policy=form.missed_run_policy.data,
                concurrency_policy=form.concurrency_policy.data,
            )
        except DomainError as exc:
            _show_error(form, exc)
            return render("schedules/_schedule_form.html", None, form=form), exc.status
        body = render(
            "schedules/_schedule_form.html",
            None,
            form=_schedule_form(org, actor),
            created=schedule,
        )
        return triggered(body, "schedules-changed")
    return render("schedules/_schedule_form.html", None, form=form), 400


@bp.post("/schedules/preview")
@module_page
@not_audited
def preview():
    """The next-5 preview partial, re-rendered as the expression is typed (`preview_for`: the
    schedule whose edit form asks, so its ids do not clash with the create form's)."""
    preview_for = re.sub(r"[^A-Za-z0-9_-]", "", request.form.get("preview_for", ""))[:64]
    if not request.form.get("expression", "").strip():
        return render("schedules/_preview.html", None, runs=[], error=None, preview_for=preview_for)
    try:
        runs = domain.preview(
            request.form.get("schedule_type", "cron"),
            request.form.get("expression", ""),
            request.form.get("timezone") or "UTC",
        )
        error = None
    except DomainError as exc:
        runs, error = [], exc.message
    return render(
        "schedules/_preview.html",
        None,
        runs=runs,
        error=error,
        timezone=request.form.get("timezone") or "UTC",
        preview_for=preview_for,
    )


def _row_action(schedule_id: str, action) -> object:
    org, actor = page_actor()
    action(org, actor, schedule_id)
    return triggered("", "schedules-changed")


@bp.post("/schedules/<schedule_id>/pause")
@module_page
@audit_action("schedules.pause")
def pause_schedule(schedule_id):
    return _row_action(schedule_id, domain.pause_schedule)


@bp.post("/schedules/<schedule_id>/resume")
@module_page
@audit_action("schedules.resume")
def resume_schedule(schedule_id):
    return _row_action(schedule_id, domain.resume_schedule)


@bp.post("/schedules/<schedule_id>/run-now")
@module_page
@audit_action("schedules.run_now")
def run_schedule_now(schedule_id):
    org, actor = page_actor()
    task = domain.run_schedule_now(org, actor, schedule_id)
    return triggered(
        render(
            "schedules/_notice.html",
            None,
            message=f"Task {task.id} queued.",
            kind="success",
            link=url_for(".task", task_id=task.id),
        ),
        "schedules-changed",
    )


def _target_value(schedule) -> str:
    """The schedule's target as a `domain.target_choices` value."""
    if schedule.target_type == "service":
        return f"service:{schedule.service_id}:{schedule.action}"
    return f"workflow:{schedule.workflow_id}"


def _edit_form(org: Org, actor: Actor, schedule, formdata=None) -> ScheduleForm:
    """The schedule's edit form: its values (or those posted), ids prefixed with its id."""
    data = {
        "target": _target_value(schedule),
        "replicas": schedule.replicas,
        "schedule_type": schedule.schedule_type,
        "expression": schedule.expression,
        "timezone": schedule.timezone,
        "input": schedule.input,
        "missed_run_policy": schedule.missed_run_policy,
        "concurrency_policy": schedule.concurrency_policy,
        "active": schedule.active,
    }
    form = ScheduleForm(formdata=formdata, data=data)
    form.target.choices = domain.target_choices(org, actor)
    if data["target"] not in dict(form.target.choices):  # e.g. its workflow left its source
        form.target.choices.insert(0, (data["target"], f"{data['target']} (current)"))
    for f in form:
        f.id = f"edit-{schedule.id}-{f.name}"
    return form


def _edit_changes(schedule, form: ScheduleForm) -> dict:
    """`domain.update_schedule` keyword arguments for what the form changed (only those:
    an unchanged timing keeps its next run)."""
    changes: dict = {}
    if form.target.data != _target_value(schedule) or (
        schedule.action == "scale" and form.replicas.data != schedule.replicas
    ):
        changes.update(domain.parse_target_choice(form.target.data, form.replicas.data))
    fields = {
        "schedule_type": form.schedule_type.data,
        "expression": (form.expression.data or "").strip(),
        "timezone": (form.timezone.data or "").strip() or "UTC",
        "input": form.input.data or "",
        "missed_run_policy": form.missed_run_policy.data,
        "concurrency_policy": form.concurrency_policy.data,
        "active": bool(form.active.data),
    }
    changes.update({k: v for k, v in fields.items() if v != getattr(schedule, k)})
    return changes


def _row(schedule, actor: Actor):
    return render(
        "schedules/_schedule_row.html",
        None,
        s=schedule,
        can_manage=domain.can_manage(actor),
        can_run=domain.can_run(actor),
    )


@bp.get("/schedules/<schedule_id>/row")
@module_page
def schedule_row(schedule_id):
    """One schedule's table row (an edit form's Cancel puts it back)."""
    org, actor = page_actor()
    return _row(domain.get_schedule(org, actor, schedule_id), actor)


@bp.get("/schedules/<schedule_id>/edit")
@module_page
def edit_schedule(schedule_id):
    """The row's edit form, swapped in place of the row."""
    org, actor = page_actor()
    domain.require_manager(actor, "change schedules")
    schedule = domain.get_schedule(org, actor, schedule_id)
    if not request.headers.get("HX-Request"):
        return "", 303, {"Location": url_for(".schedules")}
    form = _edit_form(org, actor, schedule)
    return render("schedules/_schedule_edit.html", None, s=schedule, form=form)


@bp.post("/schedules/<schedule_id>/edit")
@module_page
def update_schedule(schedule_id):
    """Save the edit form through `domain.update_schedule` (the PATCH's function): the row
    back, its next run recomputed; else the form again with the errors beside their fields."""
    org, actor = page_actor()
    domain.require_manager(actor, "change schedules")
    schedule = domain.get_schedule(org, actor, schedule_id)
    form = _edit_form(org, actor, schedule, request.form)
    status = 400
    if form.validate_on_submit():
        try:
            schedule = domain.update_schedule(
                org, actor, schedule_id, **_edit_changes(schedule, form)
            )
            return triggered(_row(schedule, actor), "schedules-changed")
        except DomainError as exc:
            if exc.status == 403:
                raise
            _show_error(form, exc)
            status = exc.status
            schedule = domain.get_schedule(org, actor, schedule_id)
    return render("schedules/_schedule_edit.html", None, s=schedule, form=form), status


@bp.post("/schedules/<schedule_id>/delete")
@module_page
def delete_schedule(schedule_id):
    return _row_action(schedule_id, domain.delete_schedule)


# --- tasks -------------------------------------------------------------------------------


# The Tasks page's filters, as the URL (and the API) names them.
TASK_FILTERS = ("status", "workflowId", "scheduleId", "since", "until")
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _task_args(args) -> MultiDict:
    """The page's query string for `TaskQuery`: a bare date (the page's date inputs) is read
    in UTC, `since` from the start of that day and `until` to its end, both included."""
    out = MultiDict(args)
    for name, suffix in (("since", "T00:00:00+00:00"), ("until", "T23:59:59.999999+00:00")):
        value = (args.get(name) or "").strip()
        if not value:
            out.pop(name, None)
        elif _DAY.match(value):
            out[name] = value + suffix
    return out


def _filter_choices(org: Org, actor: Actor) -> tuple[list, list]:
    """(workflows, schedules) as (id, label) pairs for the Tasks page's filter selects."""
    wfs = paginate(domain.list_workflows(org, actor), {"limit": 100}).items
    workflows = sorted(((w.id, w.name) for w in wfs), key=lambda pair: pair[1].lower())
    schedules = []
    for s in paginate(domain.list_schedules(org, actor), {"limit": 100}).items:
        schedules.append((s.id, f"{target_label(s)} · {s.expression}"))
    return workflows, schedules


@bp.get("/tasks")
@module_page
def tasks():
    org, actor = page_actor()
    query = page_params(_task_args(request.args), TaskQuery)
    stmt = domain.list_tasks(
        org,
        actor,
        status=query.get("status"),
        workflow_id=query.get("workflow_id"),
        schedule_id=query.get("schedule_id"),
        since=query.get("since"),
        until=query.get("until"),
    )
    page = paginate(stmt, query)
    live = any(t.status in OPEN_STATUSES for t in page.items)
    params = {k: v for k, v in request.args.items() if k in TASK_FILTERS and v}
    workflows, schedules = _filter_choices(org, actor)
    return render(
        "schedules/tasks.html",
        "schedules/_tasks_table.html",
        page=page,
        live=live,
        params=params,
        statuses=TASK_STATUSES,
        workflows=workflows,
        schedules=schedules,
    )


@bp.get("/tasks/<task_id>")
@module_page
def task(task_id):
    org, actor = page_actor()
    item = domain.get_task(org, actor, task_id)
    return render(
        "schedules/task.html",
        "schedules/_task_detail.html",
        task=item,
        live=item.status in OPEN_STATUSES,
        can_run=domain.can_run(actor),
    )


@bp.post("/tasks/<task_id>/retry")
@module_page
@audit_action("tasks.retry")
def retry_task(task_id):
    org, actor = page_actor()
    new = domain.retry_task(org, actor, task_id)
    return hx_redirect_or(
        url_for(".task", task_id=new.id), ("", 303, {"Location": url_for(".task", task_id=new.id)})
    )


@bp.post("/tasks/<task_id>/cancel")
@module_page
@audit_action("tasks.cancel")
def cancel_task(task_id):
    org, actor = page_actor()
    item = domain.cancel_task(org, actor, task_id)
    response = make_response(
        render(
            "schedules/_task_detail.html",
            None,
            task=item,
            live=False,
            can_run=domain.can_run(actor),
        )
    )
    return response
