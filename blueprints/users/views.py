"""HTML routes for login, users, API keys and organization settings."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlparse

from flask import Blueprint, current_app, flash, redirect, request, url_for
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required, login_user, logout_user

from blueprints.core import sessions
from blueprints.core.api import page_params, paginate
from blueprints.core.audit import audit_action
from blueprints.core.auth import ROLES
from blueprints.core.errors import DomainError
from blueprints.core.extensions import limiter
from blueprints.core.htmx import (
    apply_domain_error,
    hx_redirect_or,
    page_actor,
    render,
    triggered,
)

from . import domain
from .forms import (
    ApiKeyForm,
    LoginForm,
    OrganizationForm,
    PasswordChangeForm,
    UserCreateForm,
    UserRolesForm,
)
from .schemas import UserQuery

bp = Blueprint("users", __name__, template_folder="templates")


def _safe_next(target: str | None) -> str:
    """`target` when it is a same-site relative path ("/users?page=2"), else the dashboard.

    A control character (CR/LF would split the Location header: a 500, or a header
    injection), a backslash (browsers read "/\\evil" as "//evil"), a scheme or a host never
    get through.
    """
    if (
        target
        and target.startswith("/")
        and not target.startswith("//")
        and not any(ch < " " or ch == "\x7f" or ch == "\\" for ch in target)
    ):
        parts = urlparse(target)
        if not parts.scheme and not parts.netloc:
            return target
    return url_for("dashboard.index")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(
    lambda: current_app.config["LOGIN_RATE_LIMIT"], key_func=get_remote_address, methods=["POST"]
)
def login():
    if current_user.is_authenticated:
        return redirect(url_for("dashboard.index"))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        try:
            user = domain.authenticate(form.email.data, form.password.data)
        except DomainError as exc:
            form.form_errors.append(exc.message)
            status = 401
        else:
            # The response first: nothing may fail after the session is registered.
            response = redirect(_safe_next(request.args.get("next")))
            login_user(user)
            sessions.begin(user.id, user.credentials_epoch)
            return response
    elif request.method == "POST":
        status = 400
    return render("users/login.html", form=form), status


@bp.errorhandler(429)
def login_locked(exc):
    """Too many login attempts: the login form again, with the wait counted down on it.

    Only the login POST is limited in this blueprint. The form stays (a bare error card
    gave the user nothing to retry with); its button comes back when the wait is over.
    """
    import time

    from blueprints.core.extensions import limiter

    current = limiter.current_limit
    retry_after = max(1, int(current.reset_at - time.time())) if current else 60
    form = LoginForm()
    form.password.data = ""
    return (
        render("users/login.html", form=form, retry_after=retry_after),
        429,
        {"Retry-After": str(retry_after)},
    )


@bp.post("/logout")
@login_required
@audit_action("auth.logout")
def logout():
    sessions.end_current()  # the cookie, even if copied, no longer opens anything
    logout_user()
    flash("You have been logged out.", "info")
    return redirect(url_for("users.login"))


def _users_context(org, actor, args):
    query = page_params(args, UserQuery)
    page = paginate(domain.list_users(org, actor, role=query.get("role")), query)
    return {
        "page": page,
        "role": query.get("role") or "",
        "roles_form": UserRolesForm,
        "can_manage": domain.can_manage_users(actor),
    }


@bp.get("/users")
@login_required
def index():
    org, actor = page_actor()
    ctx = _users_context(org, actor, request.args)
    return render(
        "users/index.html", "users/_table.html", form=UserCreateForm(), roles=ROLES, **ctx
    )


@bp.post("/users")
@login_required
@audit_action("users.create_user")
def create():
    org, actor = page_actor()
    form = UserCreateForm()
    status = 400
    if form.validate_on_submit():
        try:
            user = domain.create_user(
                org,
                actor,
                email=form.email.data,
                name=form.name.data,
                password=form.password.data,
                roles=form.roles.data,
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
            status = exc.status
        else:
            form = UserCreateForm(formdata=None)
            body = render(
                "users/_create_form.html", "users/_create_form.html", form=form, created=user
            )
            return triggered(body, "users-changed")
    return render("users/_create_form.html", "users/_create_form.html", form=form), status


def _row(actor, user, *, form, editing: bool) -> str:
    """One user's table row, with the controls `actor` may use."""
    return render(
        "users/_row.html",
        "users/_row.html",
        user=user,
        form=form,
        editing=editing,
        can_manage=domain.can_manage_users(actor),
    )


@bp.get("/users/<user_id>/row")
@login_required
def row(user_id):
    org, actor = page_actor()
    user = domain.get_user(org, actor, user_id)
    editing = request.args.get("edit") == "1"
    form = UserRolesForm(data={"roles": user.roles}) if editing else None
    return _row(actor, user, form=form, editing=editing)


@bp.post("/users/<user_id>/roles")
@login_required
@audit_action("users.update_user")
def update_roles(user_id):
    org, actor = page_actor()
    user = domain.get_user(org, actor, user_id)
    form = UserRolesForm()
    if form.validate_on_submit():
        try:
            user = domain.update_user(org, actor, user_id, roles=form.roles.data)
        except DomainError as exc:
            apply_domain_error(form, exc)
            return _row(actor, user, form=form, editing=True), exc.status
        return _row(actor, user, form=None, editing=False)
    return _row(actor, user, form=form, editing=True), 400


@bp.delete("/users/<user_id>")
@login_required
@audit_action("users.delete_user")
def delete(user_id):
    org, actor = page_actor()
    domain.delete_user(org, actor, user_id)
    return triggered("", "users-changed")


