"""The CRM API: customers, orders, status moves, payments, refunds, idempotency, filters."""

from __future__ import annotations

import json

from tests.core.helpers import assert_error
from tests.orders.conftest import SEED_ITEM

ORDERS = "/api/v1/crm/orders"
CUSTOMERS = "/api/v1/crm/customers"


# --- customers -------------------------------------------------------------------------------


def test_customer_crud_and_unique_email(crm):
    c = crm.customer(company="Diesel Works", phone="+1 555 0100", address="1 Main St", notes="VIP")
    assert c["email"] == "ada@example.com" and c["archived"] is False
    assert len(c["id"]) == 36  # a UUID
    dup = crm.api.post(CUSTOMERS, json={"name": "Other", "email": "ADA@example.com"})
    assert_error(dup, 409, "conflict", field="email")

    r = crm.api.patch(f"{CUSTOMERS}/{c['id']}", json={"phone": "+1 555 0199"})
    assert r.status_code == 200 and r.get_json()["phone"] == "+1 555 0199"
    got = crm.api.get(f"{CUSTOMERS}/{c['id']}").get_json()
    assert got["company"] == "Diesel Works" and got["totals"] == []

    r = crm.api.delete(f"{CUSTOMERS}/{c['id']}")
    assert r.status_code == 200 and r.get_json()["success"] is True
    assert_error(crm.api.get(f"{CUSTOMERS}/{c['id']}"), 404, "not_found")


def test_customer_search_and_pagination(crm):
    for i in range(5):
        crm.customer(name=f"Person {i}", email=f"p{i}@example.com")
    crm.customer(name="Zed Zulu", email="zed@zulu.example")
    body = crm.api.get(f"{CUSTOMERS}?q=zulu").get_json()
    assert [c["name"] for c in body["data"]] == ["Zed Zulu"]
    body = crm.api.get(f"{CUSTOMERS}?q=PERSON&limit=2&page=2").get_json()
    assert body["pagination"] == {
        "page": 2,
        "limit": 2,
        "total": 5,
        "totalPages": 3,
        "nextCursor": body["pagination"]["nextCursor"],
    }
    assert len(body["data"]) == 2
    assert_error(crm.api.get(f"{CUSTOMERS}?limit=0"), 400, "invalid_request", field="limit")


def test_customer_with_orders_cannot_be_deleted_but_can_be_archived(crm):
    c = crm.customer()
    crm.order(c["id"])
    body = assert_error(crm.api.delete(f"{CUSTOMERS}/{c['id']}"), 409, "conflict")
    assert "archive" in body["message"]
    r = crm.api.patch(f"{CUSTOMERS}/{c['id']}", json={"archived": True})
    assert r.get_json()["archived"] is True and r.get_json()["archivedAt"].endswith("Z")
    assert crm.api.get(CUSTOMERS).get_json()["data"] == []
    assert len(crm.api.get(f"{CUSTOMERS}?archived=true").get_json()["data"]) == 1
    # an archived customer takes no new orders
    r = crm.api.post(ORDERS, json={"customerId": c["id"], "currency": "USD", "items": [SEED_ITEM]})
    assert_error(r, 400, "invalid_request", field="customerId")


CUSTOMER_REFUSALS = [
    ({"name": "A", "email": "not-an-email"}, "email"),
    ({"name": "", "email": "a@example.com"}, "name"),
    ({"email": "a@example.com"}, "name"),
    ({"name": "A\u0000B", "email": "a@example.com"}, "name"),
    ({"name": "A", "email": "a@example.com", "extra": 1}, "extra"),
    ({"name": 5, "email": "a@example.com"}, "name"),
    ({"name": "A", "email": "a@example.com", "phone": "9" * 51}, "phone"),
]


def test_customer_bad_input_is_400(crm):
    for body, field in CUSTOMER_REFUSALS:
        assert_error(crm.api.post(CUSTOMERS, json=body), 400, "invalid_request", field=field)
    c = crm.customer()
    for body, field in [({"email": "x"}, "email"), ({"archived": "maybe"}, "archived")]:
        r = crm.api.patch(f"{CUSTOMERS}/{c['id']}", json=body)
        assert_error(r, 400, "invalid_request", field=field)


