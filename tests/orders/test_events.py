"""order.created, order.updated and order.paid go through the core emitter and reach a real
subscribed receiver (an HTTP server on 127.0.0.1), delivered by an RQ worker."""

from __future__ import annotations

import json

from blueprints.webhooks.signing import verify
from tests.orders.conftest import SEED_ITEM
from tests.webhooks.conftest import receiver, work  # noqa: F401 (fixtures)


def test_subscribed_webhook_receives_order_events(crm, receiver, work):  # noqa: F811
    hook = crm.api.post("/api/v1/webhooks", json={"url": receiver.url, "events": ["order.*"]})
    assert hook.status_code == 201, hook.get_json()
    secret = hook.get_json()["secret"]
    customer = crm.customer()
    order = crm.api.post(
        "/api/v1/crm/orders",
        json={"customerId": customer["id"], "currency": "USD", "items": [SEED_ITEM]},
    ).get_json()
    crm.api.patch(f"/api/v1/crm/orders/{order['id']}", json={"status": "fulfilled"})
    crm.api.post(f"/api/v1/crm/orders/{order['id']}/payments", json={"amount": 2316.00})
    work(until=lambda: len(receiver.requests) >= 4)
    got = receiver.wait_for(4)
    payloads = [json.loads(r.body) for r in got]
    assert all(verify(secret, r.body, r.headers) for r in got)
    by_type: dict[str, list] = {}
    for p in payloads:
        by_type.setdefault(p["event"], []).append(p["data"])
    created = by_type["order.created"][0]
    assert created["orderNumber"] == order["orderNumber"] and created["total"] == 2316.0
    changes = [u["changes"] for u in by_type["order.updated"]]
    assert {"status": {"from": "placed", "to": "fulfilled"}} in changes
    assert any(c.get("paymentStatus") == {"from": "unpaid", "to": "paid"} for c in changes)
    paid = by_type["order.paid"][0]
    assert paid["paymentStatus"] == "paid" and paid["amountPaid"] == 2316.0
    events = crm.api.get("/api/v1/events?type=order.paid").get_json()["data"]
    assert len(events) == 1
