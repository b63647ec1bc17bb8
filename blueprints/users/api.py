"""JSON routes for auth, users, API keys, the organization and health."""

from __future__ import annotations

import time

from apiflask import APIBlueprint
from flask import current_app
from flask_limiter.util import get_remote_address
from sqlalchemy import text

from blueprints.core import sessions
from blueprints.core.api import (
    api_actor,
    auth_required,
    current_principal,
    error_responses,
    health_reports,
    paginate,
)
from blueprints.core.auth import issue_token
from blueprints.core.errors import InvalidRequest, ServiceUnavailable
from blueprints.core.extensions import db, get_redis, limiter
from blueprints.core.lifecycle import shutting_down
from blueprints.core.models import utcnow
from blueprints.core.schemas import SuccessOut, page_of

from . import domain
from .schemas import (
    ApiKeyCreate,
    ApiKeyCreated,
    ApiKeyOut,
    ApiKeyQuery,
    HealthOut,
    LoginIn,
    LogoutEverywhereOut,
    OrganizationOut,
    OrganizationUpdate,
    PasswordChangedOut,
    PasswordChangeIn,
    SessionsOut,
    TokenOut,
    UserCreate,
    UserOut,
    UserQuery,
    UserUpdate,
)

# The error envelope every failure answers with (core.errors), for the responses below.
bp = APIBlueprint("users_api", __name__, tag="Users")
auth_bp = APIBlueprint("auth_api", __name__, tag="Auth")
keys_bp = APIBlueprint("keys_api", __name__, tag="API keys")
org_bp = APIBlueprint("org_api", __name__, tag="Organization")
health_bp = APIBlueprint("health_api", __name__, tag="Health")


_HEALTH_CACHE = "sparki_health_checks"
HEALTH_CACHE_SECONDS = 1.0  # a poller (load balancer, uptime checker) costs one check a second


def _dependency_checks() -> dict[str, str]:
    """ "ok" or "error: <kind>" for the app, the database and Redis, checked at most once a
    second per process (`HEALTH_CACHE_SECONDS`): pollers hitting /health in a loop cost a
    SELECT 1 and a PING a second, not one each."""
    cache = current_app.extensions.setdefault(_HEALTH_CACHE, {})
    now = time.monotonic()
    if cache.get("at") is not None and now - cache["at"] < HEALTH_CACHE_SECONDS:
        return cache["checks"]
    checks = {"app": "ok"}
    try:
        db.session.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as exc:  # noqa: BLE001 (report, never raise)
        checks["database"] = f"error: {type(exc).__name__}"
    try:
        get_redis().ping()
        checks["redis"] = "ok"
    except Exception as exc:  # noqa: BLE001
        checks["redis"] = f"error: {type(exc).__name__}"
    cache.update(at=now, checks=checks)
    return checks


@health_bp.get("/health")
@limiter.exempt  # open and credential-free: nothing to count, so the limiter is not asked
@health_bp.output(HealthOut)
@health_bp.doc(summary="Liveness of the app, database and Redis", security=[])
def health():
    return _health()


def _health() -> dict:
    """The checks (at most once a second) and the features' reports; ServiceUnavailable
    naming the dependency that does not answer."""
    checks = dict(_dependency_checks())
    ok = all(v == "ok" for v in checks.values())
    if not ok:
        raise ServiceUnavailable("A dependency is down", details={"checks": checks})
    return {"status": "ok", "checks": checks, "timestamp": utcnow(), **_reports()}


def _reports() -> dict[str, dict]:
    """What the features report beside the checks (`add_health_report`: the runtime), as
    often as the checks are made (`HEALTH_CACHE_SECONDS`); a report never fails /health."""
    cache = current_app.extensions.setdefault(_HEALTH_CACHE, {})
    now = time.monotonic()
    if cache.get("reports_at") is not None and now - cache["reports_at"] < HEALTH_CACHE_SECONDS:
        return cache["reports"]
    reports = {}
    for name, report in health_reports(current_app).items():
        try:
            reports[name] = report()
        except Exception as exc:  # noqa: BLE001 (report, never raise)
            reports[name] = {"status": "down", "reason": f"error: {type(exc).__name__}"}
    cache.update(reports_at=now, reports=reports)
    return reports


@health_bp.get("/health/ready")
@limiter.exempt
@health_bp.output(HealthOut)
@health_bp.doc(
    summary="Readiness: 503 while this process shuts down or a dependency is down",
    description="For load balancers and orchestrators: a process that got SIGTERM finishes the"
    " requests it holds but answers 503 here, so new ones go elsewhere.",
    security=[],
)
def ready():
    if shutting_down():
        raise ServiceUnavailable(
            "This process is shutting down", details={"checks": {"app": "shutting down"}}
        )
    return _health()


