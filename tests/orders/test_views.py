"""The CRM pages through the Flask test client: module off page and switch, customers,
the new order form's server-priced subtotal and line partials, order detail actions."""

from __future__ import annotations

import re

from blueprints.core.extensions import db
from blueprints.orders.models import Order

HX = {"HX-Request": "true"}


def test_module_off_page_and_switch(login_as, factory):
    org = factory.org("Off Co")
    admin, viewer = factory.user(org, roles=["admin"]), factory.user(org, roles=["viewer"])
    for path in ("/crm/orders", "/crm/customers", "/crm/orders/new"):
        r = login_as(viewer).get(path)
        assert r.status_code == 403 and b"The CRM module is off" in r.data
        assert b"enable-crm" not in r.data
    home = login_as(admin).get("/")
    assert b'href="/crm/orders"' not in home.data and b"orders-card" not in home.data
    client = login_as(admin)
    assert b"enable-crm" in client.get("/crm/orders").data
    r = client.post("/crm/module")
    assert r.status_code == 303 and r.headers["Location"].endswith("/crm/orders")
    assert client.get("/crm/orders").status_code == 200
    home = client.get("/")
    assert b'href="/crm/orders"' in home.data and b"orders-card" in home.data
    assert login_as(viewer).post("/crm/module").status_code == 403


def test_customer_pages(login_as, crm):
    client = login_as(crm.admin)
    r = client.post(
        "/crm/customers", data={"name": "Ada Diesel", "email": "ada@example.com"}, headers=HX
    )
    assert r.status_code == 204 and "/crm/customers/" in r.headers["HX-Redirect"]
    dup = client.post("/crm/customers", data={"name": "X", "email": "ADA@example.com"}, headers=HX)
    assert dup.status_code == 409 and b"already exists" in dup.data
    nul = client.post(
        "/crm/customers", data={"name": "A\x00", "email": "b@example.com"}, headers=HX
    )
    assert nul.status_code == 400
    listing = client.get("/crm/customers?q=diesel", headers=HX)
    assert b"Ada Diesel" in listing.data
    assert b"No customer matches" in client.get("/crm/customers?q=zzz", headers=HX).data
    detail = client.get(r.headers["HX-Redirect"])
    assert detail.status_code == 200 and b"No orders yet." in detail.data
    viewer_page = login_as(crm.viewer).get("/crm/customers")
    assert viewer_page.status_code == 200 and b"create-customer" not in viewer_page.data


def _order_form(customer_id: str, lines: dict[int, tuple[str, str, str, str]], **extra):
    data = {"customer_id": customer_id, "currency": "USD", **extra}
    for i, (sku, name, qty, price) in lines.items():
        data.update(
            {
                f"items-{i}-sku": sku,
                f"items-{i}-name": name,
                f"items-{i}-quantity": qty,
                f"items-{i}-unit_price": price,
            }
        )
    return data


def test_new_order_quote_lines_and_create(login_as, crm):
    client = login_as(crm.admin)
    customer = crm.customer()
    page = client.get(f"/crm/orders/new?customer={customer['id']}")
    assert page.status_code == 200 and b"items-0-sku" in page.data
    line = client.get("/crm/orders/new/line?i=3", headers=HX)
    assert b'name="items-3-sku"' in line.data and b"/crm/orders/new/line?i=4" in line.data
    assert client.get("/crm/orders/new/line?i=x", headers=HX).status_code == 400
    two = {0: ("A", "a", "1", "1.00"), 3: ("B", "b", "1", "2.00")}
    removed = client.post(
        "/crm/orders/new/line/remove", data={**_order_form(customer["id"], two), "drop": "3"}
    )
    assert b'hx-swap-oob="innerHTML"' in removed.data and b"1.00 USD" in removed.data
    assert b"3.00 USD" not in removed.data

    lines = {0: ("INJ-6.7-CR", "Injector", "8", "289.50"), 3: ("B", "Bolt", "2", "0.105")}
    quote = client.post("/crm/orders/quote", data=_order_form(customer["id"], lines), headers=HX)
    assert b"2,316.00 USD" in quote.data and b"Unit price: at most 2 decimals for USD" in quote.data
    bad = client.post("/crm/orders", data=_order_form(customer["id"], lines), headers=HX)
    assert bad.status_code == 400 and b"has more decimals than USD allows (2)" in bad.data
    assert b'name="items-1-unit_price" value="0.105"' in bad.data  # kept as typed, lines renumbered

    lines[3] = ("B", "Bolt", "2", "0.10")
    ok = client.post("/crm/orders", data=_order_form(customer["id"], lines), headers=HX)
    assert ok.status_code == 204
    order_url = ok.headers["HX-Redirect"]
    detail = client.get(order_url)
    assert b"2,316.20 USD" in detail.data and b"Mark fulfilled" in detail.data
    assert b"Mark delivered" not in detail.data


