"""JSON routes for sources, workflows, schedules and tasks (module `schedules`)."""

from __future__ import annotations

from apiflask import APIBlueprint

from blueprints.core.api import api_actor, auth_required, error_responses, paginate
from blueprints.core.audit import not_audited
from blueprints.core.schemas import PageQuery, SuccessOut, page_of

from . import domain
from .schemas import (
    DeleteQuery,
    PreviewIn,
    PreviewOut,
    RunIn,
    ScheduleCreate,
    ScheduleOut,
    ScheduleQuery,
    ScheduleUpdate,
    SourceCreate,
    SourceOut,
    SourceUpdate,
    SyncOut,
    TaskDetailOut,
    TaskOut,
    TaskQuery,
    WorkflowDetailOut,
    WorkflowOut,
    WorkflowQuery,
    WorkflowUpdate,
)

MODULE = "schedules"
sources_bp = APIBlueprint("sources_api", __name__, tag="Sources")
workflows_bp = APIBlueprint("workflows_api", __name__, tag="Workflows")
schedules_bp = APIBlueprint("schedules_api", __name__, tag="Schedules")
tasks_bp = APIBlueprint("tasks_api", __name__, tag="Tasks")

_E = {"e403": "Role may not do this, or module off (`module_disabled`)"}
_E404 = {**_E, "e404": "Unknown id, or another organization's"}


def _auth():
    return auth_required(module=MODULE)


# --- sources -----------------------------------------------------------------------------


@sources_bp.get("/sources")
@_auth()
@sources_bp.input(PageQuery, location="query", arg_name="query")
@sources_bp.output(page_of(SourceOut))
@sources_bp.doc(summary="List workflow sources", responses=error_responses(**_E))
def list_sources(query):
    org, actor = api_actor()
    return paginate(domain.list_sources(org, actor), query).envelope()


@sources_bp.post("/sources")
@_auth()
@sources_bp.input(SourceCreate, arg_name="body")
@sources_bp.output(SourceOut, status_code=201)
@sources_bp.doc(
    summary="Add a source: it is contacted first (400 naming why it cannot be used)",
    responses=error_responses(e400="Invalid, or unreachable", e409="URL already added", **_E),
)
def create_source(body):
    org, actor = api_actor()
    return domain.create_source(org, actor, **body), 201


@sources_bp.get("/sources/<source_id>")
@_auth()
@sources_bp.output(SourceOut)
@sources_bp.doc(responses=error_responses(**_E404))
def get_source(source_id):
    org, actor = api_actor()
    return domain.get_source(org, actor, source_id)


@sources_bp.patch("/sources/<source_id>")
@_auth()
@sources_bp.input(SourceUpdate, arg_name="body")
@sources_bp.output(SourceOut)
@sources_bp.doc(
    summary="Rename; a new url or apiKey is validated against the source first",
    responses=error_responses(e400="Invalid, or unreachable", e409="URL taken", **_E404),
)
def update_source(source_id, body):
    org, actor = api_actor()
    return domain.update_source(org, actor, source_id, **body)


@sources_bp.delete("/sources/<source_id>")
@_auth()
@sources_bp.input(DeleteQuery, location="query", arg_name="query")
@sources_bp.output(SuccessOut)
@sources_bp.doc(
    summary="Delete (409 while schedules use it, unless ?force=true)",
    responses=error_responses(e409="Used by schedules", **_E404),
)
def delete_source(source_id, query):
    org, actor = api_actor()
    domain.delete_source(org, actor, source_id, force=bool(query.get("force")))
    return {"success": True, "message": f"Source {source_id} deleted"}


@sources_bp.post("/sources/<source_id>/sync")
@_auth()
@sources_bp.output(SyncOut)
@sources_bp.doc(
    summary="Import the source's workflows (upsert by remote id; missing ones become gone)",
    responses=error_responses(e400="The source could not be read", **_E404),
)
def sync_source(source_id):
    org, actor = api_actor()
    result = domain.sync_source(org, actor, source_id)
    return result.__dict__


@sources_bp.post("/sources/<source_id>/check")
@_auth()
@sources_bp.output(SourceOut)
@sources_bp.doc(summary="Contact the source now; updates status, version, lastCheckedAt")
def check_source(source_id):
    org, actor = api_actor()
    return domain.check_source(org, actor, source_id)


