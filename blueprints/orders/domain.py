"""What the CRM does: customers, orders, status moves, payments, refunds, history, events.

Functions take the organization and the acting user, raise DomainErrors naming the field in
the API's camelCase, and commit once. Money is integer minor units throughout (`money`); the
state machines are the tables in `states`. Any role may read; admins and maintainers write
(API.md "Roles": maintainers handle orders).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, time
from typing import Any

from sqlalchemy import Select, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from blueprints.core.auth import has_role, require_role
from blueprints.core.errors import Conflict, InvalidRequest, NotFound
from blueprints.core.events import emit
from blueprints.core.extensions import db
from blueprints.core.models import get_in_org, scoped, utcnow
from blueprints.core.text import text_problem
from blueprints.core.types import Actor, Org

from . import money, states
from .models import Counter, Customer, Order, OrderChange, OrderItem, Payment

MANAGERS = ("maintainer",)  # with admin: who may change customers and orders
MAX_ITEMS = 500
MAX_QUANTITY = 1_000_000
FIRST_ORDER_NUMBER = 1001

# --- who may do what -------------------------------------------------------------------------


def can_manage_orders(actor: Actor) -> bool:
    """Whether `actor` may create and change customers, orders, payments and refunds."""
    return has_role(actor, *MANAGERS)


def _manage(actor: Actor, action: str) -> None:
    require_role(actor, *MANAGERS, action=action)


# --- text ------------------------------------------------------------------------------------


def _text(value: Any, field: str, *, max_len: int, required: bool = False) -> str:
    """`value` stripped; InvalidRequest on `field` when not text, too long, empty when
    required, or holding NUL / an unpaired surrogate."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise InvalidRequest(f"'{field}' must be text", field=field, reason="not a string")
    value = value.strip()
    problem = text_problem(value)
    if problem:
        raise InvalidRequest(f"'{field}' {problem}", field=field, reason=problem)
    if required and not value:
        raise InvalidRequest(f"'{field}' is required", field=field, reason="required")
    if len(value) > max_len:
        raise InvalidRequest(
            f"'{field}' is longer than {max_len} characters", field=field, reason="too long"
        )
    return value


def _email(value: Any) -> str:
    from email_validator import EmailNotValidError, validate_email

    text = _text(value, "email", max_len=254, required=True)
    try:
        validate_email(text, check_deliverability=False)
    except EmailNotValidError as exc:
        raise InvalidRequest(
            f"'{text}' is not an e-mail address: {exc}", field="email", reason="invalid email"
        ) from exc
    return text.lower()


# --- customers -------------------------------------------------------------------------------

CUSTOMER_LIMITS = {"name": 200, "company": 200, "phone": 50, "address": 1000, "notes": 10_000}


def list_customers(
    org: Org, actor: Actor, *, q: str | None = None, archived: bool | None = False
) -> Select:
    """The organization's customers as a statement to paginate; `q` matches name or email
    (case-insensitive, substring); `archived` False (default) hides archived ones, True shows
    only them, None shows all."""
    stmt = scoped(Customer, org)
    if q:
        text = q.strip().lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        like = f"%{text}%"
        stmt = stmt.where(
            or_(
                func.lower(Customer.name).like(like, escape="\\"),
                func.lower(Customer.email).like(like, escape="\\"),
            )
        )
    if archived is True:
        stmt = stmt.where(Customer.archived_at.is_not(None))
    elif archived is False:
        stmt = stmt.where(Customer.archived_at.is_(None))
    return stmt


def get_customer(org: Org, actor: Actor, customer_id: str) -> Customer:
    """One customer of the organization. Raises NotFound."""
    return get_in_org(Customer, org, customer_id)


def _email_taken(org: Org, email: str, exclude: str | None = None) -> bool:
    stmt = select(Customer.id).where(Customer.org_id == org.id, Customer.email == email)
    if exclude:
        stmt = stmt.where(Customer.id != exclude)
    return db.session.execute(stmt).first() is not None


def _email_conflict(email: str) -> Conflict:
    return Conflict(
        f"A customer with the e-mail '{email}' already exists",
        field="email",
        reason="already exists",
    )


def _commit_customer(email: str) -> None:
    try:
        db.session.commit()
    except IntegrityError as exc:  # two requests racing for the same e-mail
        db.session.rollback()
        raise _email_conflict(email) from exc


