"""The SDK cannot fall behind the API: every operation of `/api/v1/openapi.json` has an SDK
method (the table below), every public method is documented, and the typed models are the
ones the document generates."""

from __future__ import annotations

import importlib.util
import inspect
import re
from pathlib import Path

import httpx
import pytest
import sparki
from sparki import Client

ROOT = Path(__file__).resolve().parents[2]
SDK = ROOT / "sdk" / "python"

# (method, path) → the SDK method calling it. A new endpoint fails the test below until it
# gets a method here and in the SDK.
OPERATIONS = {
    ("GET", "/api/v1/health"): "health",
    ("GET", "/api/v1/health/ready"): "health_ready",
    ("GET", "/api/v1/audit-log"): "audit_log.list",
    ("GET", "/api/v1/audit-log/{entry_id}"): "audit_log.get",
    ("POST", "/api/v1/auth/login"): "auth.login",
    ("POST", "/api/v1/auth/refresh"): "auth.refresh",
    ("POST", "/api/v1/auth/logout"): "auth.logout",
    ("POST", "/api/v1/auth/logout-everywhere"): "auth.logout_everywhere",
    ("GET", "/api/v1/users"): "users.list",
    ("POST", "/api/v1/users"): "users.create",
    ("GET", "/api/v1/users/me"): "users.me",
    ("GET", "/api/v1/users/{user_id}"): "users.get",
    ("PATCH", "/api/v1/users/{user_id}"): "users.update",
    ("DELETE", "/api/v1/users/{user_id}"): "users.delete",
    ("GET", "/api/v1/users/me/sessions"): "users.sessions",
    ("DELETE", "/api/v1/users/me/sessions/{session_id}"): "users.end_session",
    ("POST", "/api/v1/users/me/password"): "users.change_password",
    ("GET", "/api/v1/api-keys"): "api_keys.list",
    ("POST", "/api/v1/api-keys"): "api_keys.create",
    ("GET", "/api/v1/api-keys/{key_id}"): "api_keys.get",
    ("DELETE", "/api/v1/api-keys/{key_id}"): "api_keys.delete",
    ("GET", "/api/v1/organization"): "organization.get",
    ("PATCH", "/api/v1/organization"): "organization.update",
    ("GET", "/api/v1/projects"): "projects.list",
    ("POST", "/api/v1/projects"): "projects.create",
    ("GET", "/api/v1/projects/{project_id}"): "projects.get",
    ("PATCH", "/api/v1/projects/{project_id}"): "projects.update",
    ("DELETE", "/api/v1/projects/{project_id}"): "projects.delete",
    ("POST", "/api/v1/projects/{project_id}/members"): "projects.add_member",
    ("DELETE", "/api/v1/projects/{project_id}/members/{user_id}"): "projects.remove_member",
    ("GET", "/api/v1/services"): "services.list",
    ("POST", "/api/v1/services"): "services.create",
    ("GET", "/api/v1/services/{service_id}"): "services.get",
    ("PATCH", "/api/v1/services/{service_id}"): "services.update",
    ("DELETE", "/api/v1/services/{service_id}"): "services.delete",
    ("POST", "/api/v1/services/{service_id}/deploy"): "services.deploy",
    ("POST", "/api/v1/services/{service_id}/rollback"): "services.rollback",
    ("GET", "/api/v1/services/{service_id}/deployments"): "services.deployments",
    ("POST", "/api/v1/services/{service_id}/start"): "services.start",
    ("POST", "/api/v1/services/{service_id}/stop"): "services.stop",
    ("POST", "/api/v1/services/{service_id}/restart"): "services.restart",
    ("GET", "/api/v1/services/{service_id}/check"): "services.check",
    # `logs` returns the lines; `follow_logs` is the same operation with follow=true (SSE).
    ("GET", "/api/v1/services/{service_id}/logs"): "services.logs",
    ("GET", "/api/v1/deployments/{deployment_id}"): "deployments.get",
    ("GET", "/api/v1/infrastructure/cluster"): "infrastructure.cluster_status",
    ("GET", "/api/v1/infrastructure/nodes"): "infrastructure.nodes",
    ("GET", "/api/v1/infrastructure/metrics"): "infrastructure.metrics",
    ("GET", "/api/v1/infrastructure/metrics/history"): "infrastructure.history",
    ("GET", "/api/v1/infrastructure/alerts"): "infrastructure.alerts",
    ("GET", "/api/v1/infrastructure/thresholds"): "infrastructure.thresholds",
    ("PATCH", "/api/v1/infrastructure/thresholds"): "infrastructure.update_thresholds",
    ("GET", "/api/v1/webhooks"): "webhooks.list",
    ("POST", "/api/v1/webhooks"): "webhooks.create",
    ("GET", "/api/v1/webhooks/{webhook_id}"): "webhooks.get",
    ("PATCH", "/api/v1/webhooks/{webhook_id}"): "webhooks.update",
    ("DELETE", "/api/v1/webhooks/{webhook_id}"): "webhooks.delete",
    ("POST", "/api/v1/webhooks/{webhook_id}/rotate-secret"): "webhooks.rotate_secret",
    ("POST", "/api/v1/webhooks/{webhook_id}/ping"): "webhooks.ping",
    ("POST", "/api/v1/webhooks/{webhook_id}/recover"): "webhooks.recover",
    ("GET", "/api/v1/webhooks/{webhook_id}/deliveries"): "webhooks.deliveries",
    ("GET", "/api/v1/webhooks/{webhook_id}/deliveries/{delivery_id}"): "webhooks.delivery",
    (
        "POST",
        "/api/v1/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver",
    ): "webhooks.redeliver",
    ("GET", "/api/v1/events"): "events.list",
    ("GET", "/api/v1/events/{event_id}"): "events.get",
    ("GET", "/api/v1/sources"): "sources.list",
    ("POST", "/api/v1/sources"): "sources.create",
    ("GET", "/api/v1/sources/{source_id}"): "sources.get",
    ("PATCH", "/api/v1/sources/{source_id}"): "sources.update",
    ("DELETE", "/api/v1/sources/{source_id}"): "sources.delete",
    ("POST", "/api/v1/sources/{source_id}/sync"): "sources.sync",
    ("POST", "/api/v1/sources/{source_id}/check"): "sources.check",
    ("GET", "/api/v1/workflows"): "workflows.list",
    ("GET", "/api/v1/workflows/{workflow_id}"): "workflows.get",
    ("PATCH", "/api/v1/workflows/{workflow_id}"): "workflows.update",
    ("POST", "/api/v1/workflows/{workflow_id}/run"): "workflows.run",
    ("GET", "/api/v1/schedules"): "schedules.list",
    ("POST", "/api/v1/schedules"): "schedules.create",
    ("POST", "/api/v1/schedules/preview"): "schedules.preview",
    ("GET", "/api/v1/schedules/{schedule_id}"): "schedules.get",
    ("PATCH", "/api/v1/schedules/{schedule_id}"): "schedules.update",
    ("DELETE", "/api/v1/schedules/{schedule_id}"): "schedules.delete",
    ("POST", "/api/v1/schedules/{schedule_id}/pause"): "schedules.pause",
    ("POST", "/api/v1/schedules/{schedule_id}/resume"): "schedules.resume",
    ("POST", "/api/v1/schedules/{schedule_id}/run-now"): "schedules.run_now",
    ("GET", "/api/v1/tasks"): "tasks.list",
    ("GET", "/api/v1/tasks/{task_id}"): "tasks.get",
    ("POST", "/api/v1/tasks/{task_id}/retry"): "tasks.retry",
    ("POST", "/api/v1/tasks/{task_id}/cancel"): "tasks.cancel",
    ("GET", "/api/v1/crm/customers"): "customers.list",
    ("POST", "/api/v1/crm/customers"): "customers.create",
    ("GET", "/api/v1/crm/customers/{customer_id}"): "customers.get",
    ("PATCH", "/api/v1/crm/customers/{customer_id}"): "customers.update",
    ("DELETE", "/api/v1/crm/customers/{customer_id}"): "customers.delete",
    ("GET", "/api/v1/crm/orders"): "orders.list",
    ("POST", "/api/v1/crm/orders"): "orders.create",
    ("GET", "/api/v1/crm/orders/{order_id}"): "orders.get",
    ("PATCH", "/api/v1/crm/orders/{order_id}"): "orders.update",
    ("POST", "/api/v1/crm/orders/{order_id}/payments"): "orders.pay",
    ("POST", "/api/v1/crm/orders/{order_id}/refunds"): "orders.refund",
}
# The proxy forwards any method to a service: one SDK method takes them all.
for _method in ("GET", "POST", "PUT", "PATCH", "DELETE"):
    for _path in ("", "/", "/{path}"):
        OPERATIONS[(_method, f"/api/v1/services/{{service_id}}/proxy{_path}")] = "services.proxy"

