"""What the projects feature does: CRUD, archive, membership, and who may act in a project."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from blueprints.core.auth import has_role, require_role
from blueprints.core.errors import Conflict, InvalidRequest, NotFound, PermissionDenied
from blueprints.core.extensions import db
from blueprints.core.models import get_in_org, scoped, utcnow
from blueprints.core.types import Actor, Org
from blueprints.users.models import User

from .models import (
    CI_PROVIDERS,
    PROJECT_ROLES,
    PROJECT_STATUSES,
    VISIBILITIES,
    Project,
    ProjectMember,
)

EDITABLE = {
    "name",
    "description",
    "visibility",
    "repository_url",
    "repository_branch",
    "ci_enabled",
    "ci_provider",
    "owner_id",
    "status",
}


def member_role(project: Project, user: Actor) -> str | None:
    """The user's role in the project (owner, maintainer, contributor, viewer) or None."""
    for member in project.members:
        if member.user_id == user.id:
            return member.role
    return None


#: Project roles that let a developer deploy in the project.
DEPLOYING_ROLES = ("owner", "maintainer", "contributor")
#: Project roles that let anyone change the project and its members.
MANAGING_ROLES = ("owner", "maintainer")


def can_manage(org: Org, actor: Actor) -> bool:
    """Whether `actor` may create projects and services and change what is in them."""
    return has_role(actor, "maintainer")


def require_manage_rights(actor: Actor, action: str = "manage projects") -> None:
    """Creating and changing projects (and what is in them) takes maintainer or admin.

    Raises PermissionDenied.
    """
    require_role(actor, "maintainer", action=action)


def _may_deploy(actor: Actor, project: Project) -> bool:
    if has_role(actor, "maintainer"):
        return True
    return has_role(actor, "developer") and member_role(project, actor) in DEPLOYING_ROLES


def can_deploy(org: Org, actor: Actor, project: Project) -> bool:
    """Admins and maintainers deploy anywhere; developers only where they are members
    (with a project role other than viewer); viewers never."""
    return _may_deploy(actor, project)


def require_deploy_rights(project: Project, actor: Actor, action: str = "deploy") -> None:
    """`can_deploy`, or PermissionDenied naming `action`."""
    if _may_deploy(actor, project):
        return
    raise PermissionDenied(
        f"Your role may not {action} in project '{project.name}': developers need to be "
        "members of the project",
        details={"projectId": project.id},
    )


def can_manage_project(org: Org, actor: Actor, project: Project) -> bool:
    """Project owners and maintainers change their project and its members; so do
    organization maintainers and admins."""
    return member_role(project, actor) in MANAGING_ROLES or has_role(actor, "maintainer")


def require_project_manager(project: Project, actor: Actor, action: str) -> None:
    """`can_manage_project`, or PermissionDenied naming `action`."""
    if member_role(project, actor) not in MANAGING_ROLES:
        require_manage_rights(actor, action)


def require_active(project: Project) -> None:
    """Raises Conflict when the project is archived (read-only)."""
    if project.status == "archived":
        raise Conflict(
            f"Project '{project.name}' is archived", field="projectId", reason="archived"
        )


def list_projects(org: Org, actor: Actor, *, status: str | None = None) -> Select:
    """The organization's projects (only `status` ones when given), as a query to paginate.

    Raises InvalidRequest for an unknown status.
    """
    # The owner's and members' users come without their organization (the actor's, already
    # loaded): its JSON columns cost more per row than the rest of the page.
    stmt = scoped(Project, org).options(
        joinedload(Project.owner).lazyload(User.organization),
        selectinload(Project.members).joinedload(ProjectMember.user).lazyload(User.organization),
    )
    if status:
        if status not in PROJECT_STATUSES:
            raise InvalidRequest(
                f"Status must be one of {', '.join(PROJECT_STATUSES)}",
                field="status",
                reason="unknown status",
            )
        stmt = stmt.where(Project.status == status)
    return stmt


def get_project(org: Org, actor: Actor, project_id: str) -> Project:
    """One project of the organization; raises NotFound."""
    return get_in_org(Project, org, project_id)


def _validate(values: dict[str, Any]) -> dict[str, Any]:
    if "name" in values:
        values["name"] = (values["name"] or "").strip()
        if not values["name"]:
            raise InvalidRequest("A project needs a name", field="name", reason="empty")
    if values.get("visibility") is not None and values["visibility"] not in VISIBILITIES:
        raise InvalidRequest(
            f"Visibility must be one of {', '.join(VISIBILITIES)}",
            field="visibility",
            reason="unknown value",
        )
    if values.get("ci_provider") is not None and values["ci_provider"] not in CI_PROVIDERS:
        raise InvalidRequest(
            f"CI provider must be one of {', '.join(CI_PROVIDERS)}",
            field="ci.provider",
            reason="unknown provider",
        )
    if values.get("status") is not None and values["status"] not in PROJECT_STATUSES:
        raise InvalidRequest(
            f"Status must be one of {', '.join(PROJECT_STATUSES)}",
            field="status",
            reason="unknown status",
        )
    url = values.get("repository_url")
    if url and not (url.startswith(("https://", "http://", "ssh://", "git@"))):
        raise InvalidRequest(
            "The repository URL must be an http(s), ssh or git@ URL",
            field="repository.url",
            reason="unsupported scheme",
        )
    return values


