"""What the users feature does: organizations, accounts, sessions' credentials, API keys.

Functions take the organization and the acting user (this feature's own `Organization` and
`User`, which the kernel knows as `Org` and `Actor`), raise DomainErrors, commit once.
Errors: InvalidRequest (400), AuthenticationFailed (401), PermissionDenied (403),
NotFound (404), Conflict (409), all from blueprints.core.errors.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import current_app
from prometheus_client import Counter
from sqlalchemy import Select, String, cast, func, select
from sqlalchemy.exc import IntegrityError

from blueprints.core import audit, sessions
from blueprints.core.auth import (
    ROLES,
    burn_password_check,
    has_role,
    hash_api_key,
    hash_password,
    new_api_key,
    require_role,
    verify_password,
)
from blueprints.core.errors import AuthenticationFailed, Conflict, InvalidRequest, NotFound
from blueprints.core.events import emit
from blueprints.core.extensions import db
from blueprints.core.models import get_in_org, scoped, utcnow
from blueprints.core.text import text_problem

from .agents import client_label
from .models import DEFAULT_LIMITS, DEFAULT_MODULES, ApiKey, Organization, User

#: Logins by outcome: `success`, `unknown_email`, `wrong_password` (any account's),
#: `inactive` (the right password of a deactivated user). Failures for an email no
#: organization has reach no admin's audit trail (it belongs to none): operators see them here
#: (a credential-stuffing alert) and in the access log (401s at INFO). Attempts the login rate
#: limit refuses never get here: they are `sparki_rate_limit_refusals_total`'s.
LOGINS = Counter("sparki_logins_total", "Login attempts, by outcome", ["outcome"])

MIN_PASSWORD = 8


def _slugify(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return slug[:60] or "org"


def _check_password(password: str, field: str = "password") -> None:
    """A new password must be long enough, not blank, and text argon2 and a form can carry
    (no NUL, no unpaired surrogate); InvalidRequest naming `field` otherwise."""
    password = password or ""
    if len(password) < MIN_PASSWORD:
        raise InvalidRequest(
            f"The password must have at least {MIN_PASSWORD} characters",
            field=field,
            reason="too short",
        )
    if not password.strip():
        raise InvalidRequest("The password may not be only whitespace", field=field, reason="blank")
    problem = text_problem(password)
    if problem:
        raise InvalidRequest(f"The password {problem}", field=field, reason=problem)


def _check_roles(roles: list[str]) -> list[str]:
    unknown = [r for r in roles if r not in ROLES]
    if unknown or not roles:
        raise InvalidRequest(
            f"Roles must be one or more of {', '.join(ROLES)}",
            field="roles",
            reason=f"unknown role {unknown[0]!r}" if unknown else "empty",
        )
    return sorted(set(roles), key=ROLES.index)


def _email_taken(email: str, exclude_id: str | None = None) -> bool:
    stmt = select(User.id).where(func.lower(User.email) == email.lower())
    if exclude_id:
        stmt = stmt.where(User.id != exclude_id)
    return db.session.execute(stmt).first() is not None


# --- the kernel's principal loader ---------------------------------------------------------


def load_user(user_id: str) -> User | None:
    """The user with `user_id`, active or not; None when there is none (core.auth decides)."""
    return db.session.get(User, user_id)


def load_api_key(key_hash: str) -> ApiKey | None:
    """The API key stored under `key_hash` (SHA-256 hex), revoked or not; None when unknown."""
    return db.session.execute(
        select(ApiKey).where(ApiKey.key_hash == key_hash)
    ).scalar_one_or_none()


def load_api_key_by_id(key_id: str) -> ApiKey | None:
    """The API key with id `key_id`, revoked or not; None when unknown."""
    return db.session.get(ApiKey, key_id)


# --- who may do what: predicates for pages, beside the require_* checks ----------------------
# Admins only: `require_role(actor)` with no extra role is an admin check.


def can_manage_users(actor: User) -> bool:
    """Whether `actor` may create users, change their roles or status, and delete them."""
    return has_role(actor)


def can_change_organization(actor: User) -> bool:
    """Whether `actor` may change the organization's name, modules and limits."""
    return has_role(actor)


