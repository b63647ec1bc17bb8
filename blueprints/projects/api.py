"""JSON routes for projects and their members."""

from __future__ import annotations

from apiflask import APIBlueprint

from blueprints.core.api import api_actor, auth_required, paginate
from blueprints.core.readcache import cached_read
from blueprints.core.schemas import SuccessOut, page_of
from blueprints.users.models import User

from . import domain
from .models import Project, ProjectMember
from .schemas import (
    MemberIn,
    MemberOut,
    ProjectCreate,
    ProjectOut,
    ProjectQuery,
    ProjectUpdate,
    flatten,
)

bp = APIBlueprint("projects_api", __name__, tag="Projects")


@bp.get("/projects")
@auth_required()
@cached_read(Project, ProjectMember, User)
@bp.input(ProjectQuery, location="query", arg_name="query")
@bp.output(page_of(ProjectOut))
@bp.doc(summary="List projects (newest first)")
def list_projects(query):
    org, actor = api_actor()
    return paginate(domain.list_projects(org, actor, status=query.get("status")), query).envelope()


@bp.get("/projects/<project_id>")
@auth_required()
@bp.output(ProjectOut)
def get_project(project_id):
    org, actor = api_actor()
    return domain.get_project(org, actor, project_id)


@bp.post("/projects")
@auth_required()
@bp.input(ProjectCreate, arg_name="body")
@bp.output(ProjectOut, status_code=201)
@bp.doc(summary="Create a project (maintainer); the creator or ownerId becomes its owner")
def create_project(body):
    org, actor = api_actor()
    return domain.create_project(org, actor, **flatten(body))


@bp.patch("/projects/<project_id>")
@auth_required()
@bp.input(ProjectUpdate, arg_name="body")
@bp.output(ProjectOut)
@bp.doc(summary="Change a project (maintainer, or the project's owner or maintainers)")
def update_project(project_id, body):
    org, actor = api_actor()
    return domain.update_project(org, actor, project_id, **flatten(body))


@bp.delete("/projects/<project_id>")
@auth_required()
@bp.output(SuccessOut)
@bp.doc(summary="Archive a project (status becomes archived; nothing is destroyed)")
def archive_project(project_id):
    org, actor = api_actor()
    domain.archive_project(org, actor, project_id)
    return {"success": True, "message": f"Project {project_id} archived"}


@bp.post("/projects/<project_id>/members")
@auth_required()
@bp.input(MemberIn, arg_name="body")
@bp.output(MemberOut, status_code=201)
@bp.doc(
    summary="Add a member (201), or change a member's role (200)",
    responses={200: "The user was a member already: the role is changed"},
)
def add_member(project_id, body):
    org, actor = api_actor()
    project = domain.get_project(org, actor, project_id)
    existed = any(m.user_id == body["user_id"] for m in project.members)
    member = domain.add_member(org, actor, project_id, user_id=body["user_id"], role=body["role"])
    return member, 200 if existed else 201


@bp.delete("/projects/<project_id>/members/<user_id>")
@auth_required()
@bp.output(SuccessOut)
def remove_member(project_id, user_id):
    org, actor = api_actor()
    domain.remove_member(org, actor, project_id, user_id)
    return {"success": True, "message": f"User {user_id} removed from project {project_id}"}
