"""The money rules: ISO 4217 exponents from CLDR (Babel), exact parsing, exact sums."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from blueprints.core.errors import InvalidRequest
from blueprints.orders import money
from blueprints.orders.domain import parse_lines


@pytest.mark.parametrize(("code", "digits"), [("USD", 2), ("EUR", 2), ("JPY", 0), ("KWD", 3)])
def test_exponents_come_from_the_table(code, digits):
    assert money.exponent(code) == digits
    assert code in money.currencies()


@pytest.mark.parametrize("code", ["XXX", "XTS", "DEM", "FRF", "ABC", "", "usdd", None, 12])
def test_unknown_or_withdrawn_codes_are_refused(code):
    with pytest.raises(InvalidRequest) as err:
        money.normalize_currency(code)
    assert err.value.field == "currency"


def test_lower_case_code_is_normalized():
    assert money.normalize_currency("usd") == "USD"


def test_seed_example_is_exact():
    lines = parse_lines([{"sku": "A", "name": "B", "quantity": 8, "unitPrice": 289.50}], "USD")
    assert money.to_decimal(lines[0].amount_minor, "USD") == Decimal("2316.00")
    assert str(money.to_decimal(lines[0].amount_minor, "USD")) == "2316.00"


@pytest.mark.parametrize(
    ("value", "code", "minor"),
    [
        (Decimal("289.50"), "USD", 28950),
        (289.5, "USD", 28950),
        (0.1, "USD", 10),
        (Decimal("1.234"), "KWD", 1234),
        (1500, "JPY", 1500),
        (money.from_text(" 19.99 "), "EUR", 1999),  # a page's field
        (0, "USD", 0),
    ],
)
def test_parse_amount(value, code, minor):
    assert money.parse_amount(value, code, "x") == minor


@pytest.mark.parametrize(
    ("value", "code", "reason"),
    [
        (Decimal("289.505"), "USD", "at most 2 decimals for USD"),
        (Decimal("1.5"), "JPY", "at most 0 decimals for JPY"),
        (Decimal("1.2345"), "KWD", "at most 3 decimals for KWD"),
        (-1, "USD", "out of range"),
        (True, "USD", "not a number"),
        ("abc", "USD", "not a number"),
        ("19.99", "USD", "not a number"),  # JSON amounts are numbers, not text
        (money.from_text("12,50"), "USD", "not a number"),
        (Decimal("NaN"), "USD", "not a number"),
        (float("inf"), "USD", "not a number"),
        (None, "USD", "not a number"),
        ([1], "USD", "not a number"),
        (Decimal("1e20"), "USD", "too large"),
    ],
)
def test_parse_amount_refusals(value, code, reason):
    with pytest.raises(InvalidRequest) as err:
        money.parse_amount(value, code, "items[0].unitPrice")
    assert err.value.field == "items[0].unitPrice"
    assert err.value.details["reason"] == reason


def test_zero_may_be_refused():
    with pytest.raises(InvalidRequest):
        money.parse_amount(0, "USD", "amount", allow_zero=False)


CODES = st.sampled_from(["USD", "JPY", "KWD", "EUR", "CHF", "BHD", "CLP"])


@st.composite
def priced_lines(draw):
    code = draw(CODES)
    digits = money.exponent(code)
    n = draw(st.integers(min_value=1, max_value=12))
    lines = []
    for _ in range(n):
        minor = draw(st.integers(min_value=0, max_value=10**9))
        qty = draw(st.integers(min_value=1, max_value=1000))
        lines.append((qty, Decimal(minor).scaleb(-digits)))
    return code, lines


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(priced_lines())
def test_totals_equal_the_exact_decimal_sum(case):
    """Whatever the prices, the server's subtotal is the exact Decimal sum of qty × price."""
    code, lines = case
    items = [{"sku": "S", "name": "N", "quantity": q, "unitPrice": p} for q, p in lines]
    parsed = parse_lines(items, code)
    subtotal = money.to_decimal(money.total(line.amount_minor for line in parsed), code)
    assert subtotal == sum((q * p for q, p in lines), Decimal(0))
    assert -subtotal.as_tuple().exponent == money.exponent(code)  # exactly its decimals


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(CODES, st.integers(min_value=0, max_value=money.MAX_MINOR))
def test_round_trip_never_drifts(code, minor):
    """minor → Decimal → float (a client's JSON) → back is the same amount, at any size."""
    as_decimal = money.to_decimal(minor, code)
    assert money.to_minor(as_decimal, code) == minor
    assert money.parse_amount(float(as_decimal), code, "x") == minor
    assert money.parse_amount(money.from_text(str(as_decimal)), code, "x") == minor


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.integers(min_value=1, max_value=10**6), min_size=1, max_size=30))
def test_split_payments_sum_exactly(parts):
    """Many small payments in cents add up to the total with no drift (what floats get wrong)."""
    total = money.total(parts)
    assert money.to_decimal(total, "USD") == sum(
        (money.to_decimal(p, "USD") for p in parts), Decimal(0)
    )
