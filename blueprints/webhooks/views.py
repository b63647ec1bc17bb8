"""HTML routes: the Webhooks list and detail pages (with the delivery log) and Events."""

from __future__ import annotations

from datetime import UTC

from flask import Blueprint, make_response, request, url_for
from flask_login import login_required

from blueprints.core.api import page_params, paginate
from blueprints.core.audit import audit_action
from blueprints.core.errors import DomainError
from blueprints.core.events import event_types
from blueprints.core.htmx import apply_domain_error, hx_redirect_or, page_actor, render, triggered

from . import domain
from .forms import RecoverForm, WebhookEditForm, WebhookForm
from .schemas import DeliveryQuery, EventQuery

bp = Blueprint("webhooks", __name__, template_folder="templates")


@bp.get("/webhooks")
@login_required
def index():
    org, actor = page_actor()
    page = paginate(domain.list_webhooks(org, actor), page_params(request.args))
    return render(
        "webhooks/index.html",
        "webhooks/_table.html",
        page=page,
        form=WebhookForm(formdata=None),
        can_manage=domain.can_manage_webhooks(actor),
    )


@bp.post("/webhooks")
@login_required
@audit_action("webhooks.create_webhook")
def create():
    org, actor = page_actor()
    form = WebhookForm()
    if form.validate_on_submit():
        try:
            webhook, secret = domain.create_webhook(
                org,
                actor,
                url=form.url.data,
                events=form.events.data,
                active=form.active.data,
                description=form.description.data or "",
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
            return render(
                "webhooks/_create_form.html", "webhooks/_create_form.html", form=form
            ), exc.status
        response = triggered(
            render(
                "webhooks/_create_form.html",
                "webhooks/_create_form.html",
                form=WebhookForm(formdata=None),
                created=webhook,
                secret=secret,
            ),
            "webhooks-changed",
        )
        response.headers["Cache-Control"] = "no-store"
        return response
    return render("webhooks/_create_form.html", "webhooks/_create_form.html", form=form), 400


def _detail_context(org, actor, webhook_id):
    webhook = domain.get_webhook(org, actor, webhook_id)
    query = page_params(request.args, DeliveryQuery)
    deliveries = paginate(
        domain.list_deliveries(org, actor, webhook.id, status=query.get("status")), query
    )
    return {
        "webhook": webhook,
        "deliveries": deliveries,
        "can_manage": domain.can_manage_webhooks(actor),
    }


def _detail(webhook_id):
    """The detail page; for htmx (paging, the 2 s refresh) only its delivery log."""
    org, actor = page_actor()
    ctx = _detail_context(org, actor, webhook_id)
    webhook = ctx["webhook"]
    edit_form = WebhookEditForm(
        formdata=None,
        data={"url": webhook.url, "events": webhook.events, "description": webhook.description},
    )
    return render(
        "webhooks/detail.html",
        "webhooks/_deliveries.html",
        edit_form=edit_form,
        recover_form=RecoverForm(formdata=None),
        **ctx,
    )


@bp.get("/webhooks/<webhook_id>")
@login_required
def detail(webhook_id):
    return _detail(webhook_id)


@bp.get("/webhooks/<webhook_id>/deliveries")
@login_required
def deliveries(webhook_id):
    return _detail(webhook_id)


@bp.get("/webhooks/<webhook_id>/summary")
@login_required
def summary(webhook_id):
    org, actor = page_actor()
    webhook = domain.get_webhook(org, actor, webhook_id)
    return render(
        "webhooks/_summary.html",
        "webhooks/_summary.html",
        webhook=webhook,
        can_manage=domain.can_manage_webhooks(actor),
    )


def _notice(message: str, kind: str = "success") -> str:
    return render("webhooks/_notice.html", "webhooks/_notice.html", message=message, kind=kind)


@bp.post("/webhooks/<webhook_id>/ping")
@login_required
def ping(webhook_id):
    org, actor = page_actor()
    delivery = domain.ping(org, actor, webhook_id)
    return triggered(_notice(f"Ping queued ({delivery.event_id})."), "deliveries-changed")


@bp.post("/webhooks/<webhook_id>/deliveries/<delivery_id>/redeliver")
@login_required
def redeliver(webhook_id, delivery_id):
    org, actor = page_actor()
    delivery = domain.redeliver(org, actor, webhook_id, delivery_id)
    return triggered(
        _notice(f"Redelivery of {delivery.event_id} queued (attempt {delivery.attempt})."),
        "deliveries-changed",
    )


@bp.post("/webhooks/<webhook_id>/recover")
@login_required
def recover(webhook_id):
    org, actor = page_actor()
    form = RecoverForm()
    if not form.validate_on_submit():
        errors = "; ".join(form.since.errors) or "Pick a date and time"
        return _notice(errors, "error"), 400
    created = domain.recover(org, actor, webhook_id, form.since.data.replace(tzinfo=UTC))
    return triggered(
        _notice(f"{len(created)} failed event(s) queued for redelivery."), "deliveries-changed"
    )


@bp.post("/webhooks/<webhook_id>/active")
@login_required
@audit_action("webhooks.update_webhook")
def set_active(webhook_id):
    org, actor = page_actor()
    active = request.form.get("active") == "1"
    webhook = domain.update_webhook(org, actor, webhook_id, active=active)
    return triggered(
        render(
            "webhooks/_summary.html",
            "webhooks/_summary.html",
            webhook=webhook,
            can_manage=domain.can_manage_webhooks(actor),
        ),
        "deliveries-changed",
    )


@bp.post("/webhooks/<webhook_id>/rotate-secret")
@login_required
def rotate_secret(webhook_id):
    org, actor = page_actor()
    webhook, secret = domain.rotate_secret(org, actor, webhook_id)
    response = make_response(
        render(
            "webhooks/_summary.html",
            "webhooks/_summary.html",
            webhook=webhook,
            can_manage=domain.can_manage_webhooks(actor),
            secret=secret,
        )
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/webhooks/<webhook_id>/edit")
@login_required
@audit_action("webhooks.update_webhook")
def edit(webhook_id):
    org, actor = page_actor()
    form = WebhookEditForm()
    status, saved = 400, False
    if form.validate_on_submit():
        try:
            domain.update_webhook(
                org,
                actor,
                webhook_id,
                url=form.url.data,
                events=form.events.data,
                description=form.description.data,
            )
            status, saved = 200, True
        except DomainError as exc:
            apply_domain_error(form, exc)
            status = exc.status
    webhook = domain.get_webhook(org, actor, webhook_id)
    body = render(
        "webhooks/_edit_form.html",
        "webhooks/_edit_form.html",
        webhook=webhook,
        edit_form=form,
        saved=saved,
    )
    return (triggered(body, "summary-changed") if saved else body), status


@bp.post("/webhooks/<webhook_id>/delete")
@login_required
@audit_action("webhooks.delete_webhook")
def delete(webhook_id):
    org, actor = page_actor()
    domain.delete_webhook(org, actor, webhook_id)
    return hx_redirect_or(
        url_for("webhooks.index"), ("", 303, {"Location": url_for("webhooks.index")})
    )


@bp.get("/events")
@login_required
def events():
    org, actor = page_actor()
    query = page_params(request.args, EventQuery)
    page = paginate(domain.list_events(org, actor, type=query.get("type")), query)
    return render(
        "webhooks/events.html",
        "webhooks/_events_table.html",
        page=page,
        type=query.get("type") or "",
        types=event_types(),
    )
