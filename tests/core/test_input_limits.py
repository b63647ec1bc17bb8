"""Issue 10, "500s and missing limits": inputs that used to answer 500 or were read without
bound, and inputs silently misread. Each example of the issue is a test here; the walks over
every route and every schema keep a new endpoint from bringing the fault back."""

from __future__ import annotations

import importlib
import pkgutil
import re

import marshmallow
import pytest

import blueprints
from blueprints.core import fields as core_fields
from tests.core.helpers import assert_error

DEEP = "[" * 1000 + "]" * 1000


def _subclasses(cls: type) -> set[type]:
    found = set()
    for sub in cls.__subclasses__():
        found |= {sub, *_subclasses(sub)}
    return found


def _feature_schemas() -> list[type]:
    for info in pkgutil.walk_packages(blueprints.__path__, "blueprints."):
        importlib.import_module(info.name)
    return [s for s in _subclasses(marshmallow.Schema) if s.__module__.startswith("blueprints.")]


def _inner_fields(field: marshmallow.fields.Field):
    yield field
    for child in (
        getattr(field, "inner", None),
        getattr(field, "key_field", None),
        getattr(field, "value_field", None),
    ):
        if child is not None:
            yield from _inner_fields(child)


# --- JSON nesting ----------------------------------------------------------------------------


def test_deeply_nested_json_on_the_open_login_is_400(client):
    r = client.post("/api/v1/auth/login", data=DEEP, content_type="application/json")
    body = assert_error(r, 400, "invalid_request", field="body")
    assert "nested deeper" in body["message"]


def test_deeply_nested_objects_and_unbalanced_brackets_are_400(client):
    deep_objects = '{"a":' * 900 + "1" + "}" * 900
    r = client.post("/api/v1/auth/login", data=deep_objects, content_type="application/json")
    assert_error(r, 400, "invalid_request", field="body")
    r = client.post("/api/v1/auth/login", data="[" * 5000, content_type="application/json")
    assert_error(r, 400, "invalid_request", field="body")


def _json_write_routes(app) -> list[tuple[str, str]]:
    routes = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/"):
            continue
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", "x-1", rule.rule)
        for method in sorted(rule.methods & {"POST", "PUT", "PATCH", "DELETE"}):
            routes.append((method, path))
    return routes


def test_every_json_endpoint_refuses_deep_nesting_with_400(app, api_as, admin):
    api = api_as(admin)
    routes = _json_write_routes(app)
    assert len(routes) > 20
    for method, path in routes:
        r = getattr(api, method.lower())(path, data=DEEP, content_type="application/json")
        assert r.status_code == 400, (method, path, r.status_code, r.get_data(as_text=True)[:200])


def test_nesting_within_the_limit_reaches_the_schema(client):
    from blueprints.core.inputs import MAX_JSON_DEPTH, json_depth_exceeds

    # At the limit the body is parsed and validated as usual: the schema names the field.
    value = "[" * (MAX_JSON_DEPTH - 1) + "]" * (MAX_JSON_DEPTH - 1)
    body = '{"email": ' + value + ', "password": "x"}'
    r = client.post("/api/v1/auth/login", data=body, content_type="application/json")
    assert_error(r, 400, "invalid_request", field="email")
    assert not json_depth_exceeds(body.encode())
    assert json_depth_exceeds(("[" * 65 + "]" * 65).encode())
    assert not json_depth_exceeds(('["' + "[" * 100 + '\\"{"]').encode())


# --- integers that fit their columns ---------------------------------------------------------