def test_order_detail_moves_payments_refunds(login_as, crm, app):
    client = login_as(crm.admin)
    order = crm.order(crm.customer()["id"])
    base = f"/crm/orders/{order['id']}"
    r = client.post(f"{base}/status", data={"status": "delivered"}, headers=HX)
    assert r.status_code == 409 and b"may move to fulfilled, cancelled" in r.data
    r = client.post(f"{base}/status", data={"status": "fulfilled"}, headers=HX)
    assert r.status_code == 200 and b"Mark delivered" in r.data
    r = client.post(f"{base}/payments", data={"amount": "9999"}, headers=HX)
    assert r.status_code == 400 and b"more than the open balance" in r.data
    r = client.post(f"{base}/payments", data={"amount": "2316.00", "method": "card"}, headers=HX)
    assert r.status_code == 200 and b"Payment recorded." in r.data
    assert re.search(rb'id="payment-status">paid<', r.data)
    assert b"payment-form" not in r.data and b"refund-form" in r.data
    r = client.post(f"{base}/refunds", data={"amount": ""}, headers=HX)
    assert re.search(rb'id="payment-status">refunded<', r.data)
    with app.app_context():
        assert db.session.get(Order, order["id"]).refunded_minor == 231600
    viewer = login_as(crm.viewer)
    assert (
        viewer.post(f"{base}/status", data={"status": "delivered"}, headers=HX).status_code == 403
    )
    assert b"move-delivered" not in viewer.get(base).data


def test_orders_list_filters_and_htmx_paging(login_as, crm):
    client = login_as(crm.admin)
    customer = crm.customer()
    for _ in range(3):
        crm.order(customer["id"])
    full = client.get("/crm/orders?limit=2")
    assert full.status_code == 200 and b"order-filters" in full.data and b"Next" in full.data
    part = client.get("/crm/orders?limit=2&page=2", headers=HX)
    assert b"order-filters" not in part.data and b"#1001" in part.data
    assert b"#1003" in client.get("/crm/orders?q=1003", headers=HX).data
    assert b"No orders." in client.get("/crm/orders?status=delivered", headers=HX).data
    assert client.get("/crm/orders?createdFrom=bad").status_code == 400
    other = login_as(crm.viewer).get(f"/crm/orders/{'0' * 8}-0000-0000-0000-{'0' * 12}")
    assert other.status_code == 404


def test_new_order_without_a_customer_asks_to_choose_one(login_as, crm):
    """Placing an order with no customer chosen said "No customer with id ''"."""
    client = login_as(crm.admin)
    crm.customer()
    lines = {0: ("INJ-6.7-CR", "Injector", "8", "289.50")}
    r = client.post("/crm/orders", data=_order_form("", lines), headers=HX)
    assert r.status_code == 400
    assert b"Choose the customer this order is for." in r.data
    assert b"No customer with id" not in r.data


def test_history_says_what_a_payment_or_refund_left_unchanged(login_as, crm):
    """A partial refund of a paid order read "Refund paid → paid" in the history."""
    client = login_as(crm.admin)
    order = crm.order(crm.customer()["id"])
    base = f"/crm/orders/{order['id']}"
    for amount in ("1000", "1316"):
        assert (
            client.post(f"{base}/payments", data={"amount": amount}, headers=HX).status_code == 200
        )
    r = client.post(f"{base}/refunds", data={"amount": "316"}, headers=HX)
    assert r.status_code == 200 and b"Refund recorded." in r.data
    history = r.data.split(b'id="order-history"', 1)[1]
    assert not re.search(rb"(?<!partially )paid \xe2\x86\x92 paid", history)  # "paid → paid"
    assert b"(still paid)" in history
    assert b"partially paid \xe2\x86\x92 paid" in history


def test_more_than_500_lines_on_the_page_are_refused_not_cut_to_500(login_as, crm, app):
    """The form kept the first 500 lines of 501+ and placed that order, silently dropping
    the rest (the API refuses more than 500 items)."""
    client = login_as(crm.admin)
    customer = crm.customer()
    lines = {i: (f"S{i}", "Part", "1", "1.00") for i in range(501)}
    quote = client.post("/crm/orders/quote", data=_order_form(customer["id"], lines), headers=HX)
    assert b"at most 500 items" in quote.data
    r = client.post("/crm/orders", data=_order_form(customer["id"], lines), headers=HX)
    assert r.status_code == 400 and b"at most 500 items" in r.data
    with app.app_context():
        assert db.session.query(Order).count() == 0
    del lines[500]
    r = client.post("/crm/orders", data=_order_form(customer["id"], lines), headers=HX)
    assert r.status_code == 204
    with app.app_context():
        assert db.session.query(Order).one().total_minor == 500_00


def test_nav_keeps_each_modules_pages_together_and_the_sku_hint_reads_as_a_hint(login_as, factory):
    """With crm and schedules on, the nav read "Customers, Sources, Orders, Workflows" (both
    features took positions 60 and 61); an empty SKU field showed "INJ-6.7-CR" as if typed."""
    org = factory.org("Both Co", crm=True, schedules=True)
    client = login_as(factory.user(org, roles=["admin"]))
    nav = client.get("/").data.split(b"<nav", 1)[1].split(b"</nav>", 1)[0].decode()
    labels = re.findall(r">\s*(Customers|Orders|Sources|Workflows|Schedules|Tasks)\s*<", nav)
    assert labels in (
        ["Customers", "Orders", "Sources", "Workflows", "Schedules", "Tasks"],
        ["Sources", "Workflows", "Schedules", "Tasks", "Customers", "Orders"],
    ), labels
    page = client.get("/crm/orders/new").data
    assert b'placeholder="e.g. INJ-6.7-CR"' in page
