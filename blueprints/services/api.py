"""JSON routes for services, deployments, logs (JSON and Server-Sent Events), health checks
and the proxy to a service's replicas."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from apiflask import APIBlueprint
from flask import Response, current_app, request, url_for

from blueprints.core.api import api_actor, auth_required, error_responses, paginate
from blueprints.core.audit import not_audited
from blueprints.core.auth import Principal, resolve_principal
from blueprints.core.errors import AuthenticationFailed, NotFound, ServiceUnavailable
from blueprints.core.extensions import db, get_redis
from blueprints.core.readcache import cached_read
from blueprints.core.schemas import PageQuery, SuccessOut, page_of
from blueprints.core.types import Actor, Org
from blueprints.projects.models import Project

from . import domain, streams
from .models import Service
from .proxy import PROXY_METHODS, SANDBOX_CSP, Forward, forward, require_write_rights
from .runtime import get_runtime
from .schemas import (
    DeploymentOut,
    ServiceCheckOut,
    ServiceCreate,
    ServiceDeployIn,
    ServiceListItem,
    ServiceLogsOut,
    ServiceLogsQuery,
    ServiceOut,
    ServiceQuery,
    ServiceRollbackIn,
    ServiceRollbackOut,
    ServiceUpdate,
)

bp = APIBlueprint("services_api", __name__, tag="Services")


def _proxy_url(service_id: str) -> str:
    return url_for("api.services_api.proxy_root", service_id=service_id, _external=True)


def _proxy_urls() -> Callable[[str], str]:
    """`_proxy_url` for the services of one list: the URL is built once, with a NUL byte
    (`%00` in it, which no host or prefix holds) where each id then goes; ids (`svc-<hex>`)
    need no escaping. url_for per row was ~7 % of a list of 20 (issue 16)."""
    head, _, tail = _proxy_url("\x00").partition("%00")
    return lambda service_id: f"{head}{service_id}{tail}"


def _view(org: Org, actor: Actor, service: Service, *, full: bool = True) -> domain.ServiceView:
    """The domain's view of `service`, with the proxy's absolute URL built here."""
    return domain.view_service(org, actor, service, proxy_url=_proxy_url(service.id), full=full)


def _values(body: dict[str, Any]) -> dict[str, Any]:
    values = dict(body)
    settings = values.pop("url_settings", None)
    if settings:
        values["url_auth"] = settings["auth"]
    return values


def _observation_sources() -> tuple[str, ...] | None:
    """The read-cache counters of what the configured runtime observes (None: uncacheable)."""
    try:
        return get_runtime().observation_sources()
    except ServiceUnavailable:
        return None  # the view answers the 503


@bp.get("/services")
@auth_required()
@cached_read(Service, Project, sources=_observation_sources)
@bp.input(ServiceQuery, location="query", arg_name="query")
@bp.output(page_of(ServiceListItem))
@bp.doc(summary="List services (filter by project and status)")
def list_services(query):
    org, actor = api_actor()
    page = paginate(
        domain.list_services(
            org, actor, project_id=query.get("project"), status=query.get("status")
        ),
        query,
    )
    views = domain.view_services(org, actor, page.items, proxy_url=_proxy_urls())
    return replace(page, items=views).envelope()


@bp.post("/services")
@auth_required()
@bp.input(ServiceCreate, arg_name="body")
@bp.output(ServiceOut, status_code=201)
@bp.doc(summary="Create a service in a project (maintainer)")
def create_service(body):
    org, actor = api_actor()
    return _view(org, actor, domain.create_service(org, actor, **_values(body)))


@bp.get("/services/<service_id>")
@auth_required()
@bp.output(ServiceOut)
@bp.doc(summary="A service with its replicas, health and endpoints")
def get_service(service_id):
    org, actor = api_actor()
    return _view(org, actor, domain.get_service(org, actor, service_id))


@bp.patch("/services/<service_id>")
@auth_required()
@bp.input(ServiceUpdate, arg_name="body")
@bp.output(ServiceOut)
@bp.doc(summary="Change a service; image, command, env and replicas apply at the next deploy")
def update_service(service_id, body):
    org, actor = api_actor()
    return _view(org, actor, domain.update_service(org, actor, service_id, **_values(body)))


@bp.delete("/services/<service_id>")
@auth_required()
@bp.output(SuccessOut)
@bp.doc(summary="Stop every replica, then delete the service")
def delete_service(service_id):
    org, actor = api_actor()
    domain.delete_service(org, actor, service_id)
    return {"success": True, "message": f"Service {service_id} stopped and deleted"}


@bp.post("/services/<service_id>/deploy")
@auth_required()
@bp.input(ServiceDeployIn, arg_name="body")
@bp.output(DeploymentOut, status_code=202)
@bp.doc(summary="Deploy a new revision; answers at once, a worker rolls it out")
def deploy(service_id, body):
    org, actor = api_actor()
    return domain.deploy(org, actor, service_id, **body)


@bp.post("/services/<service_id>/rollback")
@auth_required()
@bp.input(ServiceRollbackIn, arg_name="body")
@bp.output(ServiceRollbackOut, status_code=202)
@bp.doc(summary="Redeploy an earlier revision (by number or image tag)")
def rollback(service_id, body):
    org, actor = api_actor()
    return domain.rollback(
        org, actor, service_id, revision=body["revision"], strategy=body["strategy"]
    )


@bp.get("/services/<service_id>/deployments")
@auth_required()
@bp.input(PageQuery, location="query", arg_name="query")
@bp.output(page_of(DeploymentOut))
@bp.doc(summary="The service's deployments, newest first")
def list_deployments(service_id, query):
    org, actor = api_actor()
    return paginate(domain.list_deployments(org, actor, service_id), query).envelope()


@bp.get("/deployments/<deployment_id>")
@auth_required()
@bp.output(DeploymentOut)
@bp.doc(summary="One deployment with its live progress")
def get_deployment(deployment_id):
    org, actor = api_actor()
    return domain.get_deployment(org, actor, deployment_id)


@bp.post("/services/<service_id>/start")
@auth_required()
@bp.output(ServiceOut)
@bp.doc(summary="Start the current revision's replicas")
def start(service_id):
    org, actor = api_actor()
    return _view(org, actor, domain.start(org, actor, service_id))


@bp.post("/services/<service_id>/stop")
@auth_required()
@bp.output(ServiceOut)
@bp.doc(summary="Stop every replica (the service hibernates)")
def stop(service_id):
    org, actor = api_actor()
    return _view(org, actor, domain.stop(org, actor, service_id))


@bp.post("/services/<service_id>/restart")
@auth_required()
@bp.output(DeploymentOut, status_code=202)
@bp.doc(summary="Replace every replica one at a time (a rolling restart)")
def restart(service_id):
    org, actor = api_actor()
    return domain.restart(org, actor, service_id)


@bp.get("/services/<service_id>/check")
@auth_required()
@bp.output(ServiceCheckOut)
@bp.doc(summary="Probe the health path of a ready replica now")
def check(service_id):
    org, actor = api_actor()
    return domain.check(org, actor, service_id)


# --- logs ----------------------------------------------------------------------------------------


@bp.get("/services/<service_id>/logs")
@auth_required()
@bp.input(ServiceLogsQuery, location="query", arg_name="query")
@bp.output(ServiceLogsOut)
@bp.doc(
    summary="Recent log lines; `follow=true` streams new lines as Server-Sent Events "
    "(resume with Last-Event-ID or `?lastEventId=`; at most LOG_STREAMS_PER_USER open at once)",
    responses={
        200: {
            "description": "The lines as JSON; with `follow=true` a `text/event-stream` of "
            "`log` events (`id` a stream id, `data` one line as JSON or HTML)",
            "content": {"text/event-stream": {"schema": {"type": "string"}}},
        },
        **error_responses(
            e404="No such service in the caller's organization",
            e429="Too many requests, or LOG_STREAMS_PER_USER followed streams already open",
        ),
    },
)
def logs(service_id, query):
    org, actor = api_actor()
    backlog = domain.read_logs(
        org, actor, service_id, lines=query["lines"], since=query.get("since")
    )
    if not query["follow"]:
        return {"logs": backlog}
    resume = request.headers.get("Last-Event-ID") or request.args.get("lastEventId")
    if resume and not _is_stream_id(resume):
        resume = None
    after = resume or (backlog[-1].id if backlog else "0-0")
    batches = get_runtime().stream_logs(service_id, after=after, wait_seconds=streams.WAIT_SECONDS)
    slot = streams.StreamSlot(
        get_redis(), actor.id, int(current_app.config["LOG_STREAMS_PER_USER"])
    ).acquire()  # last: nothing after it may fail and leave the slot taken
    body = streams.LogStream(
        slot=slot,
        first=[] if resume else backlog,
        batches=batches,
        fmt=query["format"],
        keepalive=float(current_app.config["LOG_STREAM_KEEPALIVE"]),
        sock=streams.client_socket(request.environ),
    )
    db.session.close()  # hold no database connection while streaming
    return Response(
        body,
        mimetype="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


def _is_stream_id(value: str) -> bool:
    ms, _, seq = value.partition("-")
    return ms.isdigit() and (seq.isdigit() or seq == "") and len(value) < 40


# --- proxy ---------------------------------------------------------------------------------------
# The dashboard-origin way into a service, for API clients: credentials are an API key or a
# bearer token (never the dashboard's session cookie, which a page served here could ride),
# and every answer is sandboxed. Browsers use the service's own origin (`proxy_site`).

PROXY_ENDPOINTS = {"proxy", "proxy_root", "proxy_index"}


def _proxy_service(service_id: str) -> tuple[Service, Principal | None]:
    """Public services answer anyone; private ones need a key or token of their organization
    (another organization's service answers 404, as if it did not exist). The dashboard's
    session counts as no credentials here."""
    service = db.session.get(Service, service_id)
    principal = resolve_principal()  # wrong credentials raise 401 even for public services
    if principal is not None and principal.via == "session":
        principal = None
    if principal is None:
        if service is not None and service.url_auth == "public":
            return service, None
        raise AuthenticationFailed(
            "Authentication required: send 'X-API-Key' or 'Authorization: Bearer <token>' "
            "(the dashboard session is not accepted here; open the service's own URL instead)"
        )
    if service is None or (service.org_id != principal.org.id and service.url_auth != "public"):
        raise NotFound(f"No service with id '{service_id}'", details={"id": service_id})
    return service, principal


@bp.after_request
def _sandbox_proxy_answers(response: Response) -> Response:
    """Errors too: nothing the proxy answers on the dashboard's origin runs with it."""
    endpoint = (request.endpoint or "").rsplit(".", 1)[-1]
    present = response.headers.getlist("Content-Security-Policy")
    if endpoint in PROXY_ENDPOINTS and SANDBOX_CSP not in present:
        response.headers.add("Content-Security-Policy", SANDBOX_CSP)
    return response


@bp.route(
    "/services/<service_id>/proxy",
    defaults={"path": ""},
    methods=PROXY_METHODS,
    endpoint="proxy_root",
)
@bp.route(
    "/services/<service_id>/proxy/",
    defaults={"path": ""},
    methods=PROXY_METHODS,
    endpoint="proxy_index",
)
@bp.route("/services/<service_id>/proxy/<path:path>", methods=PROXY_METHODS)
@bp.doc(
    summary="Forward a request to a ready replica (public services need no credentials)",
    description="Authenticate with an API key or a bearer token; the dashboard session is "
    "not accepted. Writes to a private service need a role that may deploy in its project. "
    "Every answer carries `Content-Security-Policy: sandbox`; browsers should use the "
    "service's own URL.",
    responses={200: "The replica's answer, streamed", 503: "No ready replica"},
)
@not_audited  # what a service is sent is its own business, not a change to Sparki
def proxy(service_id, path):
    service, principal = _proxy_service(service_id)
    require_write_rights(service, principal, request.method)
    fwd = Forward.of_request(
        request,
        prefix=url_for("api.services_api.proxy_root", service_id=service.id),
        sandbox=True,
    )
    return forward(service, fwd)


BLUEPRINTS = (bp,)
