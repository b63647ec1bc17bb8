"""Order numbers under concurrency: threads placing orders at once get unique, consecutive
numbers (the counter row is locked in each order's transaction)."""

from __future__ import annotations

import threading

import pytest

from blueprints.core.extensions import db
from blueprints.orders import domain
from blueprints.orders.models import Order
from blueprints.users.models import Organization, User
from tests.conftest import DB_KIND

THREADS, PER_THREAD = 6, 5

# SQLite serializes writers too, but a writer waits at most its busy timeout (5 s): on a loaded
# machine a queued order can give up with "database is locked" (a clean error, never a
# duplicate number). The contract is PostgreSQL's, where waiting on the row lock has no limit.
pytestmark = pytest.mark.skipif(DB_KIND != "postgresql", reason="row-lock queueing: PostgreSQL")


def test_concurrent_orders_get_unique_consecutive_numbers(app, factory):
    org_id = factory.org("Busy Co", crm=True)
    user_id = factory.user(org_id, roles=["admin"])
    with app.app_context():
        org, user = db.session.get(Organization, org_id), db.session.get(User, user_id)
        customer_id = domain.create_customer(org, user, name="C", email="c@example.com").id
        db.session.remove()
    start, errors = threading.Barrier(THREADS), []

    def place() -> None:
        try:
            with app.app_context():
                org, user = db.session.get(Organization, org_id), db.session.get(User, user_id)
                start.wait(60)
                for _ in range(PER_THREAD):
                    domain.create_order(
                        org,
                        user,
                        customer_id=customer_id,
                        currency="USD",
                        items=[{"sku": "A", "name": "a", "quantity": 1, "unitPrice": 1}],
                    )
                db.session.remove()
        except Exception as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=place) for _ in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors
    with app.app_context():
        numbers = sorted(n for (n,) in db.session.execute(db.select(Order.number)))
    total = THREADS * PER_THREAD
    assert numbers == list(range(domain.FIRST_ORDER_NUMBER, domain.FIRST_ORDER_NUMBER + total)), (
        DB_KIND,
        numbers,
    )