def _commit_name(project: Project) -> None:
    try:
        db.session.commit()
    except IntegrityError as exc:
        db.session.rollback()
        raise Conflict(
            f"A project named '{project.name}' already exists",
            field="name",
            reason="already exists",
        ) from exc


def _name_taken(org: Org, name: str, exclude: str | None = None) -> bool:
    stmt = select(Project.id).where(Project.org_id == org.id, Project.name == name)
    if exclude:
        stmt = stmt.where(Project.id != exclude)
    return db.session.execute(stmt).first() is not None


def create_project(org: Org, actor: Actor, **values: Any) -> Project:
    """A new project (`name`, `description`, `visibility`, `repository_url`, ...) owned by
    `owner_id` (default: the actor), who becomes its first member.

    Raises PermissionDenied (not a maintainer), InvalidRequest, NotFound (unknown owner)
    and Conflict (the name is taken).
    """
    require_manage_rights(actor, "create projects")
    values = _validate({k: v for k, v in values.items() if k in EDITABLE - {"status"}})
    if _name_taken(org, values["name"]):
        raise Conflict(
            f"A project named '{values['name']}' already exists",
            field="name",
            reason="already exists",
        )
    owner_id = values.pop("owner_id", None) or actor.id
    owner = get_in_org(User, org, owner_id, what="user")
    project = Project(org_id=org.id, owner_id=owner.id, **values)
    project.members.append(ProjectMember(user_id=owner.id, role="owner"))
    db.session.add(project)
    _commit_name(project)
    return project


def update_project(org: Org, actor: Actor, project_id: str, **values: Any) -> Project:
    """Change a project's fields (`status` archives or restores it).

    Raises NotFound, PermissionDenied (not a project manager), InvalidRequest and Conflict
    (the name is taken).
    """
    project = get_in_org(Project, org, project_id)
    require_project_manager(project, actor, "change this project")
    values = _validate({k: v for k, v in values.items() if k in EDITABLE})
    if project.status == "archived" and set(values) - {"status"}:
        # Read-only until restored: only `status` (restore, or archive again) gets through.
        raise Conflict(
            f"Project '{project.name}' is archived: restore it (status active) before changing it",
            field="status",
            reason="archived",
        )
    if "name" in values and _name_taken(org, values["name"], exclude=project.id):
        raise Conflict(
            f"A project named '{values['name']}' already exists",
            field="name",
            reason="already exists",
        )
    if values.get("owner_id"):
        owner = get_in_org(User, org, values["owner_id"], what="user")
        if member_role(project, owner) is None:
            project.members.append(ProjectMember(user_id=owner.id, role="owner"))
    status = values.pop("status", None)
    for key, value in values.items():
        setattr(project, key, value)
    if status == "archived" and project.status != "archived":
        project.archived_at = utcnow()
    elif status == "active":
        project.archived_at = None
    if status:
        project.status = status
    _commit_name(project)
    return project


def archive_project(org: Org, actor: Actor, project_id: str) -> Project:
    """Make the project read-only (its services keep running); raises as `update_project`."""
    return update_project(org, actor, project_id, status="archived")


def add_member(
    org: Org, actor: Actor, project_id: str, *, user_id: str, role: str = "contributor"
) -> ProjectMember:
    """Add a user to the project with `role` (or change the role of a member).

    Raises NotFound (project or user), PermissionDenied, InvalidRequest (unknown role) and
    Conflict (the project is archived).
    """
    project = get_in_org(Project, org, project_id)
    require_project_manager(project, actor, "change project members")
    require_active(project)
    if role not in PROJECT_ROLES:
        raise InvalidRequest(
            f"Role must be one of {', '.join(PROJECT_ROLES)}", field="role", reason="unknown role"
        )
    user = get_in_org(User, org, user_id, what="user")
    existing = next((m for m in project.members if m.user_id == user.id), None)
    if existing is not None:
        existing.role = role
        member = existing
    else:
        member = ProjectMember(user_id=user.id, role=role)
        project.members.append(member)
    db.session.commit()
    return member


def remove_member(org: Org, actor: Actor, project_id: str, user_id: str) -> None:
    """Take a user out of the project.

    Raises NotFound (project, or not a member), PermissionDenied and Conflict (the last
    owner, or the project is archived).
    """
    project = get_in_org(Project, org, project_id)
    require_project_manager(project, actor, "change project members")
    require_active(project)
    member = next((m for m in project.members if m.user_id == user_id), None)
    if member is None:
        raise NotFound(
            f"User '{user_id}' is not a member of this project", details={"userId": user_id}
        )
    if member.role == "owner" and sum(1 for m in project.members if m.role == "owner") == 1:
        raise Conflict(
            "A project must keep at least one owner", field="userId", reason="last owner"
        )
    project.members.remove(member)
    db.session.commit()