# --- orders ----------------------------------------------------------------------------------


def test_seed_example_order(crm):
    c = crm.customer()
    r = crm.api.post(ORDERS, json={"customerId": c["id"], "currency": "USD", "items": [SEED_ITEM]})
    assert r.status_code == 201
    text = r.get_data(as_text=True)
    assert '"subtotal":2316.00' in text and '"total":2316.00' in text
    assert '"unitPrice":289.50' in text
    order = json.loads(text)
    assert order["orderNumber"] == "1001"
    assert order["status"] == "placed" and order["paymentStatus"] == "unpaid"
    assert order["customerId"] == c["id"] and order["currency"] == "USD"
    assert order["items"] == [{**SEED_ITEM, "amount": 2316.0}]
    assert order["createdAt"].endswith("Z") and len(order["id"]) == 36
    assert order["allowedStatuses"] == ["fulfilled", "cancelled"]
    assert crm.order(c["id"])["orderNumber"] == "1002"


def test_currency_decimals_in_json(crm):
    c = crm.customer()
    yen = crm.order(
        c["id"], currency="JPY", items=[{"sku": "A", "name": "a", "quantity": 3, "unitPrice": 1500}]
    )
    assert yen["total"] == 4500
    r = crm.api.post(
        ORDERS,
        json={
            "customerId": c["id"],
            "currency": "kwd",
            "items": [{"sku": "B", "name": "b", "quantity": 2, "unitPrice": 1.005}],
        },
    )
    assert '"total":2.010' in r.get_data(as_text=True) and r.get_json()["currency"] == "KWD"


def _items(n: int) -> list[dict]:
    return [{"sku": f"S{i}", "name": "n", "quantity": 1, "unitPrice": 1} for i in range(n)]


ORDER_REFUSALS = [
    (
        {"items": [SEED_ITEM, SEED_ITEM, {**SEED_ITEM, "unitPrice": 289.505}]},
        "items[2].unitPrice",
    ),
    ({"items": [{**SEED_ITEM, "quantity": 2.5}]}, "items[0].quantity"),
    ({"items": [{**SEED_ITEM, "quantity": 0}]}, "items[0].quantity"),
    ({"items": [{**SEED_ITEM, "quantity": -3}]}, "items[0].quantity"),
    ({"items": [{**SEED_ITEM, "quantity": True}]}, "items[0].quantity"),
    ({"items": [{**SEED_ITEM, "unitPrice": -1}]}, "items[0].unitPrice"),
    ({"items": [{**SEED_ITEM, "unitPrice": "abc"}]}, "items[0].unitPrice"),
    ({"items": [{**SEED_ITEM, "unitPrice": "289.50"}]}, "items[0].unitPrice"),  # text: no
    ({"items": [{**SEED_ITEM, "quantity": "8"}]}, "items[0].quantity"),
    ({"items": [{**SEED_ITEM, "unitPrice": 1e300}]}, "items[0].unitPrice"),
    ({"items": [{**SEED_ITEM, "sku": ""}]}, "items[0].sku"),
    ({"items": [{**SEED_ITEM, "name": "x\u0000"}]}, "items[0].name"),
    ({"items": [{**SEED_ITEM, "name": 7}]}, "items[0].name"),
    ({"items": [{**SEED_ITEM, "colour": "red"}]}, "items[0].colour"),
    ({"currency": "XYZ"}, "currency"),
    ({"currency": "JPY", "items": [{**SEED_ITEM, "unitPrice": 1.5}]}, "items[0].unitPrice"),
    ({"items": []}, "items"),
    ({"items": _items(501)}, "items"),
    ({"customerId": "00000000-0000-0000-0000-000000000000"}, "customerId"),
    ({"items": [{**SEED_ITEM, "quantity": 10**6, "unitPrice": 10**9}] * 20}, "items"),
    ({"bogus": 1}, "bogus"),
]


def test_order_validation_names_the_field(crm):
    c = crm.customer()
    for change, field in ORDER_REFUSALS:
        body = {"customerId": c["id"], "currency": "USD", "items": [SEED_ITEM], **change}
        assert_error(crm.api.post(ORDERS, json=body), 400, "invalid_request", field=field)
    assert crm.api.get(ORDERS).get_json()["pagination"]["total"] == 0


