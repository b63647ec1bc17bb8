"""CRM fixtures: an organization with `crm` on and one user per role, and helpers that create
customers and orders through the API."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

SEED_ITEM = {
    "sku": "INJ-6.7-CR",
    "name": "6.7L Common-Rail Injector",
    "quantity": 8,
    "unitPrice": 289.50,
}


@dataclass
class Crm:
    org_id: str
    admin: str
    maintainer: str
    developer: str
    viewer: str
    api: Any  # ApiClient of the admin

    def customer(self, **fields: Any) -> dict:
        body = {"name": "Ada Diesel", "email": "ada@example.com", **fields}
        r = self.api.post("/api/v1/crm/customers", json=body)
        assert r.status_code == 201, r.get_json()
        return r.get_json()

    def order(self, customer_id: str, **fields: Any) -> dict:
        body = {"customerId": customer_id, "currency": "USD", "items": [SEED_ITEM], **fields}
        r = self.api.post("/api/v1/crm/orders", json=body)
        assert r.status_code == 201, r.get_json()
        return r.get_json()


@pytest.fixture
def crm(factory, api_as) -> Crm:
    org = factory.org("CRM Co", crm=True)
    admin = factory.user(org, roles=["admin"])
    return Crm(
        org_id=org,
        admin=admin,
        maintainer=factory.user(org, roles=["maintainer"]),
        developer=factory.user(org, roles=["developer"]),
        viewer=factory.user(org, roles=["viewer"]),
        api=api_as(admin),
    )
