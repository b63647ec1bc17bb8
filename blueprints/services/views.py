"""HTML routes for services: list and create, the service page with live deploy progress,
replicas, health, logs (SSE) and deployments with rollback."""

from __future__ import annotations

from dataclasses import replace

from flask import Blueprint, make_response, request, url_for
from flask_login import login_required

from blueprints.core.api import page_params, paginate
from blueprints.core.audit import audit_action
from blueprints.core.errors import DomainError
from blueprints.core.extensions import db
from blueprints.core.htmx import apply_domain_error, hx_redirect_or, page_actor, render, triggered
from blueprints.core.types import Actor, Org
from blueprints.projects.domain import list_projects

from . import domain
from .forms import DeployForm, ServiceForm, SettingsForm
from .models import SERVICE_STATUSES, Deployment
from .schemas import ServiceQuery

bp = Blueprint("services", __name__, template_folder="templates")


def _project_choices(org, actor) -> dict[str, str]:
    rows = db.session.execute(list_projects(org, actor, status="active")).scalars()
    return {p.id: p.name for p in rows}


def _list_context(org, actor, args):
    query = page_params(args, ServiceQuery)
    page = paginate(
        domain.list_services(
            org, actor, project_id=query.get("project"), status=query.get("status")
        ),
        query,
    )
    views = domain.view_services(org, actor, page.items)
    return {
        "page": replace(page, items=views),
        "project": query.get("project") or "",
        "status": query.get("status") or "",
    }


@bp.get("/services")
@login_required
def index():
    org, actor = page_actor()
    ctx = _list_context(org, actor, request.args)
    form = ServiceForm()
    form.project_id.choices = _project_choices(org, actor)
    if ctx["project"]:
        form.project_id.data = ctx["project"]
    return render(
        "services/index.html",
        "services/_table.html",
        form=form,
        projects=form.project_id.choices,
        can_create=domain.can_manage(org, actor),
        statuses=SERVICE_STATUSES,
        **ctx,
    )


