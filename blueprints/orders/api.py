"""JSON routes for customers and orders (module `crm`: 403 `module_disabled` while it is off).

Bodies with amounts are read by `decimal_body` (exact decimals, see `schemas`); responses
with amounts are written by `exact_json`. `@bp.input(..., validation=False)` only documents
those bodies in OpenAPI.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from functools import wraps
from typing import Any

from apiflask import APIBlueprint, abort
from flask import request
from marshmallow import ValidationError

from blueprints.core.api import api_actor, auth_required, error_responses, paginate
from blueprints.core.errors import InvalidRequest
from blueprints.core.schemas import SuccessOut, page_of

from . import domain
from .schemas import (
    CustomerCreate,
    CustomerDetailOut,
    CustomerOut,
    CustomerQuery,
    CustomerUpdate,
    OrderCreate,
    OrderDetailOut,
    OrderOut,
    OrderQuery,
    PaymentIn,
    PaymentOut,
    RefundIn,
    StatusIn,
    exact_json,
    order_filters,
)

bp = APIBlueprint("crm_api", __name__, tag="CRM", url_prefix="/crm")
MODULE = "crm"

_OFF = "The `crm` module is off (`module_disabled`) or your role may not do this"


def decimal_body(schema: type) -> Callable:
    """Load the JSON body with `schema`, numbers with a fraction as Decimal (never a float).

    Malformed JSON or a body the schema refuses → 400 in the error envelope, naming the field.
    The loaded dict is passed as `body`.
    """

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any):
            raw = request.get_data(cache=True) or b""
            try:
                data = json.loads(raw or b"null", parse_float=Decimal)
            except (ValueError, UnicodeDecodeError):
                raise InvalidRequest(
                    "The request body is not valid JSON", reason="malformed JSON"
                ) from None
            if data is None and not raw.strip():
                data = {}
            try:
                body = schema().load(data)
            except ValidationError as exc:
                abort(400, detail={"json": exc.messages})
            return view(*args, body=body, **kwargs)

        return wrapper

    return decorator


def _page(stmt, query, out) -> Any:
    return exact_json(page_of(out)().dump(paginate(stmt, query).envelope()))


# --- customers -------------------------------------------------------------------------------


@bp.get("/customers")
@auth_required(module=MODULE)
@bp.input(CustomerQuery, location="query", arg_name="query")
@bp.output(page_of(CustomerOut))
@bp.doc(
    summary="List customers (`q` searches name and e-mail)", responses=error_responses(e403=_OFF)
)
def list_customers(query):
    org, actor = api_actor()
    archived = {"false": False, "true": True, "all": None}[query["archived"]]
    stmt = domain.list_customers(org, actor, q=query.get("q"), archived=archived)
    return _page(stmt, query, CustomerOut)


@bp.post("/customers")
@auth_required(module=MODULE)
@bp.input(CustomerCreate, arg_name="body")
@bp.output(CustomerOut, status_code=201)
@bp.doc(
    summary="Create a customer",
    responses=error_responses(e403=_OFF, e409="A customer with this e-mail exists"),
)
def create_customer(body):
    org, actor = api_actor()
    return domain.create_customer(org, actor, **body), 201


@bp.get("/customers/<customer_id>")
@auth_required(module=MODULE)
@bp.output(CustomerDetailOut)
@bp.doc(
    summary="A customer, with orders, money spent and open balance per currency",
    responses=error_responses(e403=_OFF, e404="No such customer"),
)
def get_customer(customer_id):
    org, actor = api_actor()
    customer = domain.get_customer(org, actor, customer_id)
    out = CustomerOut().dump(customer)
    from .schemas import CurrencyFiguresOut

    out["totals"] = CurrencyFiguresOut(many=True).dump(
        domain.customer_figures(org, actor, customer_id)
    )
    return exact_json(out)


@bp.patch("/customers/<customer_id>")
@auth_required(module=MODULE)
@bp.input(CustomerUpdate, arg_name="body")
@bp.output(CustomerOut)
@bp.doc(
    summary="Change a customer; `archived: true` archives it",
    responses=error_responses(e403=_OFF, e404="No such customer", e409="E-mail taken"),
)
def update_customer(customer_id, body):
    org, actor = api_actor()
    return domain.update_customer(org, actor, customer_id, **body)


@bp.delete("/customers/<customer_id>")
@auth_required(module=MODULE)
@bp.output(SuccessOut)
@bp.doc(
    summary="Delete a customer without orders",
    responses=error_responses(
        e403=_OFF, e404="No such customer", e409="The customer has orders: archive it instead"
    ),
)
def delete_customer(customer_id):
    org, actor = api_actor()
    domain.delete_customer(org, actor, customer_id)
    return {"success": True, "message": f"Customer {customer_id} deleted"}


# --- orders ----------------------------------------------------------------------------------


@bp.get("/orders")
@auth_required(module=MODULE)
@bp.input(OrderQuery, location="query", arg_name="query")
@bp.output(page_of(OrderOut))
@bp.doc(
    summary="List orders, newest first, filtered by status, paymentStatus, customer, "
    "createdFrom/createdTo and order number (`q`)",
    responses=error_responses(e403=_OFF),
)
def list_orders(query):
    org, actor = api_actor()
    return _page(domain.list_orders(org, actor, **order_filters(query)), query, OrderOut)


@bp.post("/orders")
@auth_required(module=MODULE)
@bp.input(OrderCreate, arg_name="raw", validation=False)
@decimal_body(OrderCreate)
@bp.output(OrderOut, status_code=201)
@bp.doc(
    summary="Place an order; the server computes subtotal and total (`Idempotency-Key` replays)",
    responses=error_responses(e403=_OFF, e409="Idempotency-Key reused with another body"),
)
def create_order(raw=None, body=None):
    org, actor = api_actor()
    order = domain.create_order(org, actor, **body)
    return exact_json(OrderOut().dump(order), 201)


@bp.get("/orders/<order_id>")
@auth_required(module=MODULE)
@bp.output(OrderDetailOut)
@bp.doc(
    summary="An order with items, payments and history",
    responses=error_responses(e403=_OFF, e404="No such order"),
)
def get_order(order_id):
    org, actor = api_actor()
    return exact_json(OrderDetailOut().dump(domain.get_order(org, actor, order_id)))


@bp.patch("/orders/<order_id>")
@auth_required(module=MODULE)
@bp.input(StatusIn, arg_name="body")
@bp.output(OrderDetailOut)
@bp.doc(
    summary="Move the order's status (placed → fulfilled → delivered; placed|fulfilled → "
    "cancelled; fulfilled|delivered → refunded)",
    responses=error_responses(
        e403=_OFF, e404="No such order", e409="Not an allowed move; `details.allowed` lists them"
    ),
)
def update_order(order_id, body):
    org, actor = api_actor()
    order = domain.change_status(org, actor, order_id, body["status"])
    return exact_json(OrderDetailOut().dump(order))


@bp.post("/orders/<order_id>/payments")
@auth_required(module=MODULE)
@bp.input(PaymentIn, arg_name="raw", validation=False)
@decimal_body(PaymentIn)
@bp.output(PaymentOut, status_code=201)
@bp.doc(
    summary="Record a payment (at most the open balance); `paymentStatus` follows",
    responses=error_responses(
        e403=_OFF, e404="No such order", e409="The order takes no payment (closed or paid)"
    ),
)
def create_payment(order_id, raw=None, body=None):
    org, actor = api_actor()
    payment = domain.record_payment(org, actor, order_id, **body)
    return exact_json(PaymentOut().dump(payment), 201)


@bp.post("/orders/<order_id>/refunds")
@auth_required(module=MODULE)
@bp.input(RefundIn, arg_name="raw", validation=False)
@decimal_body(RefundIn)
@bp.output(PaymentOut, status_code=201)
@bp.doc(
    summary="Refund (default: all that is paid and not refunded); `refunded` when all is",
    responses=error_responses(e403=_OFF, e404="No such order", e409="Nothing to refund"),
)
def create_refund(order_id, raw=None, body=None):
    org, actor = api_actor()
    payment = domain.refund(org, actor, order_id, **body)
    return exact_json(PaymentOut().dump(payment), 201)


BLUEPRINTS = (bp,)