def can_manage_all_api_keys(actor: User) -> bool:
    """Whether `actor` may list, create and revoke other users' API keys."""
    return has_role(actor)


# --- organizations -------------------------------------------------------------------------


def get_or_create_organization(name: str) -> Organization:
    """The organization whose slug `name` gives, created (flushed, not committed) if missing.

    Raises InvalidRequest when `name` is blank.
    """
    name = (name or "").strip()
    if not name:
        raise InvalidRequest("An organization needs a name", field="org", reason="empty")
    slug = _slugify(name)
    org = db.session.execute(
        select(Organization).where(Organization.slug == slug)
    ).scalar_one_or_none()
    if org is None:
        org = Organization(
            name=name, slug=slug, modules=dict(DEFAULT_MODULES), limits=dict(DEFAULT_LIMITS)
        )
        db.session.add(org)
        db.session.flush()
    return org


def update_organization(
    org: Organization,
    actor: User,
    *,
    name: str | None = None,
    modules: dict[str, bool] | None = None,
    limits: dict[str, int] | None = None,
) -> Organization:
    """Change the name, turn modules on/off (`{module: bool}`) and set limits (`{camelCase
    name: non-negative int}`); admins only.

    Raises PermissionDenied for a non-admin, InvalidRequest for a blank name, an unknown
    module or limit, a bad limit value, or activeServiceLimit above maxServices.
    """
    require_role(actor, action="change the organization's settings")
    if name is not None:
        if not name.strip():
            raise InvalidRequest("The name may not be empty", field="name", reason="empty")
        org.name = name.strip()
    if modules:
        unknown = sorted(set(modules) - set(DEFAULT_MODULES))
        if unknown:
            raise InvalidRequest(
                f"Unknown module '{unknown[0]}'",
                field=f"modules.{unknown[0]}",
                reason=f"known modules: {', '.join(DEFAULT_MODULES)}",
            )
        org.modules = {**DEFAULT_MODULES, **(org.modules or {}), **modules}
    if limits:
        merged = {**DEFAULT_LIMITS, **(org.limits or {})}
        for key, value in limits.items():
            if key not in DEFAULT_LIMITS:
                raise InvalidRequest(
                    f"Unknown limit '{key}'",
                    field=f"limits.{key}",
                    reason=f"known limits: {', '.join(DEFAULT_LIMITS)}",
                )
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise InvalidRequest(
                    f"Limit '{key}' must be a non-negative integer",
                    field=f"limits.{key}",
                    reason="not a non-negative integer",
                )
            merged[key] = value
        if merged["activeServiceLimit"] > merged["maxServices"]:
            raise InvalidRequest(
                "activeServiceLimit may not exceed maxServices",
                field="limits.activeServiceLimit",
                reason="exceeds maxServices",
            )
        org.limits = merged
    db.session.commit()
    return org


# --- accounts ------------------------------------------------------------------------------


def _new_user(org: Organization, *, email: str, name: str, password: str, roles: list[str]) -> User:
    """Add a user (flushed) and emit `user.created`; Conflict or InvalidRequest as create_user."""
    email = (email or "").strip().lower()
    if _email_taken(email):
        raise Conflict(
            f"A user with email '{email}' already exists", field="email", reason="already exists"
        )
    _check_password(password)
    user = User(
        org_id=org.id,
        email=email,
        name=(name or "").strip() or email.split("@")[0],
        password_hash=hash_password(password),
        roles=_check_roles(roles),
        active=True,
    )
    db.session.add(user)
    db.session.flush()
    emit(
        org,
        "user.created",
        {"id": user.id, "email": user.email, "name": user.name, "roles": user.roles},
    )
    return user


def _commit_unique(what: str, field: str) -> None:
    """Commit; a unique-constraint race becomes a 409 instead of a 500."""
    try:
        db.session.commit()
    except IntegrityError as exc:
        db.session.rollback()
        raise Conflict(f"That {what} already exists", field=field, reason="already exists") from exc