def test_500_items_are_fine(crm):
    c = crm.customer()
    order = crm.order(c["id"], items=_items(500))
    assert len(order["items"]) == 500 and order["total"] == 500


def test_malformed_bodies_are_400(crm):
    order = crm.order(crm.customer()["id"])
    crm.api.post(f"{ORDERS}/{order['id']}/payments", json={"amount": 1})  # something to refund
    raws = [b"{", b"[]", b'"x"', b"null", b'{"customerId": 1, "currency": "USD", "items": {}}']
    raws += [b"\xff\xfe", b'{"amount": NaN}', b'{"amount": 1e999}']
    for url in (ORDERS, f"{ORDERS}/{order['id']}/payments", f"{ORDERS}/{order['id']}/refunds"):
        for raw in raws:
            r = crm.api.post(url, data=raw, headers={"Content-Type": "application/json"})
            assert_error(r, 400, "invalid_request")


def test_status_moves_and_conflict_names_allowed(crm):
    order = crm.order(crm.customer()["id"])
    url = f"{ORDERS}/{order['id']}"
    body = assert_error(
        crm.api.patch(url, json={"status": "delivered"}), 409, "conflict", field="status"
    )
    assert body["details"]["allowed"] == ["fulfilled", "cancelled"]
    assert "fulfilled, cancelled" in body["message"]
    assert crm.api.patch(url, json={"status": "fulfilled"}).get_json()["status"] == "fulfilled"
    got = crm.api.patch(url, json={"status": "delivered"}).get_json()
    assert got["status"] == "delivered" and got["allowedStatuses"] == ["refunded"]
    assert_error(
        crm.api.patch(url, json={"status": "shipped"}), 400, "invalid_request", field="status"
    )
    assert_error(crm.api.patch(url, json={"status": 3}), 400, "invalid_request", field="status")
    history = crm.api.get(url).get_json()["history"]
    assert [(h["action"], h["from"], h["to"]) for h in history] == [
        ("created", None, "placed"),
        ("status", "placed", "fulfilled"),
        ("status", "fulfilled", "delivered"),
    ]
    assert all(h["actorId"] == crm.admin and h["createdAt"].endswith("Z") for h in history)


def test_payments_until_paid_then_refund(crm):
    order = crm.order(crm.customer()["id"])
    pay = f"{ORDERS}/{order['id']}/payments"
    assert_error(
        crm.api.post(pay, json={"amount": 2316.01}), 400, "invalid_request", field="amount"
    )
    assert_error(crm.api.post(pay, json={"amount": 0}), 400, "invalid_request", field="amount")
    assert_error(crm.api.post(pay, json={"amount": 1.001}), 400, "invalid_request", field="amount")
    assert_error(crm.api.post(pay, json={}), 400, "invalid_request", field="amount")
    assert_error(crm.api.post(pay, json={"amount": "10"}), 400, "invalid_request", field="amount")
    r = crm.api.post(pay, json={"amount": 1000, "method": "wire", "reference": "BANK-1"})
    assert r.status_code == 201 and '"amount":1000.00' in r.get_data(as_text=True)
    got = crm.api.get(f"{ORDERS}/{order['id']}").get_json()
    assert got["paymentStatus"] == "partially_paid" and got["openBalance"] == 1316.0
    crm.api.post(pay, json={"amount": 1316.00})
    got = crm.api.get(f"{ORDERS}/{order['id']}").get_json()
    assert (
        got["paymentStatus"] == "paid" and got["amountPaid"] == 2316.0 and got["openBalance"] == 0
    )
    assert_error(crm.api.post(pay, json={"amount": 1}), 409, "conflict")

    refunds = f"{ORDERS}/{order['id']}/refunds"
    assert_error(
        crm.api.post(refunds, json={"amount": 5000}), 400, "invalid_request", field="amount"
    )
    assert_error(
        crm.api.post(refunds, json={"amount": "1"}), 400, "invalid_request", field="amount"
    )
    r = crm.api.post(refunds, json={"amount": 16})
    assert r.status_code == 201 and r.get_json()["kind"] == "refund"
    assert crm.api.get(f"{ORDERS}/{order['id']}").get_json()["paymentStatus"] == "paid"
    r = crm.api.post(refunds, json={})  # the rest
    assert r.get_json()["amount"] == 2300.0
    got = crm.api.get(f"{ORDERS}/{order['id']}").get_json()
    assert got["paymentStatus"] == "refunded" and got["amountRefunded"] == 2316.0
    assert_error(crm.api.post(refunds, json={}), 409, "conflict")
    assert [p["kind"] for p in got["payments"]] == ["payment", "payment", "refund", "refund"]
    steps = [(h["action"], h["from"], h["to"], h["amount"]) for h in got["history"][1:]]
    assert steps == [
        ("payment", "unpaid", "partially_paid", 1000.0),
        ("payment", "partially_paid", "paid", 1316.0),
        ("refund", "paid", "paid", 16.0),
        ("refund", "paid", "refunded", 2300.0),
    ]