# --- workflows ---------------------------------------------------------------------------


@workflows_bp.get("/workflows")
@_auth()
@workflows_bp.input(WorkflowQuery, location="query", arg_name="query")
@workflows_bp.output(page_of(WorkflowOut))
@workflows_bp.doc(summary="List workflows (?sourceId, ?search)", responses=error_responses(**_E))
def list_workflows(query):
    org, actor = api_actor()
    stmt = domain.list_workflows(
        org, actor, source_id=query.get("source_id"), search=query.get("search")
    )
    return paginate(stmt, query).envelope()


def _detail(view: domain.WorkflowView) -> dict:
    """The detail's attributes, for WorkflowDetailOut to dump."""
    wf = view.workflow
    out = {
        name: getattr(wf, field.attribute or name) for name, field in WorkflowOut().fields.items()
    }
    return {**out, "last_task": view.last_task, "counts": view.counts}


@workflows_bp.get("/workflows/<workflow_id>")
@_auth()
@workflows_bp.output(WorkflowDetailOut)
@workflows_bp.doc(summary="A workflow with its last task and task counts by status")
def get_workflow(workflow_id):
    org, actor = api_actor()
    return _detail(domain.view_workflow(org, actor, workflow_id))


@workflows_bp.patch("/workflows/<workflow_id>")
@_auth()
@workflows_bp.input(WorkflowUpdate, arg_name="body")
@workflows_bp.output(WorkflowOut)
@workflows_bp.doc(summary="Set maxRetries and timeoutSeconds", responses=error_responses(**_E404))
def update_workflow(workflow_id, body):
    org, actor = api_actor()
    return domain.update_workflow(org, actor, workflow_id, **body)


@workflows_bp.post("/workflows/<workflow_id>/run")
@_auth()
@workflows_bp.input(RunIn, arg_name="body")
@workflows_bp.output(TaskOut, status_code=202)
@workflows_bp.doc(
    summary="Run now: 202 with the pending task; a worker runs it",
    responses=error_responses(e409="Gone from its source", **_E404),
)
def run_workflow(workflow_id, body):
    org, actor = api_actor()
    return domain.run_workflow(org, actor, workflow_id, input=body.get("input", "")), 202


# --- schedules ---------------------------------------------------------------------------


@schedules_bp.get("/schedules")
@_auth()
@schedules_bp.input(ScheduleQuery, location="query", arg_name="query")
@schedules_bp.output(page_of(ScheduleOut))
@schedules_bp.doc(summary="List schedules (?workflowId, ?active)", responses=error_responses(**_E))
def list_schedules(query):
    org, actor = api_actor()
    stmt = domain.list_schedules(
        org, actor, workflow_id=query.get("workflow_id"), active=query.get("active")
    )
    return paginate(stmt, query).envelope()


@schedules_bp.post("/schedules")
@_auth()
@schedules_bp.input(ScheduleCreate, arg_name="body")
@schedules_bp.output(ScheduleOut, status_code=201)
@schedules_bp.doc(
    summary="Create a cron, interval or once schedule of a workflow or a service action",
    responses=error_responses(e400="Bad expression, time zone or policy", **_E404),
)
def create_schedule(body):
    org, actor = api_actor()
    return domain.create_schedule(org, actor, **_target(body)), 201


def _target(body: dict) -> dict:
    if "target" in body:
        body["target"] = {
            "type": body["target"].get("type"),
            "workflowId": body["target"].get("workflow_id"),
            "serviceId": body["target"].get("service_id"),
            "action": body["target"].get("action"),
            "replicas": body["target"].get("replicas"),
        }
    return body


@schedules_bp.post("/schedules/preview")
@_auth()
@schedules_bp.input(PreviewIn, arg_name="body")
@schedules_bp.output(PreviewOut)
@schedules_bp.doc(summary="The next 5 firings of an expression, without saving anything")
@not_audited  # a calculation: nothing changes
def preview(body):
    from blueprints.core.models import iso_utc

    runs = domain.preview(body["schedule_type"], body["expression"], body["timezone"])
    return {"next_runs": [iso_utc(t) for t in runs]}