def create_customer(
    org: Org,
    actor: Actor,
    *,
    name: str,
    email: str,
    company: str = "",
    phone: str = "",
    address: str = "",
    notes: str = "",
) -> Customer:
    """Create a customer. Raises PermissionDenied, InvalidRequest (a field) and Conflict
    (`email` already used by a customer of the organization, archived ones included)."""
    _manage(actor, "create customers")
    values = {
        "name": _text(name, "name", max_len=CUSTOMER_LIMITS["name"], required=True),
        "email": _email(email),
        **{
            key: _text(value, key, max_len=CUSTOMER_LIMITS[key])
            for key, value in (
                ("company", company),
                ("phone", phone),
                ("address", address),
                ("notes", notes),
            )
        },
    }
    if _email_taken(org, values["email"]):
        raise _email_conflict(values["email"])
    customer = Customer(org_id=org.id, **values)
    db.session.add(customer)
    _commit_customer(values["email"])
    return customer


def update_customer(org: Org, actor: Actor, customer_id: str, **changes: Any) -> Customer:
    """Change the given fields (name, email, company, phone, address, notes) and archive or
    restore (`archived: bool`). Raises NotFound, PermissionDenied, InvalidRequest, Conflict."""
    _manage(actor, "change customers")
    customer = get_in_org(Customer, org, customer_id)
    for key, value in changes.items():
        if value is None:
            continue
        if key == "archived":
            if value and customer.archived_at is None:
                customer.archived_at = utcnow()
            elif not value:
                customer.archived_at = None
        elif key == "email":
            email = _email(value)
            if email != customer.email and _email_taken(org, email, exclude=customer.id):
                raise _email_conflict(email)
            customer.email = email
        elif key in CUSTOMER_LIMITS:
            setattr(
                customer,
                key,
                _text(value, key, max_len=CUSTOMER_LIMITS[key], required=key == "name"),
            )
        else:
            raise InvalidRequest(f"Unknown field '{key}'", field=key, reason="unknown field")
    _commit_customer(customer.email)
    return customer


def delete_customer(org: Org, actor: Actor, customer_id: str) -> None:
    """Delete a customer that has no orders. Raises NotFound, PermissionDenied, and Conflict
    when the customer has orders (archive them instead)."""
    _manage(actor, "delete customers")
    customer = get_in_org(Customer, org, customer_id)
    count = db.session.execute(
        select(func.count()).select_from(Order).where(Order.customer_id == customer.id)
    ).scalar_one()
    if count:
        raise Conflict(
            f"This customer has {count} order(s) and cannot be deleted; archive it instead",
            field="id",
            reason="has orders",
            details={"orders": count},
        )
    db.session.delete(customer)
    db.session.commit()


@dataclass(frozen=True)
class CurrencyFigures:
    """Per-currency figures of a customer (minor units)."""

    currency: str
    orders: int
    spent_minor: int  # paid minus refunded
    open_balance_minor: int  # still owed on orders that are not cancelled or refunded

    @property
    def spent(self):
        return money.to_decimal(self.spent_minor, self.currency)

    @property
    def open_balance(self):
        return money.to_decimal(self.open_balance_minor, self.currency)


def open_balance_minor(order: Order) -> int:
    """What is still owed on `order` (minor units): zero once it is cancelled or refunded."""
    return states.open_balance(
        order.total_minor, order.paid_minor, order.status, order.payment_status
    )


def customer_figures(org: Org, actor: Actor, customer_id: str) -> list[CurrencyFigures]:
    """The customer's orders, money spent and open balance, one row per currency.
    Raises NotFound."""
    customer = get_in_org(Customer, org, customer_id)
    rows: dict[str, list[int]] = {}
    for order in db.session.execute(
        scoped(Order, org).where(Order.customer_id == customer.id)
    ).scalars():
        row = rows.setdefault(order.currency, [0, 0, 0])
        row[0] += 1
        row[1] += order.paid_minor - order.refunded_minor
        row[2] += open_balance_minor(order)
    return [CurrencyFigures(c, *rows[c]) for c in sorted(rows)]


# --- order lines and totals ------------------------------------------------------------------


@dataclass(frozen=True)
class Line:
    sku: str
    name: str
    quantity: int
    unit_price_minor: int

    @property
    def amount_minor(self) -> int:
        return money.line_amount(self.quantity, self.unit_price_minor)


