"""HTML routes: Customers (list, search, create, detail), Orders (list with filters, new
order with a server-priced subtotal, detail with the allowed moves, payments and history).

Every route calls the same domain functions as `api.py`. While the `crm` module is off every
page answers 403 with a page saying so (and, for admins, the switch that turns it on).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Blueprint, request, url_for
from flask_login import login_required
from werkzeug.datastructures import MultiDict

from blueprints.core.api import page_params, paginate
from blueprints.core.audit import audit_action, not_audited
from blueprints.core.errors import DomainError, InvalidRequest
from blueprints.core.htmx import apply_domain_error, hx_redirect_or, page_actor, render

from . import domain, money, states
from .forms import CustomerForm, OrderForm, PaymentForm, RefundForm
from .schemas import CustomerQuery, OrderQuery, order_filters

bp = Blueprint("orders", __name__, template_folder="templates", url_prefix="/crm")


def crm_page(view: Callable) -> Callable:
    """login_required, then the module check: while `crm` is off, the "module is off" page."""

    @wraps(view)
    @login_required
    def wrapper(*args: Any, **kwargs: Any):
        org, actor = page_actor()
        if not (org.modules or {}).get("crm"):
            from blueprints.users.domain import can_change_organization

            return render(
                "orders/module_off.html",
                None,
                can_switch=can_change_organization(actor),
            ), 403
        return view(*args, **kwargs)

    return wrapper


@bp.post("/module")
@login_required
@audit_action("org.update_organization")
def enable_module():
    """The "module is off" page's switch (admins): turn `crm` on, as the Organization page does."""
    from blueprints.users.domain import update_organization

    org, actor = page_actor()
    update_organization(org, actor, modules={"crm": True})
    target = url_for("orders.orders")
    return hx_redirect_or(target, ("", 303, {"Location": target}))


# --- customers -------------------------------------------------------------------------------


def _customers_page():
    org, actor = page_actor()
    query = page_params(request.args, CustomerQuery)
    archived = {"false": False, "true": True, "all": None}[query["archived"]]
    stmt = domain.list_customers(org, actor, q=query.get("q"), archived=archived)
    return paginate(stmt, query), query


@bp.get("/customers")
@crm_page
def customers():
    org, actor = page_actor()
    page, query = _customers_page()
    return render(
        "orders/customers.html",
        "orders/_customers_table.html",
        page=page,
        q=query.get("q") or "",
        archived=query["archived"],
        form=CustomerForm(formdata=None),
        can_manage=domain.can_manage_orders(actor),
    )


