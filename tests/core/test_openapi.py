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
