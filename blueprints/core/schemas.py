"""Schema building blocks: camelCase JSON, UTC timestamps, pagination envelopes.

The same schemas validate input (unknown fields → 400) and document the API in OpenAPI.
`fields` is Sparki's field vocabulary (`core.fields`): its `String` (and `Email`, `URL`)
refuse NUL and unpaired surrogates, so every schema built from it does too.
"""

from __future__ import annotations

import os
from datetime import datetime
from typing import Any

from apiflask import Schema as _Schema
from apiflask import validators
from marshmallow import EXCLUDE, RAISE, pre_load

from . import fields
from .dump import plain, plan
from .models import iso_utc
from .text import camel

__all__ = [
    "Schema",
    "QuerySchema",
    "Timestamp",
    "PageQuery",
    "page_of",
    "SuccessOut",
    "fields",
    "validators",
    "camel",
]


class Schema(_Schema):
    """Base schema: snake_case attributes, camelCase on the wire, unknown fields rejected."""

    class Meta:
        unknown = RAISE

    # JSON bodies carry real numbers and booleans: 1.5 for an integer is a 400, not a silent
    # 1, and 0 or "yes" for a boolean is a 400, not a silent false or true.
    strict_integers = True
    strict_booleans = True

    def on_bind_field(self, field_name: str, field_obj: Any) -> None:
        field_obj.data_key = camel(field_obj.data_key or field_name)
        if self.strict_integers and isinstance(field_obj, fields.Integer):
            field_obj.strict = True
        if isinstance(field_obj, fields.Boolean):
            field_obj.strict = self.strict_booleans

    _CROSSCHECK = os.environ.get("SPARKI_DUMP_CROSSCHECK") == "1"
    _plan: Any = False  # not made yet; None when marshmallow must dump this schema itself

    def dump(self, obj: Any, *, many: bool | None = None) -> Any:
        """`marshmallow.Schema.dump`, through the schema's plan where it has one (core.dump)."""
        if self._plan is False:
            self._plan = plan(self)
        if self._plan is None:
            return super().dump(obj, many=many)
        many = self.many if many is None else bool(many)
        before = super().dump(obj, many=many) if self._CROSSCHECK else None
        dump = self._plan
        result = [dump(each) for each in obj] if many and obj is not None else dump(obj)
        if self._CROSSCHECK and (result != before or _shape(result) != _shape(before)):
            # A value that follows the clock (a running deployment's duration) may differ
            # between dumps: dumped again after the plan, it must lie between the two.
            after = super().dump(obj, many=many)
            if not _between(result, before, after):
                raise AssertionError(f"{type(self).__name__}: {result!r} != {before!r}")
        return result


class QuerySchema(Schema):
    """Query strings tolerate unknown keys (cache busters, UTM tags) but validate known ones.

    An empty value (`?role=` from an "All" option of a filter form) means "not given".
    """

    class Meta:
        unknown = EXCLUDE

    strict_integers = False  # query strings are text: "2" is an integer here
    strict_booleans = False  # and "true" (or "1") a boolean

    @pre_load
    def _drop_empty(self, data: Any, **kwargs: Any) -> Any:
        if hasattr(data, "items"):
            return {k: v for k, v in data.items() if v != ""}
        return data


class Timestamp(fields.DateTime):
    """ISO-8601 UTC with a trailing Z."""

    @plain
    def _serialize(self, value: datetime | None, attr: Any, obj: Any, **kwargs: Any):
        return None if value is None else iso_utc(value)


def _shape(value: Any) -> Any:
    """The types along with the values: 1 == 1.0 == True in Python, not in JSON."""
    if isinstance(value, dict):
        return {key: _shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_shape(item) for item in value]
    return type(value).__name__


def _between(value: Any, low: Any, high: Any) -> bool:
    """`value` has the shape of `low` and `high`, and each of its leaves equals theirs or lies
    between them (numbers, and ISO timestamps, which sort as text)."""
    if isinstance(value, dict):
        return (
            isinstance(low, dict)
            and isinstance(high, dict)
            and value.keys() == low.keys() == high.keys()
            and all(_between(value[key], low[key], high[key]) for key in value)
        )
    if isinstance(value, list):
        return (
            isinstance(low, list)
            and isinstance(high, list)
            and len(value) == len(low) == len(high)
            and all(_between(*each) for each in zip(value, low, high, strict=True))
        )
    if type(value) is not type(low) or type(value) is not type(high):
        return False
    if value in (low, high):
        return True
    ordered = isinstance(value, int | float | str) and not isinstance(value, bool)
    return ordered and min(low, high) <= value <= max(low, high)


class PageQuery(QuerySchema):
    page = fields.Integer(load_default=1, validate=validators.Range(min=1, max=1_000_000))
    limit = fields.Integer(load_default=20, validate=validators.Range(min=1, max=100))
    cursor = fields.String(load_default=None, validate=validators.Length(max=500))


class PaginationOut(Schema):
    page = fields.Integer()
    limit = fields.Integer()
    total = fields.Integer()
    total_pages = fields.Integer()
    next_cursor = fields.String(allow_none=True)


_page_schemas: dict[str, type[Schema]] = {}


def page_of(item: type[Schema]) -> type[Schema]:
    """`{"data": [item], "pagination": {...}}` for a list endpoint (one class per item)."""
    name = f"{item.__name__.removesuffix('Out')}Page"
    if name not in _page_schemas:
        _page_schemas[name] = type(
            name,
            (Schema,),
            {
                "data": fields.List(fields.Nested(item)),
                "pagination": fields.Nested(PaginationOut),
            },
        )
    return _page_schemas[name]


class SuccessOut(Schema):
    success = fields.Boolean()
    message = fields.String()
