"""HTML routes for projects: list, create, detail, edit, archive, members."""

from __future__ import annotations

from flask import Blueprint, flash, make_response, redirect, request, url_for
from flask_login import login_required
from sqlalchemy import select

from blueprints.core.api import page_params, paginate
from blueprints.core.audit import audit_action
from blueprints.core.errors import DomainError
from blueprints.core.extensions import db
from blueprints.core.htmx import apply_domain_error, hx_redirect_or, page_actor, render
from blueprints.users.models import User

from . import domain
from .forms import MemberForm, ProjectForm
from .models import PROJECT_STATUSES
from .schemas import ProjectQuery

bp = Blueprint("projects", __name__, template_folder="templates")


def _form_values(form: ProjectForm) -> dict:
    return {
        "name": form.name.data,
        "description": form.description.data or "",
        "visibility": form.visibility.data,
        "repository_url": form.repository_url.data or None,
        "repository_branch": form.repository_branch.data,
        "ci_enabled": form.ci_enabled.data,
        "ci_provider": form.ci_provider.data or None,
    }


@bp.get("/projects")
@login_required
def index():
    org, actor = page_actor()
    query = page_params(request.args, ProjectQuery)
    page = paginate(domain.list_projects(org, actor, status=query.get("status")), query)
    return render(
        "projects/index.html",
        "projects/_table.html",
        page=page,
        status=query.get("status") or "",
        statuses=PROJECT_STATUSES,
        form=ProjectForm(),
        can_create=domain.can_manage(org, actor),
    )


@bp.post("/projects")
@login_required
@audit_action("projects.create_project")
def create():
    org, actor = page_actor()
    form = ProjectForm()
    status = 400
    if form.validate_on_submit():
        try:
            project = domain.create_project(org, actor, **_form_values(form))
        except DomainError as exc:
            apply_domain_error(form, exc)
            status = exc.status
        else:
            target = url_for("projects.detail", project_id=project.id)
            return hx_redirect_or(target, redirect(target))
    return render("projects/_create_form.html", "projects/_create_form.html", form=form), status


def _member_form(org, project) -> MemberForm:
    form = MemberForm()
    members = {m.user_id for m in project.members}
    users = db.session.execute(
        select(User).where(User.org_id == org.id).order_by(User.email)
    ).scalars()
    form.user_id.choices = {u.id: f"{u.name} <{u.email}>" for u in users if u.id not in members}
    return form


def _detail_context(org, actor, project, edit_form=None, member_form=None):
    edit_form = edit_form or ProjectForm(
        data={
            "name": project.name,
            "description": project.description,
            "visibility": project.visibility,
            "repository_url": project.repository_url,
            "repository_branch": project.repository_branch,
            "ci_enabled": project.ci_enabled,
            "ci_provider": project.ci_provider or "",
        }
    )
    return {
        "project": project,
        "edit_form": edit_form,
        "member_form": member_form or _member_form(org, project),
        "can_manage": domain.can_manage_project(org, actor, project),
    }


@bp.get("/projects/<project_id>")
@login_required
def detail(project_id):
    org, actor = page_actor()
    project = domain.get_project(org, actor, project_id)
    return render("projects/detail.html", None, **_detail_context(org, actor, project))


@bp.post("/projects/<project_id>")
@login_required
@audit_action("projects.update_project")
def update(project_id):
    org, actor = page_actor()
    project = domain.get_project(org, actor, project_id)
    form = ProjectForm()
    status = 400
    if form.validate_on_submit():
        try:
            domain.update_project(org, actor, project_id, **_form_values(form))
        except DomainError as exc:
            db.session.rollback()
            apply_domain_error(form, exc)
            status = exc.status
        else:
            # The facts at the top of the page changed too: reload it whole.
            flash("Project saved.", "success")
            target = url_for("projects.detail", project_id=project_id)
            return hx_redirect_or(target, redirect(target))
    ctx = _detail_context(org, actor, project, edit_form=form)
    return render("projects/_edit_form.html", "projects/_edit_form.html", **ctx), status


@bp.post("/projects/<project_id>/archive")
@login_required
@audit_action("projects.archive_project")
def archive(project_id):
    org, actor = page_actor()
    domain.archive_project(org, actor, project_id)
    target = url_for("projects.detail", project_id=project_id)
    return hx_redirect_or(target, redirect(target))


@bp.post("/projects/<project_id>/restore")
@login_required
@audit_action("projects.update_project")
def restore(project_id):
    org, actor = page_actor()
    domain.update_project(org, actor, project_id, status="active")
    target = url_for("projects.detail", project_id=project_id)
    return hx_redirect_or(target, redirect(target))


@bp.post("/projects/<project_id>/members")
@login_required
def add_member(project_id):
    org, actor = page_actor()
    project = domain.get_project(org, actor, project_id)
    form = _member_form(org, project)
    status = 400
    if form.validate_on_submit():
        try:
            domain.add_member(
                org, actor, project_id, user_id=form.user_id.data, role=form.role.data
            )
            project = domain.get_project(org, actor, project_id)
            form, status = None, 200
        except DomainError as exc:
            apply_domain_error(form, exc)
            status = exc.status
    ctx = _detail_context(org, actor, project, member_form=form)
    return render("projects/_members.html", "projects/_members.html", **ctx), status


@bp.delete("/projects/<project_id>/members/<user_id>")
@login_required
def remove_member(project_id, user_id):
    org, actor = page_actor()
    error = None
    try:
        domain.remove_member(org, actor, project_id, user_id)
    except DomainError as exc:
        if exc.status == 404:
            raise
        error = exc.message
    project = domain.get_project(org, actor, project_id)
    ctx = _detail_context(org, actor, project)
    response = make_response(
        render("projects/_members.html", "projects/_members.html", member_error=error, **ctx)
    )
    return response, (409 if error else 200)
