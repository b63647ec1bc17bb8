"""A faster output path for marshmallow schemas: the same fields, the same JSON.

marshmallow serializes each value through several layers (`Field.serialize`, the accessor,
`_serialize`); on a list of 20 projects with their members that is about a third of the
request (issue 16). `plan(schema)` reads a schema's dump fields once and returns a function
that writes the same dict with one attribute read and, where needed, one conversion per
field. Schemas stay the one description of the API: they validate input and make the
OpenAPI document, and anything the plan does not know (Method and Function fields, custom
`_serialize`, Dict, Enum, `dump_default`, `as_string`) is still serialized by the field
itself. A schema with pre_dump or post_dump hooks, or its own `get_attribute`, is left to
marshmallow whole (`plan` returns None).

With SPARKI_DUMP_CROSSCHECK=1 (the test suite sets it) every dump is also made by
marshmallow and the two must be equal: the whole suite checks the plan against the original.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from marshmallow import Schema, fields
from marshmallow.decorators import POST_DUMP, PRE_DUMP
from marshmallow.utils import ensure_text_type, get_value, missing

Dumper = Callable[[Any], dict[str, Any]]


def _own(field: fields.Field, base: type) -> bool:
    """True when `field` serializes exactly as `base` does (no override of its own)."""
    return isinstance(field, base) and type(field)._serialize is base._serialize


def _value_of(field: fields.Field) -> Callable[[Any], Any] | None:
    """The conversion of a non-None value for `field`, or None when the field must do it."""
    if _own(field, fields.String):
        return lambda value: value if type(value) is str else ensure_text_type(value)
    if isinstance(field, fields.Number) and not field.as_string and _own(field, fields.Number):
        num_type = field.num_type
        if num_type in (int, float):
            return lambda value: value if type(value) is num_type else num_type(value)
        return None
    if _own(field, fields.Boolean):
        serialize = field._serialize
        return lambda value: value if type(value) is bool else serialize(value, None, None)
    if type(field) is fields.Raw:
        return lambda value: value
    if _own(field, fields.Nested) and not isinstance(field, fields.Pluck):
        schema = field.schema
        many = bool(schema.many or field.many)
        return lambda value: schema.dump(value, many=many)
    if _own(field, fields.List):
        inner = _value_of(field.inner)
        if inner is None:
            return None
        return lambda value: [None if each is None else inner(each) for each in value]
    serialize = getattr(type(field), "_serialize", None)
    if serialize is not None and getattr(serialize, "__sparki_plain__", False):
        own = field._serialize
        return lambda value: own(value, None, None)
    return None


def plain(method: Callable) -> Callable:
    """Mark a field's `_serialize` as depending only on the value (not on attr or obj), so a
    plan may call it directly (Sparki's Timestamp, for one)."""
    method.__sparki_plain__ = True
    return method


def plan(schema: Schema) -> Dumper | None:
    """A function dumping one object as `schema.dump(obj)` would, or None (see the module)."""
    if schema._hooks[PRE_DUMP] or schema._hooks[POST_DUMP]:
        return None
    if type(schema).get_attribute is not Schema.get_attribute:
        return None
    steps: list[tuple[str, str, Any, Any]] = []
    for name, field in schema.dump_fields.items():
        key = field.data_key if field.data_key is not None else name
        convert = _value_of(field) if field._CHECK_ATTRIBUTE else None
        if convert is None or field.dump_default is not missing:
            steps.append((key, name, field, None))
        else:
            steps.append((key, field.attribute or name, None, convert))

    accessor = schema.get_attribute

    def dump(obj: Any) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, attr, field, convert in steps:
            if convert is None:
                value = field.serialize(attr, obj, accessor=accessor)
                if value is not missing:
                    out[key] = value
                continue
            value = get_value(obj, attr, missing)
            if value is missing:
                continue
            out[key] = None if value is None else convert(value)
        return out

    return dump
