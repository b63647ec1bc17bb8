"""JSON in and out for users, API keys, the organization and auth."""

from __future__ import annotations

from blueprints.core.auth import ROLES
from blueprints.core.schemas import PageQuery, Schema, SuccessOut, Timestamp, fields, validators

from .models import DEFAULT_LIMITS, DEFAULT_MODULES


class LoginIn(Schema):
    email = fields.String(required=True, validate=validators.Length(min=3, max=254))
    password = fields.String(required=True, validate=validators.Length(min=1, max=1024))


class TokenOut(Schema):
    token = fields.String()
    token_type = fields.String()
    expires_in = fields.Integer()


class UserOut(Schema):
    id = fields.String()
    organization_id = fields.String(attribute="org_id")
    email = fields.String()
    name = fields.String()
    roles = fields.List(fields.String())
    active = fields.Boolean()
    created_at = Timestamp()
    updated_at = Timestamp()
    last_login_at = Timestamp(allow_none=True)


class UserQuery(PageQuery):
    role = fields.String(load_default=None, validate=validators.OneOf(ROLES))


_roles = fields.List(
    fields.String(validate=validators.OneOf(ROLES)),
    validate=validators.Length(min=1, max=len(ROLES)),
)


class UserCreate(Schema):
    email = fields.Email(required=True, validate=validators.Length(max=254))
    name = fields.String(required=True, validate=validators.Length(min=1, max=120))
    password = fields.String(
        required=True, load_only=True, validate=validators.Length(min=8, max=1024)
    )
    roles = _roles


class UserUpdate(Schema):
    email = fields.Email(validate=validators.Length(max=254))
    name = fields.String(validate=validators.Length(min=1, max=120))
    password = fields.String(load_only=True, validate=validators.Length(min=8, max=1024))
    roles = _roles
    active = fields.Boolean()


class ApiKeyOut(Schema):
    id = fields.String()
    name = fields.String()
    prefix = fields.String()
    user_id = fields.String()
    status = fields.String()
    created_at = Timestamp()
    last_used_at = Timestamp(allow_none=True)
    revoked_at = Timestamp(allow_none=True)


class ApiKeyCreated(ApiKeyOut):
    key = fields.String(metadata={"description": "The key itself. Shown once, never again."})


class ApiKeyCreate(Schema):
    name = fields.String(required=True, validate=validators.Length(min=1, max=100))
    user_id = fields.String(load_default=None, validate=validators.Length(max=64))


class ApiKeyQuery(PageQuery):
    all = fields.Boolean(
        load_default=False, metadata={"description": "Admins: list every user's keys."}
    )


class OrganizationOut(Schema):
    id = fields.String()
    slug = fields.String()
    name = fields.String()
    modules = fields.Dict(keys=fields.String(), values=fields.Boolean())
    limits = fields.Dict(keys=fields.String(), values=fields.Integer())
    created_at = Timestamp()


# The keys come from the model's defaults, so a new module or limit needs no schema edit.
ModulesIn = Schema.from_dict({name: fields.Boolean() for name in DEFAULT_MODULES}, name="ModulesIn")
LimitsIn = Schema.from_dict(
    {
        name: fields.Integer(validate=validators.Range(min=0, max=100_000))
        for name in DEFAULT_LIMITS
    },
    name="LimitsIn",
)


class OrganizationUpdate(Schema):
    name = fields.String(validate=validators.Length(min=1, max=120))
    modules = fields.Nested(ModulesIn)
    limits = fields.Nested(LimitsIn)


class HealthOut(Schema):
    status = fields.String()
    checks = fields.Dict()
    timestamp = Timestamp()
    runtime = fields.Dict(
        metadata={
            "description": "The runtime running services: `{name, status: up|down, reason}`; "
            "its being down leaves the answer 200 (Sparki itself is alive)"
        }
    )


class SessionOut(Schema):
    id = fields.String()
    created_at = Timestamp()
    last_seen_at = Timestamp()
    user_agent = fields.String()
    client_label = fields.String(
        metadata={"description": "The user agent, short: browser and system (Chrome on Linux)."}
    )
    client = fields.String(metadata={"description": "The client's address."})
    current = fields.Boolean(metadata={"description": "The session this request came through."})


class SessionsOut(Schema):
    data = fields.List(fields.Nested(SessionOut))


class PasswordChangeIn(Schema):
    current_password = fields.String(
        required=True, load_only=True, validate=validators.Length(min=1, max=1024)
    )
    new_password = fields.String(
        required=True, load_only=True, validate=validators.Length(min=8, max=1024)
    )


class PasswordChangedOut(Schema):
    success = fields.Boolean()
    message = fields.String()
    token = fields.String(
        allow_none=True,
        metadata={
            "description": "For a bearer-token caller, a fresh token: the one used is ended."
            " Null for session and API-key callers (the session and the key stay)."
        },
    )
    expires_in = fields.Integer(allow_none=True)


class LogoutEverywhereOut(SuccessOut):
    sessions_ended = fields.Integer()
