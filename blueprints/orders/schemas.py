"""JSON in and out for customers and orders.

Amounts go out as JSON numbers written with exactly the currency's decimals (`2316.00`):
schemas dump them as `Decimal`s and `exact_json` writes those digits as they are (Flask's
encoder would turn a Decimal into a string, and a float would print `2316.0`). Amounts come
in through `decimal_body`, which reads the request's JSON with `parse_float=Decimal`, so
`289.505` is seen as typed, never rounded by a double first.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, time
from decimal import Decimal
from typing import Any

from marshmallow import INCLUDE, post_load

from blueprints.core.schemas import PageQuery, Schema, Timestamp, camel, fields, validators

from . import money, states


class Money(fields.Decimal):
    """An amount stored in minor units on an object that has `currency`; dumped as a
    Decimal with the currency's decimals (a JSON number in the API)."""

    def __init__(self, **kwargs: Any) -> None:
        metadata = {"type": "number", "description": "In currency units, e.g. 2316.00"}
        super().__init__(
            dump_only=True, metadata={**metadata, **kwargs.pop("metadata", {})}, **kwargs
        )

    def _serialize(self, value: Any, attr: Any, obj: Any, **kwargs: Any):
        if value is None:
            return None
        return money.to_decimal(int(value), obj.currency)


def _encode(value: Any) -> str:
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dict):
        return "{" + ",".join(f"{json.dumps(str(k))}:{_encode(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(_encode(v) for v in value) + "]"
    return json.dumps(value)


def exact_json(data: Any, status: int = 200):
    """A JSON response in which Decimals are numbers with their own digits (2316.00)."""
    from flask import current_app

    return current_app.response_class(_encode(data), status=status, mimetype="application/json")