@bp.get("/api-keys")
@login_required
def api_keys():
    org, actor = page_actor()
    can_see_all = domain.can_manage_all_api_keys(actor)
    everyone = request.args.get("all") == "1" and can_see_all
    page = paginate(domain.list_api_keys(org, actor, everyone=everyone), page_params(request.args))
    return render(
        "users/api_keys.html",
        "users/_keys_table.html",
        page=page,
        form=ApiKeyForm(),
        everyone=everyone,
        can_see_all=can_see_all,
    )


@bp.post("/api-keys")
@login_required
@audit_action("keys.create_key")
def create_api_key():
    org, actor = page_actor()
    form = ApiKeyForm()
    if form.validate_on_submit():
        try:
            key, raw = domain.create_api_key(org, actor, name=form.name.data)
        except DomainError as exc:
            apply_domain_error(form, exc)
            return render("users/_key_form.html", "users/_key_form.html", form=form), exc.status
        body = render(
            "users/_key_form.html",
            "users/_key_form.html",
            form=ApiKeyForm(formdata=None),
            created=key,
            raw_key=raw,
        )
        response = triggered(body, "keys-changed")
        response.headers["Cache-Control"] = "no-store"  # the raw key is in this page
        return response
    return render("users/_key_form.html", "users/_key_form.html", form=form), 400


@bp.post("/api-keys/<key_id>/revoke")
@login_required
@audit_action("keys.revoke_key")
def revoke_api_key(key_id):
    org, actor = page_actor()
    key = domain.revoke_api_key(org, actor, key_id)
    return render("users/_key_row.html", "users/_key_row.html", key=key)


@bp.route("/organization", methods=["GET", "POST"])
@login_required
@audit_action("org.update_organization")
def organization():
    org, actor = page_actor()
    limits = org.limits or {}
    form = (
        OrganizationForm(
            data={
                "name": org.name,
                "schedules": (org.modules or {}).get("schedules", False),
                "crm": (org.modules or {}).get("crm", False),
                "max_services": limits.get("maxServices"),
                "active_service_limit": limits.get("activeServiceLimit"),
            }
        )
        if request.method == "GET"
        else OrganizationForm()
    )
    saved, status = False, 200
    if request.method == "POST":
        status = 400
        if form.validate_on_submit():
            new_limits = {
                k: v
                for k, v in {
                    "maxServices": form.max_services.data,
                    "activeServiceLimit": form.active_service_limit.data,
                }.items()
                if v is not None
            }
            try:
                domain.update_organization(
                    org,
                    actor,
                    name=form.name.data,
                    modules={"schedules": form.schedules.data, "crm": form.crm.data},
                    limits=new_limits,
                )
                saved, status = True, 200
            except DomainError as exc:
                apply_domain_error(form, exc)
                status = exc.status
    return render(
        "users/organization.html",
        "users/_org_form.html",
        form=form,
        org=org,
        saved=saved,
        can_edit=domain.can_change_organization(actor),
    ), status


# --- the account page: own password and sessions ---------------------------------------------


@dataclass(frozen=True)
class _FieldError:
    """A DomainError's message aimed at one of the page form's fields."""

    field: str
    message: str


def _on_password_form(exc: DomainError) -> DomainError | _FieldError:
    """The domain names the API's fields (camelCase); the page form names them in snake_case."""
    name = {"currentPassword": "current_password", "newPassword": "new_password"}.get(
        exc.field or ""
    )
    return _FieldError(name, exc.message) if name else exc


def _sessions_table(org, actor) -> str:
    return render(
        "users/_sessions.html",
        "users/_sessions.html",
        sessions=domain.list_sessions(org, actor, current=sessions.current_session_id()),
    )


@bp.get("/account")
@login_required
def account():
    org, actor = page_actor()
    current = sessions.current_session_id()
    return render(
        "users/account.html",
        "users/_sessions.html",
        form=PasswordChangeForm(),
        sessions=domain.list_sessions(org, actor, current=current),
    )


@bp.post("/account/password")
@login_required
@audit_action("users.change_my_password")
def change_password():
    org, actor = page_actor()
    form = PasswordChangeForm()
    status, changed = 400, False
    if form.validate_on_submit():
        try:
            user = domain.change_password(
                org,
                actor,
                current_password=form.current_password.data,
                new_password=form.new_password.data,
                keep_session=sessions.current_session_id(),
            )
        except DomainError as exc:
            apply_domain_error(form, _on_password_form(exc))
            status = exc.status
        else:
            sessions.renew_epoch(user.credentials_epoch)  # this session made the change: keep it
            form, status, changed = PasswordChangeForm(formdata=None), 200, True
    body = render(
        "users/_password_form.html", "users/_password_form.html", form=form, changed=changed
    )
    return triggered(body, "sessions-changed", status) if changed else (body, status)


@bp.get("/account/sessions")
@login_required
def account_sessions():
    org, actor = page_actor()
    return _sessions_table(org, actor)


@bp.post("/account/sessions/<session_id>/end")
@login_required
@audit_action("users.end_my_session")
def end_session(session_id):
    org, actor = page_actor()
    ending_own = session_id == sessions.current_session_id()
    domain.end_session(org, actor, session_id)
    if ending_own:
        sessions.end_current()
        logout_user()
        return hx_redirect_or(url_for("users.login"), redirect(url_for("users.login")))
    return _sessions_table(org, actor)


@bp.post("/account/logout-everywhere")
@login_required
@audit_action("auth.logout_everywhere")
def logout_everywhere():
    org, actor = page_actor()
    domain.log_out_everywhere(org, actor)
    sessions.end_current()
    logout_user()
    flash("You have been logged out everywhere.", "info")
    return hx_redirect_or(url_for("users.login"), redirect(url_for("users.login")))
