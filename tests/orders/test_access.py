"""Every CRM endpoint: 403 module_disabled while the module is off, 404 for another
organization's ids, 403 for roles that may not write, reads for every role."""

from __future__ import annotations

import pytest

from blueprints.core.extensions import db
from tests.core.helpers import assert_error

# (method, path template, body) for every CRM endpoint; {c} a customer id, {o} an order id.
ENDPOINTS = [
    ("get", "/api/v1/crm/customers", None),
    ("post", "/api/v1/crm/customers", {"name": "New", "email": "new@example.com"}),
    ("get", "/api/v1/crm/customers/{c}", None),
    ("patch", "/api/v1/crm/customers/{c}", {"phone": "1"}),
    ("delete", "/api/v1/crm/customers/{c}", None),
    ("get", "/api/v1/crm/orders", None),
    ("post", "/api/v1/crm/orders", "ORDER"),
    ("get", "/api/v1/crm/orders/{o}", None),
    ("patch", "/api/v1/crm/orders/{o}", {"status": "fulfilled"}),
    ("post", "/api/v1/crm/orders/{o}/payments", {"amount": 1}),
    ("post", "/api/v1/crm/orders/{o}/refunds", {}),
]
WRITES = [e for e in ENDPOINTS if e[0] != "get"]
BY_ID = [e for e in ENDPOINTS if "{" in e[1]]


def _call(client, method, path, body, ids):
    url = path.format(**ids)
    if body == "ORDER":
        body = {
            "customerId": ids["c"],
            "currency": "USD",
            "items": [{"sku": "A", "name": "a", "quantity": 1, "unitPrice": 1}],
        }
    kwargs = {"json": body} if body is not None else {}
    return getattr(client, method)(url, **kwargs)


@pytest.fixture
def ids(crm):
    customer = crm.customer()
    order = crm.order(customer["id"])
    return {"c": customer["id"], "o": order["id"]}


def test_module_off_is_403_everywhere(app, crm, ids):
    from blueprints.users.models import Organization

    with app.app_context():
        org = db.session.get(Organization, crm.org_id)
        org.modules = {**org.modules, "crm": False}
        db.session.commit()
    for method, path, body in ENDPOINTS:
        r = _call(crm.api, method, path, body, ids)
        assert assert_error(r, 403, "module_disabled")["details"]["module"] == "crm", path


def test_other_organization_gets_404(factory, api_as, crm, ids):
    intruder = api_as(factory.user(factory.org("Other", crm=True), roles=["admin"]))
    for method, path, body in BY_ID:
        assert_error(_call(intruder, method, path, body, ids), 404, "not_found")
    r = _call(intruder, "post", "/api/v1/crm/orders", "ORDER", ids)
    assert_error(r, 400, "invalid_request", field="customerId")
    lists = [intruder.get("/api/v1/crm/orders"), intruder.get("/api/v1/crm/customers")]
    assert all(r.get_json()["data"] == [] for r in lists)


def test_read_only_roles_get_403_on_writes_and_every_role_reads(api_as, crm, ids):
    for role in ("viewer", "developer"):
        client = api_as(getattr(crm, role))
        for method, path, body in WRITES:
            r = _call(client, method, path, body, ids)
            assert_error(r, 403, "insufficient_permissions")
    for role in ("viewer", "developer", "maintainer"):
        client = api_as(getattr(crm, role))
        for method, path, body in ENDPOINTS:
            if method == "get":
                assert _call(client, method, path, body, ids).status_code == 200, (role, path)


def test_maintainer_writes(api_as, crm, ids):
    client = api_as(crm.maintainer)
    assert _call(client, "post", "/api/v1/crm/orders", "ORDER", ids).status_code == 201
    r = client.post(f"/api/v1/crm/orders/{ids['o']}/payments", json={"amount": 100})
    assert r.status_code == 201


def test_no_credentials_is_401(client, ids):
    assert_error(client.get("/api/v1/crm/orders"), 401, "authentication_failed")
