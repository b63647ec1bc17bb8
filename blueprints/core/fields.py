"""Sparki's schema field types: apiflask's (marshmallow's), made strict where the input is JSON.

Feature schemas write `fields.String(...)` with `fields` imported from `blueprints.core.schemas`
(this module), so every string a schema loads, in a body or a query string, goes through
`String` below: a NUL character or an unpaired surrogate is a 400 naming the field instead of
a row the database refuses (a 500) or a command `exec` refuses (the runtime agent). A test walks
every schema and fails on a plain marshmallow string field.

`Boolean` takes JSON `true`/`false` only (marshmallow's own takes `0`, `"yes"`, `"t"`, `"on"`...:
`{"active": 0}` used to deactivate a user); in a query string, where everything is text, it
takes `true`/`false`/`1`/`0`. `Integer` gets a range that fits a 32-bit column unless its schema
gives a narrower one, so `2**64` is a 400 naming the field, not a 500 from the database.
"""

from __future__ import annotations

from datetime import UTC as _UTC
from typing import Any

from apiflask.fields import *  # noqa: F403 (the whole field vocabulary, String replaced below)
from apiflask.fields import URL as _URL
from apiflask.fields import AwareDateTime as _AwareDateTime
from apiflask.fields import Boolean as _Boolean
from apiflask.fields import DateTime as _DateTime
from apiflask.fields import Email as _Email
from apiflask.fields import Integer as _Integer
from apiflask.fields import String as _String
from marshmallow import validate as _validate

from .text import text_problem


class String(_String):
    """A string that rejects NUL (`\\u0000`) and unpaired UTF-16 surrogates."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        problem = text_problem(text)
        if problem:
            raise self.make_error("unsafe", problem=problem)
        return text

    default_error_messages = {"unsafe": "{problem}"}


Str = String


class Email(_Email, String):
    """An e-mail address, with String's checks."""


class URL(_URL, String):
    """A URL, with String's checks."""


Url = URL


class Boolean(_Boolean):
    """JSON `true` or `false` only; with `strict=False` (query strings) also the text
    `true`/`false`/`1`/`0`. `QuerySchema` relaxes its own fields; everything else is strict."""

    _QUERY_WORDS = {"true": True, "1": True, "false": False, "0": False}

    def __init__(self, *args: Any, strict: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.strict = strict

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> bool:
        if isinstance(value, bool):
            return value
        if not self.strict and isinstance(value, str) and value.lower() in self._QUERY_WORDS:
            return self._QUERY_WORDS[value.lower()]
        raise self.make_error("invalid")

    default_error_messages = {"invalid": "Not a boolean: use true or false."}


Bool = Boolean

# The range of a 32-bit signed integer column (PostgreSQL `integer`), the narrowest an
# integer input may be stored in.
INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1


class Integer(_Integer):
    """An integer that fits a 32-bit column: without a `Range` of its own it gets
    [-2**31, 2**31 - 1], so no integer input can overflow the column it is stored in."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not any(isinstance(v, _validate.Range) for v in self.validators):
            self.validators.append(_validate.Range(min=INT32_MIN, max=INT32_MAX))


Int = Integer


class _InUTC:
    """Read as an aware UTC datetime (a naive one is UTC). A time that exists in its own offset
    but not in UTC (`9999-12-31T23:59:59-12:00`, `0001-01-01T00:00:00+05:00`) is a validation
    error ("out of range"), where Python's conversion would raise OverflowError in a query."""

    default_error_messages = {"out_of_range": "Date-time out of range once in UTC."}

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        parsed = super()._deserialize(value, attr, data, **kwargs)  # type: ignore[misc]
        if parsed.tzinfo is None:
            return parsed.replace(tzinfo=_UTC)
        try:
            return parsed.astimezone(_UTC)
        except OverflowError:
            raise self.make_error("out_of_range") from None  # type: ignore[attr-defined]


class DateTime(_InUTC, _DateTime):
    """An ISO-8601 date-time, as an aware UTC datetime."""


class AwareDateTime(_InUTC, _AwareDateTime):
    """An ISO-8601 date-time with an offset (or `default_timezone`), as an aware UTC datetime."""