def create_admin(*, org_name: str, email: str, password: str, name: str = "Administrator") -> User:
    """Create the organization if needed and an admin in it (CLI and first start).

    Raises Conflict when the email is taken, InvalidRequest for a blank organization name
    or a password shorter than MIN_PASSWORD characters.
    """
    org = get_or_create_organization(org_name)
    user = _new_user(org, email=email, name=name, password=password, roles=["admin"])
    _commit_unique("email", "email")
    return user


def ensure_admin_from_config() -> User | None:
    """On start: if no user exists and SPARKI_ADMIN_EMAIL/PASSWORD are set, create that admin
    (in SPARKI_ADMIN_ORG); None when nothing was created. Errors as create_admin."""
    cfg = current_app.config
    if not (cfg["SPARKI_ADMIN_EMAIL"] and cfg["SPARKI_ADMIN_PASSWORD"]):
        return None
    if db.session.execute(select(User.id).limit(1)).first() is not None:
        return None
    return create_admin(
        org_name=cfg["SPARKI_ADMIN_ORG"] or "Default",
        email=cfg["SPARKI_ADMIN_EMAIL"],
        password=cfg["SPARKI_ADMIN_PASSWORD"],
    )


def authenticate(email: str, password: str) -> User:
    """The active user with that email and password; records the login time.

    Raises AuthenticationFailed, with the same message and about the same time whether the
    email is unknown, the password wrong or the user inactive.
    """
    user = db.session.execute(
        select(User).where(func.lower(User.email) == (email or "").strip().lower())
    ).scalar_one_or_none()
    if user is None:
        burn_password_check(password or "")
        audit.note(action="auth.login_failed", details={"email": (email or "")[:254]})
        LOGINS.labels("unknown_email").inc()
        raise AuthenticationFailed("Email or password is wrong")
    right = verify_password(user.password_hash, password or "")
    if not right or not user.active:
        # A wrong password is a guess whatever the account's state: `inactive` is only the
        # right password of a deactivated user.
        LOGINS.labels("inactive" if right else "wrong_password").inc()
        audit.note(
            action="auth.login_failed",
            target=("user", user.id),
            org_id=user.org_id,
            details={"email": user.email},
        )
        raise AuthenticationFailed("Email or password is wrong")
    user.last_login_at = utcnow()
    audit.note(action="auth.login", actor=user, target=("user", user.id))
    db.session.commit()
    LOGINS.labels("success").inc()
    return user


def list_users(org: Organization, actor: User, *, role: str | None = None) -> Select:
    """A query of the organization's users, optionally those with `role`, for pagination.

    Raises InvalidRequest for an unknown role.
    """
    stmt = scoped(User, org)
    if role:
        if role not in ROLES:
            raise InvalidRequest(
                f"Role must be one of {', '.join(ROLES)}", field="role", reason="unknown role"
            )
        # Roles are a JSON list; match the quoted name in its text form on every backend.
        stmt = stmt.where(cast(User.roles, String).like(f'%"{role}"%'))
    return stmt


def get_user(org: Organization, actor: User, user_id: str) -> User:
    """The organization's user `user_id`; raises NotFound (also for another org's user)."""
    return get_in_org(User, org, user_id)


def create_user(
    org: Organization,
    actor: User,
    *,
    email: str,
    name: str,
    password: str,
    roles: list[str] | None = None,
) -> User:
    """Create a user (roles default to viewer) and emit `user.created`; admins only.

    Raises PermissionDenied for a non-admin, Conflict when the email is taken,
    InvalidRequest for a short password or unknown/empty roles.
    """
    require_role(actor, action="create users")
    user = _new_user(org, email=email, name=name, password=password, roles=roles or ["viewer"])
    _commit_unique("email", "email")
    return user


def _admin_count(org: Organization, exclude: str) -> int:
    return sum(
        1
        for u in db.session.execute(scoped(User, org)).scalars()
        if u.id != exclude and u.active and "admin" in (u.roles or [])
    )


