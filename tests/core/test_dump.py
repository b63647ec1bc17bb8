"""The schemas' dump plans (core.dump) write exactly what marshmallow writes.

The whole suite also checks every API answer this way (SPARKI_DUMP_CROSSCHECK in
tests/conftest.py); these cases cover what its answers may not: every field kind the plan
converts itself, the ones it leaves to the field, values missing or None, dict and object
sources, lists and nesting.
"""

from __future__ import annotations

import decimal
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from apiflask import Schema as MarshmallowSchema
from marshmallow import post_dump

from blueprints.core.dump import plan
from blueprints.core.schemas import Schema, Timestamp, fields


class Inner(Schema):
    id = fields.String()
    count = fields.Integer()


class Everything(Schema):
    text = fields.String()
    number = fields.Integer()
    ratio = fields.Float()
    exact = fields.Decimal(as_string=True)
    flag = fields.Boolean()
    at = Timestamp(allow_none=True)
    plain_at = fields.DateTime()
    raw = fields.Raw()
    mapping = fields.Dict()
    renamed = fields.String(attribute="other_name")
    dotted = fields.String(attribute="inner.id")
    inner = fields.Nested(Inner, allow_none=True)
    inners = fields.List(fields.Nested(Inner))
    tags = fields.List(fields.String())
    many_inner = fields.Nested(Inner, many=True)
    only_inner = fields.Nested(Inner, only=("id",))
    plucked = fields.Pluck(Inner, "id")
    method = fields.Method("_method")
    function = fields.Function(lambda obj: "fn")
    defaulted = fields.String(dump_default="fallback")
    secret = fields.String(load_only=True)

    def _method(self, obj):
        return "m"


WHEN = datetime(2026, 12, 6, 12, 30, tzinfo=UTC)


def full(**changes):
    inner = SimpleNamespace(id="in-1", count=3)
    values = dict(
        text="hello",
        number=7,
        ratio=1.5,
        exact=decimal.Decimal("12.30"),
        flag=True,
        at=WHEN,
        plain_at=WHEN,
        raw={"a": [1, 2]},
        mapping={"k": "v"},
        other_name="renamed",
        inner=inner,
        inners=[inner, SimpleNamespace(id="in-2", count=4)],
        tags=["a", "b"],
        many_inner=[inner],
        only_inner=inner,
        plucked=inner,
        defaulted="given",
        secret="never out",
    )
    values.update(changes)
    return values


CASES = {
    "object": SimpleNamespace(**full()),
    "dict": full(),
    "nones": full(
        text=None,
        number=None,
        flag=None,
        at=None,
        inner=None,
        inners=None,
        tags=[None, "x"],
        raw=None,
    ),
    "coerced": full(text=5, number=7.9, ratio=2, flag=1),
    "missing": {"text": "only this"},
    "empty lists": full(inners=[], tags=[], many_inner=[]),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_plan_writes_what_marshmallow_writes(case):
    obj = CASES[case]
    schema = Everything()
    expected = MarshmallowSchema.dump(schema, obj)
    assert schema.dump(obj) == expected
    assert [type(v) for v in schema.dump(obj).values()] == [type(v) for v in expected.values()]
    pair = [obj, obj]
    assert schema.dump(pair, many=True) == MarshmallowSchema.dump(schema, pair, many=True)


def test_schema_fields_carry_camel_case_keys_and_drop_load_only():
    out = Everything().dump(CASES["object"])
    assert "manyInner" in out and "plainAt" in out
    assert "secret" not in out
    assert out["defaulted"] == "given" and Everything().dump({})["defaulted"] == "fallback"


def test_a_schema_with_dump_hooks_is_left_to_marshmallow():
    class Hooked(Schema):
        id = fields.String()

        @post_dump
        def _upper(self, data, **kwargs):
            return {key: value.upper() for key, value in data.items()}

    assert plan(Hooked()) is None
    assert Hooked().dump({"id": "abc"}) == {"id": "ABC"}


def test_only_and_exclude_are_kept():
    obj = CASES["object"]
    assert Everything(only=("text", "number")).dump(obj) == {"text": "hello", "number": 7}
    assert "text" not in Everything(exclude=("text",)).dump(obj)


def test_the_suite_cross_check_accepts_values_that_follow_the_clock():
    import time

    class Running:
        @property
        def elapsed(self):
            return time.perf_counter_ns()

    class RunningOut(Schema):
        elapsed = fields.Integer()

    assert Schema._CROSSCHECK  # tests/conftest.py turns it on for the whole suite
    for _ in range(50):
        RunningOut().dump(Running())  # no AssertionError: each dump lies between two others


def test_the_suite_cross_check_catches_a_plan_that_differs(monkeypatch):
    class Out(Schema):
        name = fields.String()

    schema = Out()
    monkeypatch.setattr(schema, "_plan", lambda obj: {"name": "not what marshmallow writes"})
    with pytest.raises(AssertionError):
        schema.dump({"name": "x"})
