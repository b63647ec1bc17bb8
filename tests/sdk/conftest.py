"""Fixtures for the SDK's tests: the real Sparki served over HTTP on 127.0.0.1 (the suite's
`live_server`), SDK clients holding real API keys, and the services tests' real agent and
worker for deploys."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sparki import Client

from tests.services.conftest import agent, worker  # noqa: F401 - reused as they are

# Retries stay on, with short waits: a test about retrying sets its own client up.
FAST = {"backoff_base": 0.05, "backoff_max": 0.5}


@pytest.fixture
def sdk_client(live_server, factory) -> Iterator:
    """`sdk_client(user_id)` → a `sparki.Client` with a new API key of that user."""
    clients: list[Client] = []

    def make(user_id: str, **options) -> Client:
        key = factory.api_key(user_id)
        client = Client(api_key=key, base_url=live_server.url, **{**FAST, **options})
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def org(factory) -> str:
    return factory.org("Acme")


@pytest.fixture
def admin_id(factory, org) -> str:
    return factory.user(org, roles=["admin"], email="admin@acme.test")


@pytest.fixture
def sdk(sdk_client, admin_id) -> Client:
    """An admin's SDK client."""
    return sdk_client(admin_id)