def update_user(org: Organization, actor: User, user_id: str, **changes: Any) -> User:
    """Apply `changes` (email, name, password, roles, active) to a user.

    Anyone may change their own name; everything else needs an admin. One's own password
    changes only through `change_password`, which proves the current one (a stolen token or
    key must not become a permanent takeover); admins change other users' passwords here. A new
    password, a change of roles or of status ends every session and token of the user
    (the caller's own too: the account page's change_password keeps the caller's session).
    Raises NotFound, PermissionDenied, Conflict (email taken, or the org would lose its
    last active admin) and InvalidRequest (blank name, short password, bad roles).
    """
    user = get_in_org(User, org, user_id, fresh=True)  # the epoch below counts from the row
    self_edit = user.id == actor.id
    if self_edit and changes.get("password") is not None:
        raise InvalidRequest(
            "Change your own password with POST /api/v1/users/me/password (the current"
            " password is required)",
            field="password",
            reason="own password",
        )
    if not self_edit or set(changes) - {"name", "password"}:
        require_role(actor, action="change other users, roles or status")
    if "email" in changes and changes["email"] is not None:
        email = changes["email"].strip().lower()
        if _email_taken(email, exclude_id=user.id):
            raise Conflict(
                f"A user with email '{email}' already exists",
                field="email",
                reason="already exists",
            )
        user.email = email
    if changes.get("name") is not None:
        if not changes["name"].strip():
            raise InvalidRequest("The name may not be empty", field="name", reason="empty")
        user.name = changes["name"].strip()
    ends_credentials = False
    if changes.get("password") is not None:
        _check_password(changes["password"])
        user.password_hash = hash_password(changes["password"])
        ends_credentials = True
    demoting = (changes.get("roles") is not None and "admin" not in changes["roles"]) or (
        changes.get("active") is False
    )
    if demoting and user.is_admin and _admin_count(org, exclude=user.id) == 0:
        raise Conflict(
            "The organization must keep at least one active admin",
            field="roles",
            reason="last admin",
        )
    if changes.get("roles") is not None:
        roles = _check_roles(changes["roles"])
        ends_credentials |= roles != list(user.roles or [])
        user.roles = roles
    if changes.get("active") is not None:
        ends_credentials |= bool(changes["active"]) != bool(user.active)
        user.active = bool(changes["active"])
    if ends_credentials:
        _bump_epoch(user)
    _commit_unique("email", "email")
    if ends_credentials:
        sessions.end_all(user.id)
    return user


def _bump_epoch(user: User) -> None:
    """Move the user to a new credentials epoch: every session and token from before it is
    refused from now on (core.auth compares the epoch on every request)."""
    user.credentials_epoch = int(user.credentials_epoch or 0) + 1


def delete_user(org: Organization, actor: User, user_id: str) -> None:
    """Delete a user; admins only. Raises PermissionDenied, NotFound, and Conflict for
    deleting oneself or the organization's last active admin."""
    require_role(actor, action="delete users")
    user = get_in_org(User, org, user_id)
    if user.id == actor.id:
        raise Conflict("You cannot delete your own account", field="id", reason="self")
    if user.is_admin and _admin_count(org, exclude=user.id) == 0:
        raise Conflict(
            "The organization must keep at least one active admin", field="id", reason="last admin"
        )
    db.session.delete(user)
    db.session.commit()
    sessions.end_all(user_id)


# --- API keys ------------------------------------------------------------------------------


def list_api_keys(org: Organization, actor: User, *, everyone: bool = False) -> Select:
    """A query of the actor's keys; admins may list everyone's (`everyone=True`).

    Raises PermissionDenied when a non-admin asks for everyone's keys.
    """
    stmt = scoped(ApiKey, org)
    if everyone:
        require_role(actor, action="list other users' API keys")
        return stmt
    return stmt.where(ApiKey.user_id == actor.id)


def _key_for_actor(org: Organization, actor: User, key_id: str) -> ApiKey:
    key = get_in_org(ApiKey, org, key_id)
    if key.user_id != actor.id:
        require_role(actor, action="manage other users' API keys")
    return key


def get_api_key(org: Organization, actor: User, key_id: str) -> ApiKey:
    """One key: the actor's own, or anyone's for an admin. NotFound, PermissionDenied."""
    return _key_for_actor(org, actor, key_id)