@bp.post("/services")
@login_required
@audit_action("services.create_service")
def create():
    org, actor = page_actor()
    form = ServiceForm()
    form.project_id.choices = _project_choices(org, actor)
    status = 400
    if form.validate_on_submit():
        try:
            service = domain.create_service(
                org,
                actor,
                project_id=form.project_id.data,
                name=form.name.data,
                type=form.type.data,
                image=form.image.data,
                command=form.command.data,
                env=form.env.data,
                replicas=form.replicas.data,
                health_check_path=form.health_check_path.data,
                port=form.port.data,
                url_auth=form.url_auth.data,
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
            status = exc.status
        else:
            target = url_for("services.detail", service_id=service.id)
            return hx_redirect_or(target, make_response("", 303, {"Location": target}))
    return render("services/_create_form.html", "services/_create_form.html", form=form), status


def _proxy_url(service_id: str) -> str:
    return url_for("api.services_api.proxy_root", service_id=service_id, _external=True)


def _detail_context(org: Org, actor: Actor, service_id: str) -> dict:
    """What the detail page and its self-refreshing parts render: the domain's view of the
    service, its deployments and what the actor may do (booleans for the templates)."""
    service = domain.get_service(org, actor, service_id)
    view = domain.view_service(org, actor, service, proxy_url=_proxy_url(service.id))
    active = (
        db.session.get(Deployment, service.active_deployment_id)
        if service.active_deployment_id
        else None
    )
    deployments = list(
        db.session.execute(
            domain.list_deployments(org, actor, service.id)
            .order_by(Deployment.created_at.desc())
            .limit(20)
        ).scalars()
    )
    return {
        "service": view,
        "summary": view.replicas,
        "health": view.health,
        "active": active,
        "deployments": deployments,
        "can_deploy": domain.can_deploy(org, actor, service),
        "can_manage": domain.can_manage(org, actor),
        "env": view.env,
        "current_image": view.current_image,
    }


@bp.get("/services/<service_id>")
@login_required
def detail(service_id):
    org, actor = page_actor()
    ctx = _detail_context(org, actor, service_id)
    service = ctx["service"]
    form = DeployForm(
        data={
            "image": service.image,
            "command": service.command,
            "replicas": service.replica_count,
        }
    )
    settings = SettingsForm(
        data={
            "url_auth": service.url_auth,
            "health_check_path": service.health_check_path,
            "env": service.env,
        }
    )
    return render(
        "services/detail.html", "services/_header.html", form=form, settings=settings, **ctx
    )


def _self_refreshing(service_id: str, template: str):
    """One of the detail page's parts that re-fetch themselves (header, replicas, deployments)."""
    org, actor = page_actor()
    return render(template, template, **_detail_context(org, actor, service_id))


@bp.get("/services/<service_id>/header")
@login_required
def header(service_id):
    return _self_refreshing(service_id, "services/_header.html")


@bp.get("/services/<service_id>/replicas")
@login_required
def replicas(service_id):
    return _self_refreshing(service_id, "services/_replicas.html")


@bp.get("/services/<service_id>/deployments")
@login_required
def deployments(service_id):
    return _self_refreshing(service_id, "services/_deployments.html")


@bp.get("/deployments/<deployment_id>/progress")
@login_required
def progress(deployment_id):
    org, actor = page_actor()
    deployment = domain.get_deployment(org, actor, deployment_id)
    body = render("services/_progress.html", "services/_progress.html", deployment=deployment)
    if deployment.status != "in-progress":
        return triggered(body, "service-changed", 286)  # 286: htmx stops polling
    return body


@bp.post("/services/<service_id>/deploy")
@login_required
def deploy(service_id):
    org, actor = page_actor()
    form = DeployForm()
    if not form.validate_on_submit():
        return render(
            "services/_deploy_form.html",
            "services/_deploy_form.html",
            form=form,
            service=domain.get_service(org, actor, service_id),
        ), 400
    try:
        deployment = domain.deploy(
            org,
            actor,
            service_id,
            image=form.image.data or None,
            command=form.command.data or None,
            replicas=form.replicas.data or None,
            strategy=form.strategy.data,
        )
    except DomainError as exc:
        if exc.status == 404:
            raise
        apply_domain_error(form, exc)
        return render(
            "services/_deploy_form.html",
            "services/_deploy_form.html",
            form=form,
            service=domain.get_service(org, actor, service_id),
        ), exc.status
    body = render(
        "services/_deploy_form.html",
        "services/_deploy_form.html",
        form=form,
        service=deployment.service,
        started=deployment,
    )
    return triggered(body, "service-changed")


def _action_result(service_id, message, status=200, deployment=None):
    body = render(
        "services/_action_result.html",
        "services/_action_result.html",
        message=message,
        ok=status < 400,
        deployment=deployment,
    )
    if status < 400:
        return triggered(body, "service-changed", status)
    return make_response(body, status)


@bp.post("/services/<service_id>/rollback")
@login_required
def rollback(service_id):
    org, actor = page_actor()
    revision = request.form.get("revision", "")
    try:
        deployment = domain.rollback(org, actor, service_id, revision=revision)
    except DomainError as exc:
        if exc.status == 404 and exc.field != "revision":
            raise
        return _action_result(service_id, exc.message, exc.status)
    return _action_result(
        service_id,
        f"Rolling back to {deployment.image} as revision {deployment.revision}",
        deployment=deployment,
    )


@bp.post("/services/<service_id>/<any(start, stop, restart):action>")
@login_required
@audit_action("services.{action}")
def lifecycle(service_id, action):
    org, actor = page_actor()
    actions = {"start": domain.start, "stop": domain.stop, "restart": domain.restart}
    try:
        result = actions[action](org, actor, service_id)
    except DomainError as exc:
        if exc.status == 404:
            raise
        return _action_result(service_id, exc.message, exc.status)
    if isinstance(result, Deployment):
        return _action_result(
            service_id, "Restarting every replica, one at a time", deployment=result
        )
    return _action_result(
        service_id, {"start": "Starting the replicas", "stop": "Stopping the replicas"}[action]
    )


@bp.post("/services/<service_id>/check")
@login_required
def check(service_id):
    org, actor = page_actor()
    result = domain.check(org, actor, service_id)
    return render("services/_check.html", "services/_check.html", result=result)


@bp.post("/services/<service_id>/settings")
@login_required
@audit_action("services.update_service")
def settings(service_id):
    org, actor = page_actor()
    service = domain.get_service(org, actor, service_id)
    form = SettingsForm()
    saved, status = False, 400
    if form.validate_on_submit():
        try:
            service = domain.update_service(
                org,
                actor,
                service_id,
                url_auth=form.url_auth.data,
                health_check_path=form.health_check_path.data,
                env=form.env.keep_unchanged(service.env),
            )
            saved, status = True, 200
        except DomainError as exc:
            apply_domain_error(form, exc)
            status = exc.status
    view = domain.view_service(org, actor, service, full=True)
    return render(
        "services/_settings.html",
        "services/_settings.html",
        settings=form,
        service=view,
        env=view.env,
        saved=saved,
        can_manage=domain.can_manage(org, actor),
    ), status


@bp.delete("/services/<service_id>")
@login_required
@audit_action("services.delete_service")
def delete(service_id):
    org, actor = page_actor()
    try:
        domain.delete_service(org, actor, service_id)
    except DomainError as exc:
        if exc.status == 404:
            raise
        return _action_result(service_id, exc.message, exc.status)
    return hx_redirect_or(
        url_for("services.index"), make_response("", 303, {"Location": url_for("services.index")})
    )