HTTP_METHODS = {"get", "post", "put", "patch", "delete"}


@pytest.fixture(scope="module")
def document(live_server) -> dict:
    return httpx.get(f"{live_server.url}/api/v1/openapi.json", timeout=60).json()


def _resolve(client: Client, dotted: str):
    target = client
    for part in dotted.split("."):
        target = getattr(target, part)
    return target


def test_every_operation_of_the_document_has_an_sdk_method(document):
    operations = {
        (method.upper(), path)
        for path, item in document["paths"].items()
        for method in item
        if method in HTTP_METHODS
    }
    missing = sorted(operations - set(OPERATIONS))
    assert not missing, f"operations without an SDK method (add them to sparki and here): {missing}"
    stale = sorted(set(OPERATIONS) - operations)
    assert not stale, f"SDK methods of operations the API no longer has: {stale}"
    client = Client(api_key="sk_x")
    for operation, dotted in OPERATIONS.items():
        assert callable(_resolve(client, dotted)), (operation, dotted)


def _public_methods():
    client = Client(api_key="sk_x")
    yield "Client", Client
    yield "Client.login", Client.login
    for name, value in vars(client).items():
        if name.startswith("_") or not hasattr(value, "_call"):
            continue
        for attr in dir(value):
            method = getattr(value, attr)
            if not attr.startswith("_") and inspect.ismethod(method):
                yield f"{name}.{attr}", method
    for name in ("verify", "construct_event"):
        yield f"webhooks.{name}", getattr(sparki.webhooks, name)