@auth_bp.post("/auth/login")
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], key_func=get_remote_address)
@auth_bp.input(LoginIn, arg_name="body")
@auth_bp.output(TokenOut)
@auth_bp.doc(summary="Exchange email and password for a bearer token", security=[])
def login(body):
    user = domain.authenticate(body["email"], body["password"])
    token, ttl = issue_token(user)
    return {"token": token, "token_type": "Bearer", "expires_in": ttl}


@auth_bp.post("/auth/refresh")
@auth_required()
@auth_bp.output(TokenOut)
@auth_bp.doc(
    summary="A fresh token for the authenticated user",
    description=(
        "Every token ends with the user's credentials: a password, role or status change and"
        " `POST /auth/logout-everywhere` refuse it at once (401). A token refreshed with an API"
        " key (or from a token that was) is bound to that key: revoking the key refuses the"
        " token and every token refreshed from it at once (401). Likewise a token refreshed"
        " from a dashboard session (or from a token that was) is bound to that session: once"
        " it is logged out, ended or idle, the token and every token refreshed from it are"
        " refused (401)."
    ),
    responses=error_responses(),
)
def refresh():
    principal = current_principal()
    token, ttl = issue_token(
        principal.user, api_key=principal.api_key, session_id=principal.session_id
    )
    return {"token": token, "token_type": "Bearer", "expires_in": ttl}


@auth_bp.post("/auth/logout")
@auth_required()
@auth_bp.output(SuccessOut)
@auth_bp.doc(
    summary="End this dashboard session on the server",
    description=(
        "For a cookie session only. A bearer-token or API-key caller gets 400"
        " (`invalid_request`): tokens end by expiry or with `POST /auth/logout-everywhere`,"
        " API keys by revoking them (`DELETE /api-keys/{key_id}`)."
    ),
    responses=error_responses(
        e400="Called with a bearer token or an API key, not a session (`invalid_request`)",
        e403="A session caller without a valid CSRF token (`insufficient_permissions`)",
    ),
)
def logout():
    if current_principal().via != "session":
        raise InvalidRequest(
            "No session to end: bearer tokens end by expiry or with"
            " POST /api/v1/auth/logout-everywhere, API keys by revoking them",
            reason="not a session",
        )
    org, actor = api_actor()
    domain.end_session(org, actor, sessions.current_session_id())
    sessions.end_current()
    return {"success": True, "message": "Logged out"}


@auth_bp.post("/auth/logout-everywhere")
@auth_required()
@auth_bp.output(LogoutEverywhereOut)
@auth_bp.doc(
    summary="End every session and bearer token of the authenticated user",
    description="API keys keep working: revoke them with `DELETE /api-keys/{key_id}`.",
    responses=error_responses(
        e403="A session caller without a valid CSRF token (`insufficient_permissions`)"
    ),
)
def logout_everywhere():
    org, actor = api_actor()
    ended = domain.log_out_everywhere(org, actor)
    return {"success": True, "message": "Every session and token ended", "sessions_ended": ended}


@bp.get("/users/me")
@auth_required()
@bp.output(UserOut)
@bp.doc(summary="The authenticated user")
def me():
    return current_principal().user_view


@bp.get("/users/me/sessions")
@auth_required()
@bp.output(SessionsOut)
@bp.doc(
    summary="Your live dashboard sessions, most recently seen first", responses=error_responses()
)
def my_sessions():
    org, actor = api_actor()
    return {"data": domain.list_sessions(org, actor, current=sessions.current_session_id())}


@bp.delete("/users/me/sessions/<session_id>")
@auth_required()
@bp.output(SuccessOut)
@bp.doc(
    summary="End one of your dashboard sessions",
    responses=error_responses(
        e403="A session caller without a valid CSRF token (`insufficient_permissions`)",
        e404="No live session of yours has that id: ended, unknown or someone else's",
    ),
)
def end_my_session(session_id):
    org, actor = api_actor()
    domain.end_session(org, actor, session_id)
    return {"success": True, "message": f"Session {session_id} ended"}


