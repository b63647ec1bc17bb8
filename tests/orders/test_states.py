"""The state machines, walked exhaustively: every (from, to) pair against the tables."""

from __future__ import annotations

import itertools

import pytest

from blueprints.orders import states

EXPECTED_MOVES = {
    ("placed", "fulfilled"),
    ("fulfilled", "delivered"),
    ("placed", "cancelled"),
    ("fulfilled", "cancelled"),
    ("fulfilled", "refunded"),
    ("delivered", "refunded"),
}


@pytest.mark.parametrize(("a", "b"), list(itertools.product(states.STATUSES, repeat=2)))
def test_every_status_pair(a, b):
    assert states.can_move(a, b) is ((a, b) in EXPECTED_MOVES)
    assert (b in states.allowed_moves(a)) is ((a, b) in EXPECTED_MOVES)


def test_tables_cover_every_state():
    assert set(states.STATUS_MOVES) == set(states.STATUSES)
    assert set(states.PAYMENT_MOVES) == set(states.PAYMENT_STATUSES)
    for targets in states.STATUS_MOVES.values():
        assert targets <= set(states.STATUSES)


def test_payment_status_for_follows_the_payment_table():
    """Every reachable (total, paid, refunded) step moves along PAYMENT_MOVES."""
    total = 100
    amounts = [0, 1, 50, 99, 100]
    for paid_before, paid_after in itertools.product(amounts, repeat=2):
        if paid_after < paid_before:
            continue
        before = states.payment_status_for(total, paid_before, 0)
        after = states.payment_status_for(total, paid_after, 0)
        assert after == before or states.can_move_payment(before, after), (before, after)
    for paid in amounts[1:]:
        for refunded in range(0, paid + 1, max(paid // 3, 1)):
            before = states.payment_status_for(total, paid, 0)
            after = states.payment_status_for(total, paid, refunded)
            assert after == before or states.can_move_payment(before, after), (before, after)
    assert states.payment_status_for(total, 0, 0) == "unpaid"
    assert states.payment_status_for(total, 40, 0) == "partially_paid"
    assert states.payment_status_for(total, 100, 0) == "paid"
    assert states.payment_status_for(total, 100, 100) == "refunded"
    assert states.payment_status_for(total, 100, 30) == "paid"


@pytest.mark.parametrize(("a", "b"), list(itertools.product(states.PAYMENT_STATUSES, repeat=2)))
def test_no_move_leaves_refunded(a, b):
    if a == "refunded":
        assert not states.can_move_payment(a, b)