def test_a_zero_total_order_is_paid_at_once(crm):
    """Nothing is owed, so nothing can be paid: it is paid (as Stripe marks a $0 invoice),
    not unpaid forever."""
    free = [{"sku": "GIFT", "name": "Sample", "quantity": 1, "unitPrice": 0}]
    order = crm.order(crm.customer()["id"], items=free)
    assert (order["total"], order["paymentStatus"], order["openBalance"]) == (0, "paid", 0)
    r = crm.api.post(f"{ORDERS}/{order['id']}/payments", json={"amount": 1})
    assert_error(r, 409, "conflict", field="amount")


def test_cancelled_order_takes_no_payment(crm):
    order = crm.order(crm.customer()["id"])
    crm.api.patch(f"{ORDERS}/{order['id']}", json={"status": "cancelled"})
    r = crm.api.post(f"{ORDERS}/{order['id']}/payments", json={"amount": 1})
    assert_error(r, 409, "conflict", field="amount")


def test_customer_totals_per_currency(crm):
    c = crm.customer()
    a = crm.order(c["id"])
    crm.order(
        c["id"],
        currency="EUR",
        items=[{"sku": "E", "name": "e", "quantity": 2, "unitPrice": 10.25}],
    )
    cancelled = crm.order(c["id"])
    crm.api.patch(f"{ORDERS}/{cancelled['id']}", json={"status": "cancelled"})
    crm.api.post(f"{ORDERS}/{a['id']}/payments", json={"amount": 316})
    text = crm.api.get(f"{CUSTOMERS}/{c['id']}").get_data(as_text=True)
    totals = json.loads(text)["totals"]
    assert totals == [
        {"currency": "EUR", "orders": 1, "spent": 0, "openBalance": 20.5},
        {"currency": "USD", "orders": 2, "spent": 316, "openBalance": 2000},
    ]
    assert '"openBalance":2000.00' in text and '"openBalance":20.50' in text


def test_idempotent_order_and_payment(crm):
    c = crm.customer()
    body = {"customerId": c["id"], "currency": "USD", "items": [SEED_ITEM]}
    first = crm.api.post(ORDERS, json=body, headers={"Idempotency-Key": "order-1"})
    again = crm.api.post(ORDERS, json=body, headers={"Idempotency-Key": "order-1"})
    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert first.get_data() == again.get_data()
    assert crm.api.get(ORDERS).get_json()["pagination"]["total"] == 1
    other = crm.api.post(
        ORDERS, json={**body, "notes": "x"}, headers={"Idempotency-Key": "order-1"}
    )
    assert_error(other, 409, "conflict", field="Idempotency-Key")

    pay = f"{ORDERS}/{first.get_json()['id']}/payments"
    for _ in range(2):
        r = crm.api.post(pay, json={"amount": 100}, headers={"Idempotency-Key": "pay-1"})
        assert r.status_code == 201
    assert crm.api.get(f"{ORDERS}/{first.get_json()['id']}").get_json()["amountPaid"] == 100
    refund = f"{ORDERS}/{first.get_json()['id']}/refunds"
    for _ in range(2):
        assert (
            crm.api.post(refund, json={}, headers={"Idempotency-Key": "ref-1"}).status_code == 201
        )
    assert crm.api.get(f"{ORDERS}/{first.get_json()['id']}").get_json()["amountRefunded"] == 100