def test_rollback_to_a_revision_beyond_any_column_is_400_naming_it(api_as, admin):
    api = api_as(admin)
    project = api.post("/api/v1/projects", json={"name": "shop"}).get_json()["id"]
    service = api.post(
        "/api/v1/services",
        json={"projectId": project, "name": "web", "image": "app:v1", "command": "true"},
    )
    assert service.status_code == 201, service.get_json()
    sid = service.get_json()["id"]
    for revision in (18446744073709551616, 2**31, 0, -1, "18446744073709551616", "²"):
        r = api.post(f"/api/v1/services/{sid}/rollback", json={"revision": revision})
        assert r.status_code in (400, 404), (revision, r.get_json())
        if r.status_code == 400:
            assert r.get_json()["details"]["field"] == "revision", r.get_json()
    r = api.post(f"/api/v1/services/{sid}/rollback", json={"revision": 18446744073709551616})
    assert_error(r, 400, "invalid_request", field="revision")


def test_every_integer_input_has_a_range_that_fits_a_32_bit_column(app):
    unbounded = []
    for schema in _feature_schemas():
        for name, declared in schema._declared_fields.items():
            for field in _inner_fields(declared):
                if not isinstance(field, marshmallow.fields.Integer):
                    continue
                ranges = [v for v in field.validators if isinstance(v, marshmallow.validate.Range)]
                fits = any(
                    r.min is not None
                    and r.max is not None
                    and r.min >= core_fields.INT32_MIN
                    and r.max <= core_fields.INT32_MAX
                    for r in ranges
                )
                if not fits:
                    unbounded.append(f"{schema.__module__}.{schema.__name__}.{name}")
    assert not unbounded, f"integer fields without a column-sized range: {unbounded}"


def test_a_huge_integer_anywhere_is_400_naming_the_field(api_as, admin):
    api = api_as(admin)
    r = api.get("/api/v1/users?page=18446744073709551616")
    assert_error(r, 400, "invalid_request", field="page")
    r = api.patch("/api/v1/organization", json={"limits": {"maxServices": 2**64}})
    assert_error(r, 400, "invalid_request", field="limits.maxServices")


# --- the body size limit ---------------------------------------------------------------------


def test_a_body_over_max_content_length_is_413_in_the_envelope(app, client, api_as, admin):
    limit = app.config["MAX_CONTENT_LENGTH"]
    assert 1024 * 1024 <= limit <= 16 * 1024 * 1024
    big = b'{"email": "' + b"a" * limit + b'"}'
    r = client.post("/api/v1/auth/login", data=big, content_type="application/json")
    body = assert_error(r, 413, "invalid_request", field="body")
    assert str(limit) in body["message"]
    r = api_as(admin).post("/api/v1/projects", data=big, content_type="text/plain")
    assert_error(r, 413, "invalid_request", field="body")


def test_max_content_length_is_a_setting():
    from blueprints.core.config import Config

    assert Config.from_env(
        secret_key="k", environ={"MAX_CONTENT_LENGTH": "1000"}
    ).MAX_CONTENT_LENGTH
    assert Config().MAX_CONTENT_LENGTH == 5 * 1024 * 1024


# --- JSON booleans only ----------------------------------------------------------------------


@pytest.mark.parametrize("value", [0, 1, "yes", "t", "on", "False", "true", None, []])
def test_a_boolean_field_takes_json_true_or_false_only(app, api_as, factory, value):
    org = factory.org()
    admin, other = factory.user(org), factory.user(org, roles=["viewer"])
    r = api_as(admin).patch(f"/api/v1/users/{other}", json={"active": value})
    assert_error(r, 400, "invalid_request", field="active")
    assert api_as(admin).get(f"/api/v1/users/{other}").get_json()["active"] is True
    r = api_as(admin).patch(f"/api/v1/users/{other}", json={"active": False})
    assert r.status_code == 200 and r.get_json()["active"] is False


def test_booleans_in_query_strings_are_words(api_as, admin):
    api = api_as(admin)
    assert api.get("/api/v1/api-keys?all=true").status_code == 200
    assert api.get("/api/v1/api-keys?all=0").status_code == 200
    assert_error(api.get("/api/v1/api-keys?all=yes"), 400, "invalid_request", field="all")


def test_booleans_nested_in_bodies_are_strict_too(api_as, admin):
    r = api_as(admin).patch("/api/v1/organization", json={"modules": {"crm": 1}})
    assert_error(r, 400, "invalid_request", field="modules.crm")