def test_every_public_method_documents_what_it_returns_and_raises():
    undocumented = []
    for name, method in _public_methods():
        doc = inspect.getdoc(method) or ""
        if name == "Client":
            ok = "Args:" in doc and "Raises:" in doc
        else:
            ok = ("Returns:" in doc or "Returns" in doc) and "Raises" in doc
        if not ok:
            undocumented.append(name)
    assert not undocumented, f"docstrings without Returns/Raises: {undocumented}"


def test_the_models_are_the_ones_the_document_generates(document):
    spec = importlib.util.spec_from_file_location("gen", SDK / "scripts" / "generate_models.py")
    generator = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generator)
    current = (SDK / "sparki" / "models.py").read_text()
    assert generator.render(document) == current, (
        "sparki/models.py is out of date: run python sdk/python/scripts/generate_models.py"
    )


def test_every_parameter_is_described_in_its_methods_args_section():
    undescribed = []
    for name, method in _public_methods():
        doc = inspect.getdoc(method) or ""
        args = doc.split("Args:", 1)[1].split("Returns:", 1)[0] if "Args:" in doc else ""
        for param in inspect.signature(method).parameters.values():
            if param.name.startswith("_") or param.kind in (
                param.VAR_KEYWORD,
                param.VAR_POSITIONAL,
            ):
                continue
            if not re.search(rf"\b{param.name}\b", args):
                undescribed.append(f"{name}({param.name})")
    assert not undescribed, f"parameters missing from Args: {undescribed}"