def _quantity(value: Any, field: str) -> int:
    from decimal import Decimal

    if (
        isinstance(value, Decimal)
        and value.is_finite()
        and value.adjusted() < 10
        and value == value.to_integral_value()
    ):
        value = int(value)  # a page's field, read by `money.from_text`
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidRequest(
            f"'{field}' must be a whole number", field=field, reason="not an integer"
        )
    if not 1 <= value <= MAX_QUANTITY:
        raise InvalidRequest(
            f"'{field}' must be between 1 and {MAX_QUANTITY}", field=field, reason="out of range"
        )
    return value


def parse_lines(items: Any, currency: str) -> list[Line]:
    """Validate line items `[{sku, name, quantity, unitPrice}]` for `currency`.

    Raises InvalidRequest naming the field: `items` (not a list, empty, more than 500),
    `items[i].quantity` (not a positive whole number), `items[i].unitPrice` (negative, more
    decimals than the currency has, too large), `items[i].sku` / `items[i].name` (missing,
    too long). Also refuses a subtotal above `money.MAX_MINOR`.
    """
    if not isinstance(items, list) or not items:
        raise InvalidRequest("An order needs at least one item", field="items", reason="empty")
    if len(items) > MAX_ITEMS:
        raise InvalidRequest(
            f"An order has at most {MAX_ITEMS} items", field="items", reason="too many"
        )
    lines = []
    for i, item in enumerate(items):
        where = f"items[{i}]"
        if not isinstance(item, dict):
            raise InvalidRequest(
                f"'{where}' must be an object", field=where, reason="not an object"
            )
        unknown = sorted(set(item) - {"sku", "name", "quantity", "unitPrice"})
        if unknown:
            raise InvalidRequest(
                f"Unknown field '{where}.{unknown[0]}'",
                field=f"{where}.{unknown[0]}",
                reason="unknown field",
            )
        for key in ("quantity", "unitPrice"):
            if key not in item:
                raise InvalidRequest(
                    f"'{where}.{key}' is required", field=f"{where}.{key}", reason="required"
                )
        lines.append(
            Line(
                sku=_text(item.get("sku"), f"{where}.sku", max_len=100, required=True),
                name=_text(item.get("name"), f"{where}.name", max_len=300, required=True),
                quantity=_quantity(item["quantity"], f"{where}.quantity"),
                unit_price_minor=money.parse_amount(
                    item["unitPrice"], currency, f"{where}.unitPrice"
                ),
            )
        )
    subtotal = money.total(line.amount_minor for line in lines)
    if subtotal > money.MAX_MINOR:
        raise InvalidRequest(
            "The order's total is too large", field="items", reason="total too large"
        )
    return lines


@dataclass
class Quote:
    """What the New order form shows while one types: each line's amount or its error, and
    the subtotal of the valid lines (minor units). `error` is an error about the whole."""

    currency: str | None
    amounts: list[int | None] = field(default_factory=list)
    errors: list[str | None] = field(default_factory=list)
    subtotal_minor: int = 0
    error: str | None = None

    @property
    def subtotal(self):
        return money.to_decimal(self.subtotal_minor, self.currency) if self.currency else None

    def amount(self, i: int):
        value = self.amounts[i] if i < len(self.amounts) else None
        return (
            None if value is None or not self.currency else money.to_decimal(value, self.currency)
        )


LINE_LABELS = {"sku": "SKU", "name": "Item", "quantity": "Qty", "unitPrice": "Unit price"}


def line_error(exc: InvalidRequest) -> str:
    """A line's error as a page shows it beside the line: `Unit price: at most 2 decimals
    for USD` (the API's message names `items[i].unitPrice` instead)."""
    key = (exc.field or "").rsplit(".", 1)[-1]
    label = LINE_LABELS.get(key)
    reason = exc.details.get("reason")
    return f"{label}: {reason}" if label and reason else exc.message


def quote(currency: Any, items: list[dict[str, Any]]) -> Quote:
    """Price `items` in `currency` line by line without raising: the page's live subtotal.
    The server computes it with the same rules as `create_order`."""
    try:
        code = money.normalize_currency(currency)
    except InvalidRequest as exc:
        return Quote(None, [None] * len(items), [None] * len(items), 0, exc.message)
    result = Quote(code)
    for item in items[:MAX_ITEMS]:
        try:
            line = parse_lines([item], code)[0]
        except InvalidRequest as exc:
            result.amounts.append(None)
            result.errors.append(line_error(exc))
            continue
        result.amounts.append(line.amount_minor)
        result.errors.append(None)
        result.subtotal_minor += line.amount_minor
    if result.subtotal_minor > money.MAX_MINOR:
        result.error, result.subtotal_minor = "The order's total is too large", 0
    return result


