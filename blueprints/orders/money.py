"""Exact money: amounts are integer minor units (cents, yen, fils) tagged with an ISO 4217 code.

The number of decimals of each currency (its ISO 4217 "minor unit" exponent: USD 2, JPY 0,
KWD 3) comes from the Unicode CLDR data that Babel ships (`babel.numbers`), not from a
hand-typed table; the codes accepted are the ones CLDR lists as legal tender in some territory
today, so withdrawn codes (DEM, FRF) and funds/test codes (XTS, XXX) are refused.

Nothing here uses floats. `parse_amount` turns what a client sent (int, Decimal, or a float
that the JSON layer produced; never text: the API's amounts are JSON numbers, and a page reads
its text field with `from_text` first) into minor units, refusing more decimals than the
currency has;
`to_decimal` gives the amount back as a `Decimal` with exactly the currency's decimals.
Amounts are capped at `MAX_MINOR` (15 significant digits) so that every amount also survives
a trip through an IEEE double in a client's JSON parser.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from babel.core import get_global
from babel.numbers import get_currency_precision

from blueprints.core.errors import InvalidRequest

MAX_MINOR = 10**15 - 1  # the largest amount, in minor units, any order, line or payment may hold


@lru_cache(maxsize=1)
def currencies() -> frozenset[str]:
    """ISO 4217 codes that are legal tender in some territory today (CLDR via Babel)."""
    today = date.today().isoformat()
    codes = set()
    for entries in get_global("territory_currencies").values():
        for code, start, end, tender in entries:
            started = start is None or _cldr_date(start) <= today
            ended = end is not None and _cldr_date(end) < today
            if tender and started and not ended:
                codes.add(code)
    return frozenset(codes)


def _cldr_date(value: tuple[int, int, int]) -> str:
    year, month, day = value
    return f"{year:04d}-{month:02d}-{day:02d}"


def normalize_currency(code: object, field: str = "currency") -> str:
    """`code` upper-cased if it is a current ISO 4217 currency; else InvalidRequest on `field`."""
    if not isinstance(code, str) or code.upper().strip() not in currencies():
        raise InvalidRequest(
            f"'{code}' is not an ISO 4217 currency code in use (e.g. USD, EUR, JPY)",
            field=field,
            reason="unknown currency",
        )
    return code.upper().strip()


def exponent(currency: str) -> int:
    """Decimals of `currency`'s minor unit (USD 2, JPY 0, KWD 3)."""
    return int(get_currency_precision(currency))


def to_decimal(minor: int, currency: str) -> Decimal:
    """`minor` units as a Decimal with exactly the currency's decimals (231600 USD → 2316.00)."""
    return (
        Decimal(minor).scaleb(-exponent(currency)).quantize(Decimal(1).scaleb(-exponent(currency)))
    )


def to_minor(amount: Decimal, currency: str) -> int:
    """A finite Decimal with at most the currency's decimals, in minor units.

    Done on the Decimal's digits with integer arithmetic, not in a decimal context: a context
    would round `1E-999999999` to zero instead of refusing it. Raises ValueError when the
    amount has more decimals than the currency allows (trailing zeros do not count).
    """
    sign, digits, exp = amount.as_tuple()
    if not isinstance(exp, int):
        raise ValueError(f"{amount} is not a finite number")
    text = "".join(map(str, digits)).rstrip("0")
    if not text:
        return 0
    exp += len(digits) - len(text)  # the trailing zeros moved into the exponent
    shift = exp + exponent(currency)
    if shift < 0:
        raise ValueError(f"{amount} has more decimals than {currency} allows")
    value = int(text) * 10**shift
    return -value if sign else value


def _as_decimal(value: object) -> Decimal | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | Decimal):
        return Decimal(value)
    if isinstance(value, float):
        # repr() is the shortest text that reads back as this double: what the client typed
        # when it had at most 15 significant digits, which MAX_MINOR guarantees below.
        return Decimal(repr(value))
    return None


def from_text(text: str | None) -> Decimal | str:
    """A form field's text (`" 2316.50 "`) as a Decimal for `parse_amount`; text that does not
    read as a number comes back unchanged, and `parse_amount` refuses it as not a number."""
    cleaned = (text or "").strip()
    try:
        return Decimal(cleaned)
    except InvalidOperation:
        return cleaned


def parse_amount(value: object, currency: str, field: str, *, allow_zero: bool = True) -> int:
    """What a client sent as an amount of `currency`, in minor units.

    Accepts an int, a Decimal or a float from a JSON parser; text, even numeric, is not a
    number (pages convert theirs with `from_text`). Raises
    InvalidRequest on `field` for: not a number, NaN/infinity, negative (or zero when not
    `allow_zero`), more decimals than the currency has, or more than `MAX_MINOR` minor units.
    """
    amount = _as_decimal(value)
    if amount is None or not amount.is_finite():
        raise InvalidRequest(f"'{field}' must be a number", field=field, reason="not a number")
    if amount < 0 or (amount == 0 and not allow_zero):
        bound = "zero or more" if allow_zero else "more than zero"
        raise InvalidRequest(f"'{field}' must be {bound}", field=field, reason="out of range")
    digits = exponent(currency)
    if amount.adjusted() > 18:  # far past MAX_MINOR: refuse before scaling a huge number
        raise InvalidRequest(f"'{field}' is too large", field=field, reason="too large")
    try:
        minor = to_minor(amount, currency)
    except ValueError:
        raise InvalidRequest(
            f"'{field}' has more decimals than {currency} allows ({digits})",
            field=field,
            reason=f"at most {digits} decimals for {currency}",
        ) from None
    if minor > MAX_MINOR:
        raise InvalidRequest(
            f"'{field}' is too large (at most {to_decimal(MAX_MINOR, currency)} {currency})",
            field=field,
            reason="too large",
        )
    return minor


def line_amount(quantity: int, unit_minor: int) -> int:
    """A line's amount in minor units: quantity × unit price, exact."""
    return quantity * unit_minor


def total(amounts: Iterable[int]) -> int:
    """The exact sum of amounts in minor units."""
    return sum(amounts, 0)


def format_amount(minor: int, currency: str) -> str:
    """`2,316.00 USD`: for pages (digits grouped, the currency's decimals, the code after)."""
    return f"{to_decimal(minor, currency):,} {currency}"
