"""The OpenAPI document lists every /api/v1 route, documents auth, and the docs page is local."""

from __future__ import annotations

import re

import pytest

AUTH_SCHEMES = {"ApiKeyAuth", "BearerAuth"}


@pytest.fixture
def spec(client):
    r = client.get("/api/v1/openapi.json")
    assert r.status_code == 200 and r.is_json
    return r.json


def _openapi_path(rule: str) -> str:
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule)


def _api_routes(app) -> set[tuple[str, str]]:
    routes = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/") or rule.rule == "/api/v1/openapi.json":
            continue
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            routes.add((_openapi_path(rule.rule), method.lower()))
    return routes


def test_every_api_route_is_documented(app, spec):
    documented = {
        (path, method)
        for path, ops in spec["paths"].items()
        for method in ops
        if method in {"get", "post", "put", "patch", "delete"}
    }
    routes = _api_routes(app)
    assert routes, "no /api/v1 routes found"
    missing = sorted(routes - documented)
    assert not missing, f"routes missing from openapi.json: {missing}"
    extra = sorted(documented - routes)
    assert not extra, f"documented paths that do not exist: {extra}"


def test_spec_basics(spec):
    assert spec["openapi"].startswith("3.")
    assert spec["info"]["title"] == "Sparki API"
    assert "/api/v1/openapi.json" not in spec["paths"]


def test_security_schemes_are_documented(spec):
    schemes = spec["components"]["securitySchemes"]
    assert set(schemes) >= AUTH_SCHEMES
    assert schemes["ApiKeyAuth"] == {"type": "apiKey", "in": "header", "name": "X-API-Key"}
    assert schemes["BearerAuth"]["type"] == "http"
    assert schemes["BearerAuth"]["scheme"] == "bearer"


def test_each_operation_says_how_to_authenticate(app, spec):
    views = {}
    for rule in app.url_map.iter_rules():
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            views[(_openapi_path(rule.rule), method.lower())] = app.view_functions[rule.endpoint]
    for (path, method), view in views.items():
        if (path, method) not in {(p, m) for p, ops in spec["paths"].items() for m in ops}:
            continue
        security = spec["paths"][path][method].get("security", spec.get("security"))
        assert security is not None, f"{method.upper()} {path} has no security"
        if getattr(view, "_sparki_auth", False):
            names = {name for req in security for name in req}
            assert names == AUTH_SCHEMES, f"{method.upper()} {path}: {security}"
    for path, method in (("/api/v1/health", "get"), ("/api/v1/auth/login", "post")):
        assert spec["paths"][path][method]["security"] == [], f"{path} should be open"


def test_schemas_use_camel_case(spec):
    user = spec["components"]["schemas"]["UserOut"]["properties"]
    assert {"createdAt", "lastLoginAt", "organizationId"} <= set(user)
    assert not any("_" in name for name in user)
    create = spec["components"]["schemas"]["UserCreate"]
    assert set(create["required"]) == {"email", "name", "password"}


def test_list_endpoints_document_their_query(spec):
    params = {p["name"] for p in spec["paths"]["/api/v1/users"]["get"]["parameters"]}
    assert {"page", "limit", "cursor", "role"} <= params


def test_docs_page_renders_from_local_assets(client):
    r = client.get("/docs")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert "/api/v1/openapi.json" in html
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sources
    for url in sources:
        assert not url.startswith(("http://", "https://", "//")), f"external asset {url}"
        assert client.get(url).status_code == 200 if url.startswith("/static/") else True
    assert any("swagger-ui-bundle.js" in url for url in sources)


def test_no_duplicate_schema_components(spec):
    schemas = spec["components"]["schemas"]
    for name in schemas:
        base = re.fullmatch(r"(.+?)\d+", name)
        assert not (base and schemas.get(base.group(1)) == schemas[name]), f"{name} duplicates"
    assert "ApiKeyOut1" not in schemas and "UserOut1" not in schemas
    ref = spec["paths"]["/api/v1/api-keys/{key_id}"]["get"]["responses"]["200"]
    assert ref["content"]["application/json"]["schema"]["$ref"] == "#/components/schemas/ApiKeyOut"


# --- issue 10: the document describes what the server does ----------------------------------


def test_every_operation_documents_its_errors_in_the_envelope(spec):
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            codes = set(op["responses"])
            assert {"400", "401", "429"} <= codes, (method, path, sorted(codes))
            if "{" in path:
                assert "404" in codes, (method, path)
            if method != "get":
                assert "413" in codes, (method, path)
            ref = op["responses"]["400"]["content"]["application/json"]["schema"]
            assert ref["required"] == ["error", "message", "details"]
            if "requestBody" in op:
                assert op["requestBody"]["required"] is True, (method, path)


def test_enforced_constraints_are_documented(spec):
    schemas = spec["components"]["schemas"]
    url = schemas["WebhookCreate"]["properties"]["url"]
    assert url["pattern"].startswith("^[Hh][Tt][Tt][Pp]")
    assert "pattern" in schemas["WebhookCreate"]["properties"]["events"]["items"]
    assert schemas["ServiceCreate"]["properties"]["healthCheckPath"]["pattern"].startswith("^\\s*/")
    window = next(
        p
        for p in spec["paths"]["/api/v1/infrastructure/metrics/history"]["get"]["parameters"]
        if p["name"] == "window"
    )
    assert window["schema"]["pattern"]
    revision = schemas["ServiceRollbackIn"]["properties"]["revision"]["oneOf"][0]
    assert revision["maximum"] == 2**31 - 1
    assert schemas["UserUpdate"]["properties"]["active"]["type"] == "boolean"


def test_followed_logs_are_documented_as_an_event_stream(spec):
    ok = spec["paths"]["/api/v1/services/{service_id}/logs"]["get"]["responses"]["200"]
    assert {"application/json", "text/event-stream"} <= set(ok["content"])


def test_405_allow_header_matches_the_routes(client):
    r = client.put("/api/v1/projects")
    assert r.status_code == 405
    assert set(r.headers["Allow"].replace(" ", "").split(",")) >= {"GET", "POST"}
    assert "PUT" not in r.headers["Allow"]