# --- order numbers ---------------------------------------------------------------------------


def next_number(org: Org, name: str = "order_number") -> int:
    """The next value of the organization's sequence `name`, in the caller's transaction.

    `UPDATE … SET value = value + 1 … RETURNING value` takes the counter row's write lock
    (PostgreSQL: row lock; SQLite: the database write lock) until the transaction ends, so
    concurrent callers queue and each sees the previous one's committed value: numbers are
    unique and consecutive, and a rolled-back order gives its number back unseen.
    """
    bump = (
        update(Counter)
        .where(Counter.org_id == org.id, Counter.name == name)
        .values(value=Counter.value + 1)
        .returning(Counter.value)
    )
    value = db.session.execute(bump).scalar_one_or_none()
    if value is None:
        dialect = db.session.get_bind().dialect.name
        if dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as dialect_insert
        else:
            from sqlalchemy.dialects.sqlite import insert as dialect_insert
        db.session.execute(
            dialect_insert(Counter)
            .values(org_id=org.id, name=name, value=FIRST_ORDER_NUMBER - 1)
            .on_conflict_do_nothing()
        )
        value = db.session.execute(bump).scalar_one()
    return int(value)


# --- orders ----------------------------------------------------------------------------------


def list_orders(
    org: Org,
    actor: Actor,
    *,
    status: str | None = None,
    payment_status: str | None = None,
    customer_id: str | None = None,
    created_from: datetime | None = None,
    created_to: datetime | None = None,
    q: str | None = None,
) -> Select:
    """The organization's orders as a statement to paginate, filtered by status, payment
    status, customer, creation time (`created_from` ≤ createdAt ≤ `created_to`, UTC) and
    order number (`q`: the number or its beginning)."""
    stmt = scoped(Order, org)
    if status:
        stmt = stmt.where(Order.status == status)
    if payment_status:
        stmt = stmt.where(Order.payment_status == payment_status)
    if customer_id:
        stmt = stmt.where(Order.customer_id == customer_id)
    if created_from:
        stmt = stmt.where(Order.created_at >= created_from)
    if created_to:
        stmt = stmt.where(Order.created_at <= created_to)
    if q:
        digits = q.strip().lstrip("#")
        if not digits.isdigit() or len(digits) > 18:
            return stmt.where(Order.id.is_(None))  # no order number looks like that
        stmt = stmt.where(
            or_(Order.number == int(digits), func.cast(Order.number, db.String).like(f"{digits}%"))
        )
    return stmt


def get_order(org: Org, actor: Actor, order_id: str) -> Order:
    """One order of the organization, with items, payments and history. Raises NotFound."""
    return get_in_org(Order, org, order_id)


def _history(order: Order, actor: Actor, action: str, **values: Any) -> OrderChange:
    change = OrderChange(
        order_id=order.id,
        seq=len(order.history) + 1,
        action=action,
        actor_id=actor.id,
        actor_email=actor.email,
        created_at=utcnow(),
        **values,
    )
    order.history.append(change)
    return change


def event_data(order: Order) -> dict[str, Any]:
    """The order as events carry it: the API's camelCase fields, amounts as JSON numbers."""
    from .schemas import OrderOut, plain_json

    return plain_json(OrderOut().dump(order))


def create_order(
    org: Org,
    actor: Actor,
    *,
    customer_id: Any,
    currency: Any,
    items: Any,
    notes: str | None = "",
) -> Order:
    """Place an order: `status` placed, `paymentStatus` unpaid (paid when the total is zero:
    nothing is owed), the next order number, totals computed here. Emits `order.created`, and
    `order.paid` for a zero total.

    Raises PermissionDenied; InvalidRequest for `customerId` (unknown or archived),
    `currency`, `items…` (see `parse_lines`), `notes`.
    """
    _manage(actor, "create orders")
    code = money.normalize_currency(currency)
    customer = None
    if isinstance(customer_id, str) and customer_id:
        customer = db.session.execute(
            scoped(Customer, org).where(Customer.id == customer_id)
        ).scalar_one_or_none()
    if customer is None:
        raise InvalidRequest(
            f"No customer with id '{customer_id}'", field="customerId", reason="unknown customer"
        )
    if customer.archived:
        raise InvalidRequest(
            "This customer is archived; restore it to place orders",
            field="customerId",
            reason="archived customer",
        )
    lines = parse_lines(items, code)
    notes = _text(notes, "notes", max_len=10_000)
    subtotal = money.total(line.amount_minor for line in lines)
    now = utcnow()
    order = Order(
        org_id=org.id,
        number=next_number(org),
        customer_id=customer.id,
        currency=code,
        status="placed",
        payment_status=states.payment_status_for(subtotal, 0, 0),
        subtotal_minor=subtotal,
        total_minor=subtotal,
        paid_minor=0,
        refunded_minor=0,
        notes=notes,
        created_by=actor.id,
        created_at=now,
        updated_at=now,
        items=[
            OrderItem(
                position=i,
                sku=line.sku,
                name=line.name,
                quantity=line.quantity,
                unit_price_minor=line.unit_price_minor,
                amount_minor=line.amount_minor,
            )
            for i, line in enumerate(lines)
        ],
        payments=[],
        history=[],
    )
    db.session.add(order)
    _history(order, actor, "created", field="status", to_value="placed", amount_minor=subtotal)
    db.session.flush()
    emit(org, "order.created", event_data(order))
    if order.payment_status == "paid":  # a zero total: nothing is owed
        emit(org, "order.paid", event_data(order))
    db.session.commit()
    return order