@bp.post("/users/me/password")
@auth_required()
@bp.input(PasswordChangeIn, arg_name="body")
@bp.output(PasswordChangedOut)
@bp.doc(
    summary="Change your own password (the current one required)",
    description=(
        "Ends every other session and every bearer token of yours. A session caller's session"
        " stays; a bearer-token caller gets a fresh token in `token` (bound to no session:"
        " the current password proved who asks). API keys stay. A wrong current password is"
        " a 400 naming `currentPassword`."
    ),
    responses=error_responses(
        e400="`currentPassword` is missing or wrong, or `newPassword` is short, blank, holds"
        " NUL or an unpaired surrogate, or equals the current one; `details.field` names which"
        " (`invalid_request`)",
        e403="A session caller without a valid CSRF token (`insufficient_permissions`)",
    ),
)
def change_my_password(body):
    org, actor = api_actor()
    principal = current_principal()
    keep = sessions.current_session_id() if principal.via == "session" else None
    user = domain.change_password(
        org,
        actor,
        current_password=body["current_password"],
        new_password=body["new_password"],
        keep_session=keep,
    )
    out = {"success": True, "message": "Password changed", "token": None, "expires_in": None}
    if keep is not None:
        sessions.renew_epoch(user.credentials_epoch)
    elif principal.via == "token":
        out["token"], out["expires_in"] = issue_token(user, api_key=principal.api_key)
    return out


@bp.get("/users")
@auth_required()
@bp.input(UserQuery, location="query", arg_name="query")
@bp.output(page_of(UserOut))
@bp.doc(summary="List the organization's users")
def list_users(query):
    org, actor = api_actor()
    return paginate(domain.list_users(org, actor, role=query.get("role")), query).envelope()


@bp.get("/users/<user_id>")
@auth_required()
@bp.output(UserOut)
def get_user(user_id):
    org, actor = api_actor()
    return domain.get_user(org, actor, user_id)


@bp.post("/users")
@auth_required()
@bp.input(UserCreate, arg_name="body")
@bp.output(UserOut, status_code=201)
@bp.doc(summary="Create a user (admin)")
def create_user(body):
    org, actor = api_actor()
    return domain.create_user(org, actor, **body)


@bp.patch("/users/<user_id>")
@auth_required()
@bp.input(UserUpdate, arg_name="body")
@bp.output(UserOut)
@bp.doc(
    summary="Change a user (admin; anyone may change their own name)",
    description=(
        "Your own password changes only with `POST /users/me/password`, which needs the"
        " current one: `password` for yourself here is a 400 naming `password`."
    ),
    responses=error_responses(
        e400="Bad input, or your own `password` (`invalid_request`)",
        e403="Your role may not change this user (`insufficient_permissions`)",
        e404="No such user in your organization (`not_found`)",
    ),
)
def update_user(user_id, body):
    org, actor = api_actor()
    return domain.update_user(org, actor, user_id, **body)


@bp.delete("/users/<user_id>")
@auth_required()
@bp.output(SuccessOut)
@bp.doc(summary="Delete a user (admin)")
def delete_user(user_id):
    org, actor = api_actor()
    domain.delete_user(org, actor, user_id)
    return {"success": True, "message": f"User {user_id} deleted"}


@keys_bp.get("/api-keys")
@auth_required()
@keys_bp.input(ApiKeyQuery, location="query", arg_name="query")
@keys_bp.output(page_of(ApiKeyOut))
@keys_bp.doc(summary="List your API keys (admins: ?all=true for everyone's)")
def list_keys(query):
    org, actor = api_actor()
    return paginate(domain.list_api_keys(org, actor, everyone=query["all"]), query).envelope()


@keys_bp.post("/api-keys")
@auth_required()
@keys_bp.input(ApiKeyCreate, arg_name="body")
@keys_bp.output(ApiKeyCreated, status_code=201)
@keys_bp.doc(summary="Create an API key; the key is in the `key` field, shown only once")
def create_key(body):
    org, actor = api_actor()
    key, raw = domain.create_api_key(org, actor, name=body["name"], user_id=body["user_id"])
    key.key = raw  # transient attribute for this one response
    return key


@keys_bp.get("/api-keys/<key_id>")
@auth_required()
@keys_bp.output(ApiKeyOut)
def get_key(key_id):
    org, actor = api_actor()
    return domain.get_api_key(org, actor, key_id)


@keys_bp.delete("/api-keys/<key_id>")
@auth_required()
@keys_bp.output(SuccessOut)
@keys_bp.doc(summary="Revoke an API key")
def revoke_key(key_id):
    org, actor = api_actor()
    domain.revoke_api_key(org, actor, key_id)
    return {"success": True, "message": f"API key {key_id} revoked"}


@org_bp.get("/organization")
@auth_required()
@org_bp.output(OrganizationOut)
def get_organization():
    return current_principal().org


@org_bp.patch("/organization")
@auth_required()
@org_bp.input(OrganizationUpdate, arg_name="body")
@org_bp.output(OrganizationOut)
@org_bp.doc(summary="Change modules and limits (admin)")
def update_organization(body):
    org, actor = api_actor()
    return domain.update_organization(org, actor, **body)


BLUEPRINTS = (health_bp, auth_bp, bp, keys_bp, org_bp)