def test_every_schema_boolean_is_the_core_one(app):
    plain = []
    for schema in _feature_schemas():
        for name, declared in schema._declared_fields.items():
            for field in _inner_fields(declared):
                if isinstance(field, marshmallow.fields.Boolean) and not isinstance(
                    field, core_fields.Boolean
                ):
                    plain.append(f"{schema.__module__}.{schema.__name__}.{name}")
    assert not plain, f"plain marshmallow booleans (use core fields.Boolean): {plain}"


# --- cross-field errors name the camelCase field ---------------------------------------------


def test_threshold_cross_field_error_names_the_camel_case_field(api_as, admin):
    r = api_as(admin).patch(
        "/api/v1/infrastructure/thresholds", json={"cpuPercent": 30, "hysteresisPercent": 40}
    )
    body = assert_error(r, 400, "invalid_request", field="hysteresisPercent")
    assert "_" not in body["message"].split()[0]


def test_domain_errors_name_fields_in_camel_case(app):
    from blueprints.core.errors import _camel_field

    assert _camel_field({"field": "health_check_path"})["field"] == "healthCheckPath"
    assert _camel_field({"field": "env.MY_VAR"})["field"] == "env.MY_VAR"
    assert _camel_field({"field": "Idempotency-Key"})["field"] == "Idempotency-Key"


# --- Idempotency-Key fingerprint -------------------------------------------------------------


def test_idempotency_fingerprint_includes_the_query_string(api_as, admin):
    api = api_as(admin)
    key = {"Idempotency-Key": "q-1"}
    first = api.post("/api/v1/projects?x=1", json={"name": "one"}, headers=key)
    assert first.status_code == 201
    second = api.post("/api/v1/projects?x=2", json={"name": "one"}, headers=key)
    assert_error(second, 409, "conflict", field="Idempotency-Key")
    assert "Idempotent-Replayed" not in second.headers


def test_idempotency_fingerprint_ignores_json_whitespace_and_key_order(api_as, admin):
    api = api_as(admin)
    key = {"Idempotency-Key": "j-1"}
    first = api.post(
        "/api/v1/projects",
        data='{"name": "two", "description": "d"}',
        content_type="application/json",
        headers=key,
    )
    assert first.status_code == 201
    again = api.post(
        "/api/v1/projects",
        data='{\n  "description":"d",\n  "name":"two"\n}',
        content_type="application/json",
        headers=key,
    )
    assert again.status_code == 201, again.get_json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json()["id"] == first.get_json()["id"]


# --- date-times at the edge of the calendar --------------------------------------------------

EDGE_TIMES = ("9999-12-31T23:59:59-12:00", "0001-01-01T00:00:00+14:00")


@pytest.mark.parametrize("when", EDGE_TIMES)
def test_a_date_time_with_no_utc_equivalent_is_400_naming_the_field(api_as, admin, when):
    """Reviewer's finding: these overflowed in the UTC conversion (OverflowError → 500)."""
    from urllib.parse import quote

    api = api_as(admin)
    assert api.patch("/api/v1/organization", json={"modules": {"crm": True}}).status_code == 200
    r = api.get(f"/api/v1/tasks?until={quote(when)}")
    assert_error(r, 400, "invalid_request", field="until")
    r = api.get(f"/api/v1/crm/orders?createdFrom={quote(when)}")
    assert_error(r, 400, "invalid_request", field="createdFrom")
    r = api.post(
        "/api/v1/schedules/preview",
        json={"scheduleType": "once", "expression": when, "timezone": "UTC"},
    )
    assert_error(r, 400, "invalid_request", field="expression")
    r = api.post(
        "/api/v1/schedules/preview",
        json={
            "scheduleType": "once",
            "expression": "9999-12-31T23:59:59",
            "timezone": "Etc/GMT+12",
        },
    )
    assert_error(r, 400, "invalid_request", field="expression")