def change_status(org: Org, actor: Actor, order_id: str, status: Any) -> Order:
    """Move the order to `status` along `states.STATUS_MOVES`. Emits `order.updated` with
    `changes.status {from, to}`.

    Raises NotFound, PermissionDenied, InvalidRequest (`status` not a status) and Conflict
    (a move the table does not allow; `details.allowed` lists the moves from here).
    """
    _manage(actor, "change orders")
    if status not in states.STATUSES:
        raise InvalidRequest(
            f"'status' must be one of {', '.join(states.STATUSES)}",
            field="status",
            reason="unknown status",
        )
    order = _locked_order(org, order_id)
    current = order.status
    if not states.can_move(current, status):
        allowed = states.allowed_moves(current)
        to = ", ".join(allowed) if allowed else "nothing (it is final)"
        raise Conflict(
            f"An order that is {current} cannot become {status}; it may move to {to}",
            field="status",
            reason="move not allowed",
            details={"from": current, "to": status, "allowed": allowed},
        )
    order.status = status
    order.updated_at = utcnow()
    _history(order, actor, "status", field="status", from_value=current, to_value=status)
    _emit_updated(org, order, {"status": {"from": current, "to": status}})
    db.session.commit()
    return order


def _locked_order(org: Org, order_id: str) -> Order:
    """The order, its row locked for this transaction on PostgreSQL (concurrent payments
    and moves on one order queue instead of overwriting each other's sums)."""
    if db.session.get_bind().dialect.name != "postgresql":
        # SQLite has no row locks: a no-op write takes the database's write lock now, so a
        # concurrent payment waits here instead of reading the sums this one will change.
        db.session.execute(
            update(Order)
            .where(Order.org_id == org.id, Order.id == order_id)
            .values(updated_at=Order.updated_at)
        )
    stmt = (
        scoped(Order, org)
        .where(Order.id == order_id)
        .with_for_update(of=Order)
        .execution_options(populate_existing=True)
    )
    order = db.session.execute(stmt).unique().scalar_one_or_none()
    if order is None:
        raise NotFound(f"No order with id '{order_id}'", details={"id": order_id})
    return order


def _emit_updated(org: Org, order: Order, changes: dict[str, Any]) -> None:
    db.session.flush()
    emit(org, "order.updated", {**event_data(order), "changes": changes})


def _move_payment(org: Org, actor: Actor, order: Order, action: str, amount: int) -> None:
    """Recompute the payment status after a payment or refund, record it, emit events."""
    before = order.payment_status
    after = states.payment_status_for(order.total_minor, order.paid_minor, order.refunded_minor)
    if after != before and not states.can_move_payment(before, after):  # pragma: no cover
        raise AssertionError(f"payment status {before} → {after} is not in PAYMENT_MOVES")
    order.payment_status = after
    order.updated_at = utcnow()
    _history(
        order,
        actor,
        action,
        field="paymentStatus",
        from_value=before,
        to_value=after,
        amount_minor=amount,
    )
    currency = order.currency
    changes: dict[str, Any] = {
        "amountPaid" if action == "payment" else "amountRefunded": float(
            money.to_decimal(
                order.paid_minor if action == "payment" else order.refunded_minor, currency
            )
        )
    }
    if after != before:
        changes["paymentStatus"] = {"from": before, "to": after}
    _emit_updated(org, order, changes)
    if after == "paid" and before != "paid":
        emit(org, "order.paid", event_data(order))


