"""JSON in and out for projects and their members."""

from __future__ import annotations

from blueprints.core.schemas import PageQuery, Schema, Timestamp, fields, validators

from .models import CI_PROVIDERS, PROJECT_ROLES, PROJECT_STATUSES, VISIBILITIES


class RepositoryIO(Schema):
    url = fields.String(
        allow_none=True, attribute="repository_url", validate=validators.Length(max=500)
    )
    branch = fields.String(
        attribute="repository_branch", validate=validators.Length(min=1, max=200)
    )


class CiIO(Schema):
    enabled = fields.Boolean(attribute="ci_enabled")
    provider = fields.String(
        allow_none=True, attribute="ci_provider", validate=validators.OneOf(CI_PROVIDERS)
    )


class MemberUserOut(Schema):
    id = fields.String()
    email = fields.String()
    name = fields.String()


class MemberOut(Schema):
    id = fields.Function(
        lambda member: member.user_id,
        metadata={"type": "string", "description": "The member's user id (as `userId`)"},
    )
    name = fields.Function(
        lambda member: member.user.name if member.user else None,
        metadata={"type": "string", "description": "The member's name"},
    )
    user_id = fields.String()
    role = fields.String()
    added_at = Timestamp()
    user = fields.Nested(MemberUserOut)


class ProjectOut(Schema):
    id = fields.String()
    name = fields.String()
    description = fields.String()
    status = fields.String()
    visibility = fields.String()
    owner = fields.Nested(MemberUserOut, allow_none=True)
    members = fields.List(fields.Nested(MemberOut))
    repository = fields.Method("_repository")
    ci = fields.Method("_ci")
    created_at = Timestamp()
    updated_at = Timestamp()
    archived_at = Timestamp(allow_none=True)

    def _repository(self, project) -> dict:
        return {"url": project.repository_url, "branch": project.repository_branch}

    def _ci(self, project) -> dict:
        return {"enabled": project.ci_enabled, "provider": project.ci_provider}


class ProjectQuery(PageQuery):
    status = fields.String(load_default=None, validate=validators.OneOf(PROJECT_STATUSES))


class ProjectCreate(Schema):
    name = fields.String(required=True, validate=validators.Length(min=1, max=100))
    description = fields.String(load_default="", validate=validators.Length(max=5000))
    visibility = fields.String(load_default="private", validate=validators.OneOf(VISIBILITIES))
    owner_id = fields.String(load_default=None, validate=validators.Length(max=64))
    repository = fields.Nested(RepositoryIO, load_default=None)
    ci = fields.Nested(CiIO, load_default=None)


class ProjectUpdate(Schema):
    name = fields.String(validate=validators.Length(min=1, max=100))
    description = fields.String(validate=validators.Length(max=5000))
    visibility = fields.String(validate=validators.OneOf(VISIBILITIES))
    owner_id = fields.String(validate=validators.Length(max=64))
    status = fields.String(validate=validators.OneOf(PROJECT_STATUSES))
    repository = fields.Nested(RepositoryIO)
    ci = fields.Nested(CiIO)


class MemberIn(Schema):
    user_id = fields.String(required=True, validate=validators.Length(min=1, max=64))
    role = fields.String(load_default="contributor", validate=validators.OneOf(PROJECT_ROLES))


def flatten(body: dict) -> dict:
    """Nested `repository`/`ci` objects load to model attribute names; flatten them."""
    values = {k: v for k, v in body.items() if k not in ("repository", "ci")}
    for nested in ("repository", "ci"):
        if body.get(nested):
            values.update(body[nested])
    return values