@schedules_bp.get("/schedules/<schedule_id>")
@_auth()
@schedules_bp.output(ScheduleOut)
@schedules_bp.doc(responses=error_responses(**_E404))
def get_schedule(schedule_id):
    org, actor = api_actor()
    return domain.get_schedule(org, actor, schedule_id)


@schedules_bp.patch("/schedules/<schedule_id>")
@_auth()
@schedules_bp.input(ScheduleUpdate, arg_name="body")
@schedules_bp.output(ScheduleOut)
@schedules_bp.doc(
    summary="Edit in place; the next run is recomputed",
    responses=error_responses(e400="Bad expression, time zone or policy", **_E404),
)
def update_schedule(schedule_id, body):
    org, actor = api_actor()
    return domain.update_schedule(org, actor, schedule_id, **_target(body))


@schedules_bp.delete("/schedules/<schedule_id>")
@_auth()
@schedules_bp.output(SuccessOut)
@schedules_bp.doc(responses=error_responses(**_E404))
def delete_schedule(schedule_id):
    org, actor = api_actor()
    domain.delete_schedule(org, actor, schedule_id)
    return {"success": True, "message": f"Schedule {schedule_id} deleted"}


@schedules_bp.post("/schedules/<schedule_id>/pause")
@_auth()
@schedules_bp.output(ScheduleOut)
@schedules_bp.doc(summary="Stop firing until resumed", responses=error_responses(**_E404))
def pause(schedule_id):
    org, actor = api_actor()
    return domain.pause_schedule(org, actor, schedule_id)


@schedules_bp.post("/schedules/<schedule_id>/resume")
@_auth()
@schedules_bp.output(ScheduleOut)
@schedules_bp.doc(summary="Fire again from the next slot after now")
def resume(schedule_id):
    org, actor = api_actor()
    return domain.resume_schedule(org, actor, schedule_id)


@schedules_bp.post("/schedules/<schedule_id>/run-now")
@_auth()
@schedules_bp.output(TaskOut, status_code=202)
@schedules_bp.doc(summary="Run the schedule's target once now (a pending task)")
def run_now(schedule_id):
    org, actor = api_actor()
    return domain.run_schedule_now(org, actor, schedule_id), 202


# --- tasks -------------------------------------------------------------------------------


@tasks_bp.get("/tasks")
@_auth()
@tasks_bp.input(TaskQuery, location="query", arg_name="query")
@tasks_bp.output(page_of(TaskOut))
@tasks_bp.doc(
    summary="List tasks (?status, ?workflowId, ?scheduleId, ?since, ?until), newest first",
    responses=error_responses(**_E),
)
def list_tasks(query):
    org, actor = api_actor()
    stmt = domain.list_tasks(
        org,
        actor,
        status=query.get("status"),
        workflow_id=query.get("workflow_id"),
        schedule_id=query.get("schedule_id"),
        since=query.get("since"),
        until=query.get("until"),
    )
    return paginate(stmt, query).envelope()


@tasks_bp.get("/tasks/<task_id>")
@_auth()
@tasks_bp.output(TaskDetailOut)
@tasks_bp.doc(summary="A task with its input, output, error and log lines")
def get_task(task_id):
    org, actor = api_actor()
    return domain.get_task(org, actor, task_id)


@tasks_bp.post("/tasks/<task_id>/retry")
@_auth()
@tasks_bp.output(TaskOut, status_code=202)
@tasks_bp.doc(
    summary="Run a finished task again as a new task (retryOf links them)",
    responses=error_responses(e409="Still pending or running", **_E404),
)
def retry(task_id):
    org, actor = api_actor()
    return domain.retry_task(org, actor, task_id), 202


@tasks_bp.post("/tasks/<task_id>/cancel")
@_auth()
@tasks_bp.output(TaskOut)
@tasks_bp.doc(
    summary="Cancel: a pending task never runs; a running one's job is stopped",
    responses=error_responses(e409="Already ended", **_E404),
)
def cancel(task_id):
    org, actor = api_actor()
    return domain.cancel_task(org, actor, task_id)


BLUEPRINTS = (sources_bp, workflows_bp, schedules_bp, tasks_bp)
