"""JSON routes for webhooks, their deliveries and the events list."""

from __future__ import annotations

from apiflask import APIBlueprint
from flask import make_response

from blueprints.core.api import api_actor, auth_required, paginate
from blueprints.core.readcache import cached_read
from blueprints.core.schemas import PageQuery, SuccessOut, page_of

from . import domain
from .models import Delivery, Webhook
from .schemas import (
    DeliveryOut,
    DeliveryQuery,
    EventOut,
    EventQuery,
    RecoverIn,
    RecoverOut,
    WebhookCreate,
    WebhookCreated,
    WebhookOut,
    WebhookUpdate,
)

bp = APIBlueprint("webhooks_api", __name__, tag="Webhooks")
events_bp = APIBlueprint("events_api", __name__, tag="Events")


def _with_secret(webhook, secret: str, status: int = 200):
    """The endpoint plus its secret, in a response no cache may keep."""
    response = make_response({**WebhookOut().dump(webhook), "secret": secret}, status)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/webhooks")
@auth_required()
@bp.input(PageQuery, location="query", arg_name="query")
@bp.output(page_of(WebhookOut))
@bp.doc(summary="List the organization's webhook endpoints")
def list_webhooks(query):
    org, actor = api_actor()
    return paginate(domain.list_webhooks(org, actor), query).envelope()


@bp.post("/webhooks")
@auth_required()
@bp.input(WebhookCreate, arg_name="body")
@bp.output(WebhookCreated, status_code=201)
@bp.doc(summary="Register an endpoint; its signing secret is in `secret`, shown once")
def create_webhook(body):
    org, actor = api_actor()
    webhook, secret = domain.create_webhook(org, actor, **body)
    return _with_secret(webhook, secret, 201)


@bp.get("/webhooks/<webhook_id>")
@auth_required()
@bp.output(WebhookOut)
def get_webhook(webhook_id):
    org, actor = api_actor()
    return domain.get_webhook(org, actor, webhook_id)


@bp.patch("/webhooks/<webhook_id>")
@auth_required()
@bp.input(WebhookUpdate, arg_name="body")
@bp.output(WebhookOut)
@bp.doc(summary="Change the URL, events or description; enable or disable (`active`)")
def update_webhook(webhook_id, body):
    org, actor = api_actor()
    return domain.update_webhook(org, actor, webhook_id, **body)


@bp.delete("/webhooks/<webhook_id>")
@auth_required()
@bp.output(SuccessOut)
def delete_webhook(webhook_id):
    org, actor = api_actor()
    domain.delete_webhook(org, actor, webhook_id)
    return {"success": True, "message": f"Webhook {webhook_id} deleted"}


@bp.post("/webhooks/<webhook_id>/rotate-secret")
@auth_required()
@bp.output(WebhookCreated)
@bp.doc(summary="A new secret (shown once); the old one keeps signing alongside for 24 h")
def rotate_secret(webhook_id):
    org, actor = api_actor()
    webhook, secret = domain.rotate_secret(org, actor, webhook_id)
    return _with_secret(webhook, secret)


@bp.post("/webhooks/<webhook_id>/ping")
@auth_required()
@bp.output(DeliveryOut, status_code=202)
@bp.doc(summary="Send a `ping` event to this endpoint; returns the queued delivery")
def ping(webhook_id):
    org, actor = api_actor()
    return domain.ping(org, actor, webhook_id)


@bp.get("/webhooks/<webhook_id>/deliveries")
@auth_required()
@cached_read(Delivery, Webhook)
@bp.input(DeliveryQuery, location="query", arg_name="query")
@bp.output(page_of(DeliveryOut))
@bp.doc(summary="The delivery log: one row per attempt, newest first")
def list_deliveries(webhook_id, query):
    org, actor = api_actor()
    stmt = domain.list_deliveries(org, actor, webhook_id, status=query.get("status"))
    return paginate(stmt, query).envelope()


@bp.get("/webhooks/<webhook_id>/deliveries/<delivery_id>")
@auth_required()
@bp.output(DeliveryOut)
def get_delivery(webhook_id, delivery_id):
    org, actor = api_actor()
    return domain.get_delivery(org, actor, webhook_id, delivery_id)


@bp.post("/webhooks/<webhook_id>/deliveries/<delivery_id>/redeliver")
@auth_required()
@bp.output(DeliveryOut, status_code=202)
@bp.doc(summary="Send that delivery's event again now (a new attempt)")
def redeliver(webhook_id, delivery_id):
    org, actor = api_actor()
    return domain.redeliver(org, actor, webhook_id, delivery_id)


@bp.post("/webhooks/<webhook_id>/recover")
@auth_required()
@bp.input(RecoverIn, arg_name="body")
@bp.output(RecoverOut, status_code=202)
@bp.doc(summary="Redeliver every event whose attempts since `since` all failed")
def recover(webhook_id, body):
    org, actor = api_actor()
    created = domain.recover(org, actor, webhook_id, body["since"])
    return {"count": len(created), "deliveries": created}


@events_bp.get("/events")
@auth_required()
@events_bp.input(EventQuery, location="query", arg_name="query")
@events_bp.output(page_of(EventOut))
@events_bp.doc(summary="Events emitted in the organization, newest first (`?type=` filters)")
def list_events(query):
    org, actor = api_actor()
    return paginate(domain.list_events(org, actor, type=query.get("type")), query).envelope()


@events_bp.get("/events/<event_id>")
@auth_required()
@events_bp.output(EventOut)
def get_event(event_id):
    org, actor = api_actor()
    return domain.get_event(org, actor, event_id)


BLUEPRINTS = (bp, events_bp)