def record_payment(
    org: Org,
    actor: Actor,
    order_id: str,
    *,
    amount: Any,
    method: str | None = "",
    reference: str | None = "",
) -> Payment:
    """Record money received for the order (`amount` in the order's currency, more than 0, at
    most the open balance). Moves `paymentStatus` unpaid → partially_paid → paid; emits
    `order.updated`, and `order.paid` when it becomes paid.

    Raises NotFound, PermissionDenied, InvalidRequest (`amount`, `method`, `reference`) and
    Conflict (the order is cancelled or refunded, or nothing is owed).
    """
    _manage(actor, "record payments")
    order = _locked_order(org, order_id)
    minor = money.parse_amount(amount, order.currency, "amount", allow_zero=False)
    method = _text(method, "method", max_len=50)
    reference = _text(reference, "reference", max_len=200)
    balance = open_balance_minor(order)
    if balance == 0:
        why = f"it is {order.status}" if order.status in states.CLOSED else "it is paid in full"
        raise Conflict(f"This order takes no payment: {why}", field="amount", reason="nothing owed")
    if minor > balance:
        owed = money.to_decimal(balance, order.currency)
        raise InvalidRequest(
            f"'amount' is more than the open balance ({owed} {order.currency})",
            field="amount",
            reason="over the open balance",
            details={"openBalance": float(owed)},
        )
    payment = Payment(
        org_id=org.id,
        seq=len(order.payments) + 1,
        kind="payment",
        amount_minor=minor,
        method=method,
        reference=reference,
        created_by=actor.id,
        created_at=utcnow(),
    )
    order.payments.append(payment)
    order.paid_minor += minor
    _move_payment(org, actor, order, "payment", minor)
    db.session.commit()
    return payment


def refund(
    org: Org, actor: Actor, order_id: str, *, amount: Any = None, reference: str | None = ""
) -> Payment:
    """Give money back: `amount` (default: everything paid and not yet refunded). When the
    refunded sum reaches the paid sum, `paymentStatus` becomes refunded. Emits `order.updated`.

    Raises NotFound, PermissionDenied, InvalidRequest (`amount` more than is refundable) and
    Conflict (nothing to refund).
    """
    _manage(actor, "refund orders")
    order = _locked_order(org, order_id)
    refundable = order.paid_minor - order.refunded_minor
    if refundable <= 0:
        raise Conflict(
            "Nothing to refund: no payment on this order is left unrefunded",
            field="amount",
            reason="nothing to refund",
        )
    minor = (
        refundable
        if amount is None
        else money.parse_amount(amount, order.currency, "amount", allow_zero=False)
    )
    if minor > refundable:
        most = money.to_decimal(refundable, order.currency)
        raise InvalidRequest(
            f"'amount' is more than can be refunded ({most} {order.currency})",
            field="amount",
            reason="over the refundable amount",
            details={"refundable": float(most)},
        )
    payment = Payment(
        org_id=org.id,
        seq=len(order.payments) + 1,
        kind="refund",
        amount_minor=minor,
        method="",
        reference=_text(reference, "reference", max_len=200),
        created_by=actor.id,
        created_at=utcnow(),
    )
    order.payments.append(payment)
    order.refunded_minor += minor
    _move_payment(org, actor, order, "refund", minor)
    db.session.commit()
    return payment


# --- home card -------------------------------------------------------------------------------


def home_summary(org: Org, actor: Actor) -> dict[str, Any]:
    """The home card: whether CRM is on, orders placed today (UTC) and the open balance per
    currency (orders neither cancelled nor refunded)."""
    if not (org.modules or {}).get("crm"):
        return {"enabled": False}
    start = datetime.combine(utcnow().date(), time.min, tzinfo=UTC)
    today = db.session.execute(
        select(func.count())
        .select_from(Order)
        .where(Order.org_id == org.id, Order.created_at >= start)
    ).scalar_one()
    balances: dict[str, int] = {}
    open_orders = db.session.execute(
        select(Order.currency, Order.total_minor, Order.paid_minor).where(
            Order.org_id == org.id,
            Order.status.not_in(states.CLOSED),
            Order.payment_status.in_(("unpaid", "partially_paid")),
        )
    )
    for currency, total_minor, paid_minor in open_orders:
        balances[currency] = balances.get(currency, 0) + max(total_minor - paid_minor, 0)
    return {
        "enabled": True,
        "orders_today": today,
        "balances": [money.format_amount(balances[c], c) for c in sorted(balances) if balances[c]],
    }
