"""Domain rules: every status pair through change_status, and the home card figures."""

from __future__ import annotations

import itertools
from decimal import Decimal

import pytest

from blueprints.core.errors import Conflict
from blueprints.core.extensions import db
from blueprints.orders import domain, states
from blueprints.orders.models import Order
from blueprints.users.models import Organization, User

ITEM = {"sku": "A", "name": "a", "quantity": 2, "unitPrice": Decimal("10.50")}


@pytest.fixture
def actor(app, factory):
    org_id = factory.org("Domain Co", crm=True)
    user_id = factory.user(org_id, roles=["maintainer"])
    with app.app_context():
        user = db.session.get(User, user_id)
        yield db.session.get(Organization, org_id), user


def test_every_status_pair_through_the_domain(actor):
    """One order, set to each status in turn, asked to move to each status."""
    org, user = actor
    customer = domain.create_customer(org, user, name="C", email="c@example.com")
    order = domain.create_order(org, user, customer_id=customer.id, currency="USD", items=[ITEM])
    allowed = {(x, y) for x in states.STATUSES for y in states.STATUS_MOVES[x]}
    for a, b in itertools.product(states.STATUSES, repeat=2):
        db.session.get(Order, order.id).status = a
        db.session.commit()
        if (a, b) in allowed:
            assert domain.change_status(org, user, order.id, b).status == b
        else:
            with pytest.raises(Conflict) as err:
                domain.change_status(org, user, order.id, b)
            assert err.value.details["allowed"] == states.allowed_moves(a), (a, b)
            assert db.session.get(Order, order.id).status == a
    history = db.session.get(Order, order.id).history
    assert [(h.from_value, h.to_value) for h in history[1:]] == sorted(
        allowed, key=lambda m: (states.STATUSES.index(m[0]), states.STATUSES.index(m[1]))
    )


def test_home_summary(actor):
    org, user = actor
    customer = domain.create_customer(org, user, name="C", email="c@example.com")
    a = domain.create_order(org, user, customer_id=customer.id, currency="USD", items=[ITEM])
    b = domain.create_order(
        org, user, customer_id=customer.id, currency="JPY", items=[{**ITEM, "unitPrice": 700}]
    )
    domain.create_order(org, user, customer_id=customer.id, currency="USD", items=[ITEM])
    domain.record_payment(org, user, a.id, amount=Decimal("5.25"))
    domain.change_status(org, user, b.id, "cancelled")
    card = domain.home_summary(org, user)
    assert card == {"enabled": True, "orders_today": 3, "balances": ["36.75 USD"]}
    org.modules = {**org.modules, "crm": False}
    assert domain.home_summary(org, user) == {"enabled": False}


def test_quote_prices_lines_and_reports_errors():
    lines = [ITEM, {**ITEM, "unitPrice": Decimal("1.234")}, {**ITEM, "quantity": Decimal(3)}]
    q = domain.quote("usd", lines)
    assert q.currency == "USD" and q.subtotal_minor == 2100 + 3150
    assert q.amounts[1] is None and q.errors[1] == "Unit price: at most 2 decimals for USD"
    assert str(q.subtotal) == "52.50"
    bad = domain.quote("nope", [ITEM])
    assert bad.currency is None and bad.error