def create_api_key(
    org: Organization, actor: User, *, name: str, user_id: str | None = None
) -> tuple[ApiKey, str]:
    """Create a key (for `user_id`, admins only); returns it with the raw secret, which is
    never stored or shown again.

    Raises InvalidRequest for a blank name, PermissionDenied for a key for someone else
    without admin, NotFound for an unknown `user_id`.
    """
    name = (name or "").strip()
    if not name:
        raise InvalidRequest("A key needs a name", field="name", reason="empty")
    owner = actor
    if user_id and user_id != actor.id:
        require_role(actor, action="create keys for other users")
        owner = get_in_org(User, org, user_id)
    raw = new_api_key()
    key = ApiKey(
        org_id=org.id, user_id=owner.id, name=name, prefix=raw[:12], key_hash=hash_api_key(raw)
    )
    db.session.add(key)
    db.session.commit()
    return key, raw


def revoke_api_key(org: Organization, actor: User, key_id: str) -> ApiKey:
    """Revoke a key (idempotent): the actor's own, or anyone's for an admin.

    Raises NotFound, PermissionDenied.
    """
    key = _key_for_actor(org, actor, key_id)
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        db.session.commit()
    return key


# --- the account: own password and sessions --------------------------------------------------


@dataclass(frozen=True)
class SessionView:
    """One of the actor's live dashboard sessions, as the account page and the API show it."""

    id: str
    created_at: datetime
    last_seen_at: datetime
    user_agent: str
    client_label: str  # "Chrome on Linux": the user agent, short
    client: str
    current: bool  # the session this request came through


def change_password(
    org: Organization,
    actor: User,
    *,
    current_password: str,
    new_password: str,
    keep_session: str | None = None,
) -> User:
    """Change the actor's own password, proving the current one; ends every other session
    and every token of the actor. `keep_session` (a session id) stays alive: the caller
    then records the user's new epoch in it (core.sessions.renew_epoch).

    Raises InvalidRequest naming `currentPassword` when it is wrong, and naming
    `newPassword` when the new one is short, blank, holds NUL or equals the current one.
    """
    # The row as it is now: the actor may be a key cache's copy, up to AUTH_CACHE_SECONDS old.
    user = get_in_org(User, org, actor.id, fresh=True)
    if not verify_password(user.password_hash, current_password or ""):
        raise InvalidRequest(
            "The current password is wrong", field="currentPassword", reason="wrong"
        )
    _check_password(new_password, field="newPassword")
    if new_password == current_password:
        raise InvalidRequest(
            "The new password must differ from the current one",
            field="newPassword",
            reason="unchanged",
        )
    user.password_hash = hash_password(new_password)
    _bump_epoch(user)
    db.session.commit()
    sessions.end_all(user.id, keep=keep_session)
    return user


def list_sessions(
    org: Organization, actor: User, *, current: str | None = None
) -> list[SessionView]:
    """The actor's live dashboard sessions, most recently seen first; `current` (a session
    id) is marked as the caller's own."""
    return [
        SessionView(
            id=r.id,
            created_at=r.created_at,
            last_seen_at=r.last_seen_at,
            user_agent=r.user_agent,
            client_label=client_label(r.user_agent),
            client=r.client,
            current=r.id == current,
        )
        for r in sessions.for_user(actor.id)
    ]


def end_session(org: Organization, actor: User, session_id: str) -> None:
    """End one of the actor's own sessions (their current one too).

    Raises NotFound for an ended, unknown or someone else's session.
    """
    record = sessions.get(session_id)
    if record is None or record.user_id != actor.id:
        raise NotFound(f"No live session '{session_id}'", field="id", reason="not found")
    sessions.end(session_id)


def log_out_everywhere(org: Organization, actor: User) -> int:
    """End every session and bearer token of the actor (API keys stay; revoke them apart).
    Returns how many sessions ended."""
    user = get_in_org(User, org, actor.id, fresh=True)
    _bump_epoch(user)
    db.session.commit()
    return sessions.end_all(user.id)