def plain_json(value: Any) -> Any:
    """`value` with Decimals as floats (for event payloads stored as JSON). Exact for every
    amount Sparki accepts: `money.MAX_MINOR` keeps them within 15 significant digits."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dict):
        return {k: plain_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain_json(v) for v in value]
    return value


_amount_in = {"type": "number", "description": "In currency units, at most its decimals"}

# --- customers -------------------------------------------------------------------------------


class CustomerOut(Schema):
    id = fields.String(metadata={"description": "UUID"})
    name = fields.String()
    email = fields.String()
    company = fields.String()
    phone = fields.String()
    address = fields.String()
    notes = fields.String()
    archived = fields.Boolean()
    archived_at = Timestamp(allow_none=True)
    created_at = Timestamp()
    updated_at = Timestamp()


class CustomerCreate(Schema):
    name = fields.String(required=True, validate=validators.Length(min=1, max=200))
    email = fields.Email(required=True, validate=validators.Length(max=254))
    company = fields.String(load_default="", validate=validators.Length(max=200))
    phone = fields.String(load_default="", validate=validators.Length(max=50))
    address = fields.String(load_default="", validate=validators.Length(max=1000))
    notes = fields.String(load_default="", validate=validators.Length(max=10_000))


class CustomerUpdate(Schema):
    name = fields.String(validate=validators.Length(min=1, max=200))
    email = fields.Email(validate=validators.Length(max=254))
    company = fields.String(validate=validators.Length(max=200))
    phone = fields.String(validate=validators.Length(max=50))
    address = fields.String(validate=validators.Length(max=1000))
    notes = fields.String(validate=validators.Length(max=10_000))
    archived = fields.Boolean(
        metadata={"description": "true archives (no new orders), false restores"}
    )


class CustomerQuery(PageQuery):
    q = fields.String(
        load_default=None,
        validate=validators.Length(max=200),
        metadata={"description": "Part of the name or e-mail"},
    )
    archived = fields.String(
        load_default="false",
        validate=validators.OneOf(["false", "true", "all"]),
        metadata={"description": "`false` (default) active only, `true` archived only, `all`"},
    )


class CurrencyFiguresOut(Schema):
    currency = fields.String()
    orders = fields.Integer()
    spent = Money(attribute="spent_minor", metadata={"description": "Paid minus refunded"})
    open_balance = Money(attribute="open_balance_minor")


class CustomerDetailOut(CustomerOut):
    totals = fields.List(
        fields.Nested(CurrencyFiguresOut),
        metadata={"description": "Orders, money spent and open balance per currency"},
    )


# --- orders ----------------------------------------------------------------------------------


class OrderItemOut(Schema):
    sku = fields.String()
    name = fields.String()
    quantity = fields.Integer()
    unit_price = Money(attribute="unit_price_minor")
    amount = Money(attribute="amount_minor", metadata={"description": "quantity × unitPrice"})


class PaymentOut(Schema):
    id = fields.String()
    order_id = fields.String()
    kind = fields.String(metadata={"description": "`payment` or `refund`"})
    amount = Money(attribute="amount_minor")
    currency = fields.String()
    method = fields.String()
    reference = fields.String()
    created_at = Timestamp()


class HistoryOut(Schema):
    action = fields.String(metadata={"description": "created | status | payment | refund"})
    field = fields.String(allow_none=True, metadata={"description": "status | paymentStatus"})
    from_ = fields.String(attribute="from_value", data_key="from", allow_none=True)
    to = fields.String(attribute="to_value", allow_none=True)
    amount = Money(attribute="amount_minor", allow_none=True)
    actor_id = fields.String(allow_none=True)
    actor_email = fields.String()
    created_at = Timestamp()

    def on_bind_field(self, field_name: str, field_obj: Any) -> None:
        if field_name != "from_":  # `from` is a keyword: keep its data_key as declared
            super().on_bind_field(field_name, field_obj)


class OrderOut(Schema):
    id = fields.String(metadata={"description": "UUID"})
    order_number = fields.String(metadata={"description": "Per-organization sequence"})
    status = fields.String(metadata={"description": " · ".join(states.STATUSES)})
    payment_status = fields.String(metadata={"description": " · ".join(states.PAYMENT_STATUSES)})
    customer_id = fields.String()
    currency = fields.String(metadata={"description": "ISO 4217 code"})
    subtotal = Money(attribute="subtotal_minor")
    total = Money(attribute="total_minor")
    amount_paid = Money(attribute="paid_minor")
    amount_refunded = Money(attribute="refunded_minor")
    open_balance = fields.Method("_open_balance", metadata={"type": "number"})
    allowed_statuses = fields.Method(
        "_allowed", metadata={"type": "array", "items": {"type": "string"}}
    )
    items = fields.List(fields.Nested(OrderItemOut))
    notes = fields.String()
    created_at = Timestamp()
    updated_at = Timestamp()

    def _open_balance(self, order: Any) -> Decimal:
        owed = states.open_balance(
            order.total_minor, order.paid_minor, order.status, order.payment_status
        )
        return money.to_decimal(owed, order.currency)

    def _allowed(self, order: Any) -> list[str]:
        return states.allowed_moves(order.status)


class OrderDetailOut(OrderOut):
    payments = fields.List(fields.Nested(PaymentOut))
    history = fields.List(fields.Nested(HistoryOut))


class OrderItemIn(Schema):
    """Typed in the document; checked by the domain (`domain.parse_lines`), which names the
    line's field as `items[2].unitPrice`."""

    class Meta:
        unknown = INCLUDE  # refused by the domain, named like the other line errors

    sku = fields.Raw(required=True, metadata={"type": "string", "maxLength": 100})
    name = fields.Raw(required=True, metadata={"type": "string", "maxLength": 300})
    quantity = fields.Raw(required=True, metadata={"type": "integer", "minimum": 1})
    unit_price = fields.Raw(required=True, metadata=_amount_in)

    @post_load
    def _as_domain_takes_it(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        """Lines reach the domain with the API's names, so its errors say `unitPrice`."""
        return {camel(k): v for k, v in data.items()}


class OrderCreate(Schema):
    customer_id = fields.String(required=True, metadata={"description": "A customer's UUID"})
    currency = fields.String(required=True, metadata={"description": "ISO 4217, e.g. USD"})
    items = fields.List(
        fields.Nested(OrderItemIn),
        required=True,
        metadata={"description": "1 to 500 lines"},
    )
    notes = fields.String(load_default="", validate=validators.Length(max=10_000))


class StatusIn(Schema):
    status = fields.String(required=True, metadata={"description": " · ".join(states.STATUSES)})


class PaymentIn(Schema):
    amount = fields.Raw(required=True, metadata=_amount_in)
    method = fields.String(load_default="", metadata={"description": "e.g. card, wire, cash"})
    reference = fields.String(load_default="", metadata={"description": "e.g. a bank reference"})


class RefundIn(Schema):
    amount = fields.Raw(
        load_default=None,
        metadata={**_amount_in, "description": "Default: everything not yet refunded"},
    )
    reference = fields.String(load_default="")


def _when(value: str, field: str, end_of_day: bool) -> datetime:
    from blueprints.core.errors import InvalidRequest

    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidRequest(
            f"'{field}' must be an ISO-8601 date or date-time",
            field=field,
            reason="not a date",
        ) from None
    if len(value) == 10 and end_of_day:  # a bare date: the whole of that day
        parsed = datetime.combine(parsed.date(), time.max)
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)
    except OverflowError:  # 9999-12-31T23:59:59-12:00: no such time in UTC
        raise InvalidRequest(
            f"'{field}' is out of range once in UTC", field=field, reason="out of range"
        ) from None


class OrderQuery(PageQuery):
    status = fields.String(load_default=None, validate=validators.OneOf(states.STATUSES))
    payment_status = fields.String(
        load_default=None, validate=validators.OneOf(states.PAYMENT_STATUSES)
    )
    customer = fields.String(
        load_default=None,
        validate=validators.Length(max=36),
        metadata={"description": "A customer's id"},
    )
    created_from = fields.String(
        load_default=None,
        validate=validators.Length(max=40),
        metadata={"description": "ISO-8601 date or date-time (UTC when no offset)"},
    )
    created_to = fields.String(
        load_default=None,
        validate=validators.Length(max=40),
        metadata={"description": "ISO-8601; a bare date includes that whole day"},
    )
    q = fields.String(
        load_default=None,
        validate=validators.Length(max=40),
        metadata={"description": "An order number, or its beginning"},
    )


def order_filters(query: dict[str, Any]) -> dict[str, Any]:
    """`list_orders` keyword arguments from a loaded OrderQuery (dates parsed; 400 naming
    `createdFrom` / `createdTo` when not ISO-8601)."""
    return {
        "status": query.get("status"),
        "payment_status": query.get("payment_status"),
        "customer_id": query.get("customer"),
        "created_from": query.get("created_from")
        and _when(query["created_from"], "createdFrom", False),
        "created_to": query.get("created_to") and _when(query["created_to"], "createdTo", True),
        "q": query.get("q"),
    }