def test_order_filters(crm):
    ada = crm.customer()
    bob = crm.customer(name="Bob", email="bob@example.com")
    first = crm.order(ada["id"])
    second = crm.order(bob["id"])
    crm.api.patch(f"{ORDERS}/{second['id']}", json={"status": "fulfilled"})
    crm.api.post(f"{ORDERS}/{first['id']}/payments", json={"amount": 1})

    def numbers(query: str) -> list[str]:
        r = crm.api.get(f"{ORDERS}?{query}")
        assert r.status_code == 200, r.get_json()
        return [o["orderNumber"] for o in r.get_json()["data"]]

    assert numbers("") == ["1002", "1001"]
    assert numbers("status=fulfilled") == ["1002"]
    assert numbers("paymentStatus=partially_paid") == ["1001"]
    assert numbers(f"customer={bob['id']}") == ["1002"]
    assert numbers("q=1001") == ["1001"] and numbers("q=100") == ["1002", "1001"]
    assert numbers("q=abc") == []
    created = first["createdAt"][:10]
    assert numbers(f"createdFrom={created}&createdTo={created}") == ["1002", "1001"]
    assert numbers("createdTo=2000-01-01") == []
    assert numbers("createdFrom=2999-01-01T00:00:00Z") == []
    assert_error(
        crm.api.get(f"{ORDERS}?createdFrom=yesterday"), 400, "invalid_request", field="createdFrom"
    )
    assert_error(crm.api.get(f"{ORDERS}?status=lost"), 400, "invalid_request", field="status")
    page = crm.api.get(f"{ORDERS}?limit=1").get_json()
    assert page["pagination"]["totalPages"] == 2 and page["pagination"]["nextCursor"]
    nxt = crm.api.get(f"{ORDERS}?limit=1&cursor={page['pagination']['nextCursor']}").get_json()
    assert [o["orderNumber"] for o in nxt["data"]] == ["1001"]


def test_openapi_documents_the_crm(client, crm):
    spec = crm.api.get("/api/v1/openapi.json").get_json()
    paths = spec["paths"]
    for path in (
        "/api/v1/crm/orders",
        "/api/v1/crm/orders/{order_id}/payments",
        "/api/v1/crm/customers",
    ):
        assert path in paths, sorted(paths)
    post = paths["/api/v1/crm/orders"]["post"]
    assert "requestBody" in post and "201" in post["responses"]


def test_hostile_numbers_and_search_text(crm):
    c = crm.customer()
    head = f'{{"customerId": "{c["id"]}", "currency": "USD", "items": [{{"sku": "A", "name": "a", '
    cases = {
        '"quantity": 1e1000000, "unitPrice": 1}]}': "items[0].quantity",
        '"quantity": 1, "unitPrice": 1e999999999}]}': "items[0].unitPrice",
        '"quantity": 1, "unitPrice": 1e-999999999}]}': "items[0].unitPrice",
        '"quantity": 1, "unitPrice": -0.0}]}': None,  # negative zero is zero: accepted
        '"quantity": 99999999999999999999, "unitPrice": 1}]}': "items[0].quantity",
    }
    for tail, field in cases.items():
        r = crm.api.post(ORDERS, data=head + tail, headers={"Content-Type": "application/json"})
        if field is None:
            assert r.status_code == 201 and r.get_json()["total"] == 0, r.get_json()
        else:
            assert_error(r, 400, "invalid_request", field=field)
    crm.customer(name="Under_score 100%", email="u@example.com")
    assert crm.api.get(f"{CUSTOMERS}?q=%25").get_json()["pagination"]["total"] == 1
    assert crm.api.get(f"{CUSTOMERS}?q=_").get_json()["pagination"]["total"] == 1
    assert_error(crm.api.get(f"{CUSTOMERS}?q=a%00b"), 400, "invalid_request")
    assert_error(crm.api.get(f"{ORDERS}/x%00y"), 400, "invalid_request")
