"""The order's two state machines, as data.

`STATUS_MOVES[a]` is the set of statuses an order in status `a` may move to by a status
change (PATCH); `PAYMENT_MOVES[a]` the payment statuses a payment or refund may move it to.
Every move the domain makes is checked against these tables, and the tests walk every pair.
"""

from __future__ import annotations

STATUSES = ("placed", "fulfilled", "delivered", "cancelled", "refunded")
PAYMENT_STATUSES = ("unpaid", "partially_paid", "paid", "refunded")

STATUS_MOVES: dict[str, frozenset[str]] = {
    "placed": frozenset({"fulfilled", "cancelled"}),
    "fulfilled": frozenset({"delivered", "cancelled", "refunded"}),
    "delivered": frozenset({"refunded"}),
    "cancelled": frozenset(),
    "refunded": frozenset(),
}

# A payment moves unpaid → partially_paid → paid (or straight to paid); partially_paid stays
# partially_paid on a further partial payment; a refund that brings the refunded sum to the
# paid sum moves a paid or partially paid order to refunded. Nothing leaves refunded.
PAYMENT_MOVES: dict[str, frozenset[str]] = {
    "unpaid": frozenset({"partially_paid", "paid"}),
    "partially_paid": frozenset({"partially_paid", "paid", "refunded"}),
    "paid": frozenset({"refunded"}),
    "refunded": frozenset(),
}

# Orders in these statuses take no more payments: their open balance is zero.
CLOSED = frozenset({"cancelled", "refunded"})


def allowed_moves(status: str) -> list[str]:
    """The statuses `status` may move to, in the order of STATUSES."""
    return [s for s in STATUSES if s in STATUS_MOVES[status]]


def can_move(current: str, target: str) -> bool:
    """Whether an order in `current` may move to `target` (never to itself)."""
    return target in STATUS_MOVES.get(current, frozenset())


def can_move_payment(current: str, target: str) -> bool:
    """Whether the payment status may go from `current` to `target`."""
    return target in PAYMENT_MOVES.get(current, frozenset())


def payment_status_for(total: int, paid: int, refunded: int) -> str:
    """The payment status the amounts (minor units) describe.

    Nothing owed and nothing paid (a zero total) → paid, as Stripe marks a $0 invoice paid;
    nothing paid → unpaid; everything paid refunded → refunded; paid ≥ total → paid;
    else partially_paid.
    """
    if paid <= 0:
        return "paid" if total <= 0 else "unpaid"
    if refunded >= paid:
        return "refunded"
    return "paid" if paid >= total else "partially_paid"


def open_balance(total: int, paid: int, status: str, payment_status: str) -> int:
    """What is still owed (minor units): total minus paid, zero once the order is cancelled
    or refunded (by status or by payment status)."""
    if status in CLOSED or payment_status == "refunded":
        return 0
    return max(total - paid, 0)