@bp.post("/customers")
@crm_page
@audit_action("crm.create_customer")
def create_customer():
    org, actor = page_actor()
    form = CustomerForm()
    if form.validate_on_submit():
        try:
            customer = domain.create_customer(
                org,
                actor,
                name=form.name.data,
                email=form.email.data,
                company=form.company.data or "",
                phone=form.phone.data or "",
                address=form.address.data or "",
                notes=form.notes.data or "",
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
            return render("orders/_customer_form.html", None, form=form), exc.status
        target = url_for("orders.customer", customer_id=customer.id)
        return hx_redirect_or(target, ("", 303, {"Location": target}))
    return render("orders/_customer_form.html", None, form=form), 400


@bp.get("/customers/<customer_id>")
@crm_page
def customer(customer_id):
    org, actor = page_actor()
    item = domain.get_customer(org, actor, customer_id)
    query = page_params(request.args)
    orders = paginate(domain.list_orders(org, actor, customer_id=item.id), query)
    return render(
        "orders/customer.html",
        "orders/_customer_orders.html",
        customer=item,
        figures=domain.customer_figures(org, actor, item.id),
        orders=orders,
        can_manage=domain.can_manage_orders(actor),
        money=money,
    )


@bp.post("/customers/<customer_id>/archive")
@crm_page
@audit_action("crm.update_customer")
def archive_customer(customer_id):
    org, actor = page_actor()
    archived = request.form.get("archived") == "1"
    domain.update_customer(org, actor, customer_id, archived=archived)
    target = url_for("orders.customer", customer_id=customer_id)
    return hx_redirect_or(target, ("", 303, {"Location": target}))


@bp.post("/customers/<customer_id>/delete")
@crm_page
@audit_action("crm.delete_customer")
def delete_customer(customer_id):
    org, actor = page_actor()
    domain.delete_customer(org, actor, customer_id)
    target = url_for("orders.customers")
    return hx_redirect_or(target, ("", 303, {"Location": target}))


# --- orders list -----------------------------------------------------------------------------


@bp.get("/orders")
@crm_page
def orders():
    org, actor = page_actor()
    query = page_params(request.args, OrderQuery)
    filters = order_filters(query)
    page = paginate(domain.list_orders(org, actor, **filters), query)
    params = {
        k: v
        for k, v in {
            "status": query.get("status"),
            "paymentStatus": query.get("payment_status"),
            "customer": query.get("customer"),
            "createdFrom": query.get("created_from"),
            "createdTo": query.get("created_to"),
            "q": query.get("q"),
        }.items()
        if v
    }
    return render(
        "orders/orders.html",
        "orders/_orders_table.html",
        page=page,
        params=params,
        statuses=states.STATUSES,
        payment_statuses=[(s, s.replace("_", " ").capitalize()) for s in states.PAYMENT_STATUSES],
        customers=_customer_choices(org, actor),
        can_manage=domain.can_manage_orders(actor),
        money=money,
    )


def _customer_choices(org, actor) -> list[tuple[str, str]]:
    stmt = domain.list_customers(org, actor).order_by(domain.Customer.name).limit(500)
    from blueprints.core.extensions import db

    return [(c.id, f"{c.name} <{c.email}>") for c in db.session.execute(stmt).scalars()]


# --- new order -------------------------------------------------------------------------------

_LINE_FIELD = re.compile(r"items\[(\d+)\]\.(sku|name|quantity|unitPrice)$")


def _order_form(org, actor, formdata: Any = None) -> OrderForm:
    form = OrderForm(formdata=formdata) if formdata is not None else OrderForm()
    form.customer_id.choices = [("", "Choose a customer…"), *_customer_choices(org, actor)]
    if request.method == "GET" and request.args.get("customer"):
        form.customer_id.data = request.args["customer"]
    return form


def _show_error(form: OrderForm, exc: DomainError) -> None:
    """A line's error (`items[2].unitPrice`) beside that line's field; others as usual."""
    match = _LINE_FIELD.match(exc.field or "")
    if match:
        i, name = int(match.group(1)), match.group(2)
        if i < len(form.items.entries):
            sub = form.items.entries[i].form
            target = getattr(sub, "unit_price" if name == "unitPrice" else name)
            target.errors = [*list(target.errors), exc.message.split("' ", 1)[-1]]
            return
    if exc.field == "items":  # about the lines as a whole (none, too many, total too large)
        form.form_errors.append(exc.message)
        return
    if exc.field == "customerId":
        required = exc.details.get("reason") == "required"
        message = "Choose the customer this order is for." if required else exc.message
        form.customer_id.errors = [*list(form.customer_id.errors), message]
        return
    apply_domain_error(form, exc)


@bp.get("/orders/new")
@crm_page
def new_order():
    org, actor = page_actor()
    form = _order_form(org, actor, formdata=None)
    return render(
        "orders/new.html",
        None,
        form=form,
        quote=domain.quote(form.currency.data, form.item_dicts()),
        next_index=len(form.items.entries),
        can_manage=domain.can_manage_orders(actor),
    )


@bp.get("/orders/new/line")
@crm_page
def new_line():
    """One more empty line (index `i`), and the Add button for the line after it."""
    try:
        i = int(request.args.get("i", "0"))
    except ValueError:
        raise InvalidRequest(
            "'i' must be a whole number", field="i", reason="not an integer"
        ) from None
    if not 0 <= i < 100_000:
        raise InvalidRequest("'i' is out of range", field="i", reason="out of range")
    form = OrderForm(formdata=MultiDict({f"items-{i}-quantity": "1"}))
    entry = form.items.entries[0]
    return render("orders/_line.html", None, line=entry.form, index=i, add_next=i + 1)


@bp.post("/orders/new/line/remove")
@crm_page
@not_audited
def remove_line():
    """Remove line `drop` in place: an empty body replaces its row, and the subtotal comes
    back out of band, priced from the form as posted without that line (so no request can
    price the row while it is still on the page)."""
    org, actor = page_actor()
    drop = request.form.get("drop", "")
    prefix = f"items-{drop}-"
    rest = MultiDict(
        [(k, v) for k, v in request.form.items(multi=True) if not k.startswith(prefix)]
    )
    form = _order_form(org, actor, formdata=rest)
    return render(
        "orders/_quote_oob.html", None, quote=domain.quote(form.currency.data, form.item_dicts())
    )


@bp.post("/orders/quote")
@crm_page
@not_audited
def quote():
    """The New order form's subtotal, priced by the server from the form as typed."""
    org, actor = page_actor()
    form = _order_form(org, actor, formdata=request.form)
    return render(
        "orders/_quote.html",
        None,
        quote=domain.quote(form.currency.data, form.item_dicts()),
    )


@bp.post("/orders")
@crm_page
@audit_action("crm.create_order")
def create_order():
    org, actor = page_actor()
    form = _order_form(org, actor, formdata=request.form)
    status = 400
    if form.validate_on_submit():
        try:
            order = domain.create_order(
                org,
                actor,
                customer_id=form.customer_id.data,
                currency=form.currency.data,
                items=form.item_dicts(),
                notes=form.notes.data or "",
            )
        except DomainError as exc:
            _show_error(form, exc)
            status = exc.status
        else:
            target = url_for("orders.order", order_id=order.id)
            return hx_redirect_or(target, ("", 303, {"Location": target}))
    return render(
        "orders/_order_form.html",
        None,
        form=form,
        quote=domain.quote(form.currency.data, form.item_dicts()),
        next_index=_next_index(form),
    ), status


def _next_index(form: OrderForm) -> int:
    indices = [int(e.id.rsplit("-", 1)[-1]) for e in form.items.entries if e.id[-1].isdigit()]
    return max(indices, default=-1) + 1


# --- order detail ----------------------------------------------------------------------------


def _order_context(org, actor, order, **extra: Any) -> dict[str, Any]:
    balance = domain.open_balance_minor(order)
    payment_form = PaymentForm(formdata=None)
    if balance:
        payment_form.amount.data = str(money.to_decimal(balance, order.currency))
    return {
        "order": order,
        "moves": states.allowed_moves(order.status),
        "balance": balance,
        "refundable": order.paid_minor - order.refunded_minor,
        "payment_form": extra.pop("payment_form", None) or payment_form,
        "refund_form": extra.pop("refund_form", None) or RefundForm(formdata=None),
        "can_manage": domain.can_manage_orders(actor),
        "money": money,
        **extra,
    }


@bp.get("/orders/<order_id>")
@crm_page
def order(order_id):
    org, actor = page_actor()
    item = domain.get_order(org, actor, order_id)
    return render("orders/order.html", None, **_order_context(org, actor, item))


def _order_part(org, actor, order_id, status: int = 200, **extra: Any):
    item = domain.get_order(org, actor, order_id)
    return render("orders/_order.html", None, **_order_context(org, actor, item, **extra)), status


@bp.post("/orders/<order_id>/status")
@crm_page
@audit_action("crm.update_order")
def change_status(order_id):
    org, actor = page_actor()
    try:
        domain.change_status(org, actor, order_id, request.form.get("status", ""))
    except DomainError as exc:
        if exc.status == 404:
            raise
        return _order_part(org, actor, order_id, exc.status, notice=exc.message)
    return _order_part(org, actor, order_id)


@bp.post("/orders/<order_id>/payments")
@crm_page
@audit_action("crm.create_payment")
def pay(order_id):
    org, actor = page_actor()
    form = PaymentForm()
    if not form.validate_on_submit():
        return _order_part(org, actor, order_id, 400, payment_form=form)
    try:
        domain.record_payment(
            org,
            actor,
            order_id,
            amount=money.from_text(form.amount.data),
            method=form.method.data or "",
            reference=form.reference.data or "",
        )
    except DomainError as exc:
        if exc.status == 404:
            raise
        apply_domain_error(form, exc)
        return _order_part(org, actor, order_id, exc.status, payment_form=form)
    return _order_part(org, actor, order_id, notice="Payment recorded.")


@bp.post("/orders/<order_id>/refunds")
@crm_page
@audit_action("crm.create_refund")
def refund(order_id):
    org, actor = page_actor()
    form = RefundForm()
    if not form.validate_on_submit():
        return _order_part(org, actor, order_id, 400, refund_form=form)
    try:
        text = (form.amount.data or "").strip()
        amount = money.from_text(text) if text else None  # empty: everything refundable
        domain.refund(org, actor, order_id, amount=amount)
    except DomainError as exc:
        if exc.status == 404:
            raise
        apply_domain_error(form, exc)
        return _order_part(org, actor, order_id, exc.status, refund_form=form)
    return _order_part(org, actor, order_id, notice="Refund recorded.")
