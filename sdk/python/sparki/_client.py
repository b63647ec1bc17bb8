"""`Client`: credentials and settings, and one attribute per area of the API."""

from __future__ import annotations

import os
from typing import Any, Optional

import httpx

from ._http import Transport
from .errors import AuthenticationError
from .models import Health
from .resources import (
    ApiKeys,
    AuditLog,
    Auth,
    Customers,
    Deployments,
    Events,
    Infrastructure,
    Orders,
    OrganizationResource,
    Projects,
    Schedules,
    Services,
    Sources,
    Tasks,
    Users,
    Webhooks,
    Workflows,
)

DEFAULT_BASE_URL = "http://localhost:8883"


class Client:
    """A Sparki API client.

    Args:
        api_key: an API key (`sk_…`); default the `SPARKI_API_KEY` environment variable.
        token: a bearer token instead (from `Client.login()` or `POST /auth/login`).
        base_url: the server, e.g. `https://sparki.example.com` (a trailing `/api/v1` is
            dropped); default `SPARKI_BASE_URL`, else `http://localhost:8883` (what `make run`
            serves).
        timeout: seconds to wait for each answer (connect, read, write).
        max_retries: retries of a call after a connection error, a 429 or a 502/503/504,
            with exponential backoff (about 1 s, 2 s, 4 s…) and jitter; 0 turns them off.
        backoff_base: seconds of the first backoff. backoff_max: the longest backoff, seconds.
        http_client: an `httpx.Client` of your own (proxies, TLS settings).

    Resources: `auth`, `users`, `api_keys`, `organization`, `projects`, `services`,
    `deployments`, `infrastructure`, `webhooks`, `events`, `sources`, `workflows`,
    `schedules`, `tasks`, `customers`, `orders`. Use it as a context manager, or call
    `close()`, to release its connections.

    Raises:
        AuthenticationError: neither a key nor a token was given nor found in the
            environment.
    """

    def __init__(
        self,
        api_key: Optional[str] = None,
        token: Optional[str] = None,
        base_url: Optional[str] = None,
        timeout: float = 30,
        max_retries: int = 3,
        *,
        backoff_base: float = 1.0,
        backoff_max: float = 30.0,
        http_client: Optional[httpx.Client] = None,
        _allow_anonymous: bool = False,
    ) -> None:
        if api_key is None and token is None:
            api_key = os.environ.get("SPARKI_API_KEY") or None
        if api_key is None and token is None and not _allow_anonymous:
            raise AuthenticationError(
                "No credentials: pass api_key= or token=, set SPARKI_API_KEY, "
                "or use Client.login(email, password)"
            )
        url = (base_url or os.environ.get("SPARKI_BASE_URL") or DEFAULT_BASE_URL).rstrip("/")
        if url.endswith("/api/v1"):  # the API's base path given too: the SDK adds it itself
            url = url[: -len("/api/v1")]
        self.base_url = url
        self._transport = Transport(
            base_url=self.base_url,
            api_key=api_key,
            token=token,
            timeout=timeout,
            max_retries=max_retries,
            backoff_base=backoff_base,
            backoff_max=backoff_max,
            http_client=http_client,
        )
        self.auth = Auth(self)
        self.users = Users(self)
        self.api_keys = ApiKeys(self)
        self.organization = OrganizationResource(self)
        self.projects = Projects(self)
        self.services = Services(self)
        self.deployments = Deployments(self)
        self.infrastructure = Infrastructure(self)
        self.webhooks = Webhooks(self)
        self.events = Events(self)
        self.sources = Sources(self)
        self.workflows = Workflows(self)
        self.schedules = Schedules(self)
        self.tasks = Tasks(self)
        self.customers = Customers(self)
        self.orders = Orders(self)
        self.audit_log = AuditLog(self)

    @classmethod
    def login(
        cls, email: str, password: str, *, base_url: Optional[str] = None, **options: Any
    ) -> Client:
        """A client acting with a bearer token got by signing in (valid one hour; refresh
        it with `client.auth.refresh()`).

        Args:
            email: the user's email. password: the user's password.
            base_url: as for `Client()`; other keyword arguments too (`timeout`, …).

        Returns:
            A `Client` using the token (`client.token`).

        Raises:
            AuthenticationError: wrong email or password. RateLimitError: too many attempts.
        """
        client = cls(base_url=base_url, _allow_anonymous=True, **options)
        client._transport.api_key = None
        client.auth.login(email, password)
        return client

    @property
    def token(self) -> Optional[str]:
        """The bearer token in use, or None when the client uses an API key."""
        return self._transport.token

    def health(self) -> Health:
        """Liveness of the server, its database and Redis (the one open endpoint).

        Returns:
            `Health` with `status` and `checks`.

        Raises:
            ServiceUnavailableError: a dependency is down. APIConnectionError.
        """
        return Health.from_dict(self._transport.request("GET", "/health"))

    def health_ready(self) -> Health:
        """Readiness of the server process that answers: like `health()`, but 503 while
        that process shuts down (for load balancers and deploy scripts).

        Returns:
            `Health` with `status` and `checks`.

        Raises:
            ServiceUnavailableError: shutting down, or a dependency is down.
            APIConnectionError.
        """
        return Health.from_dict(self._transport.request("GET", "/health/ready"))

    def close(self) -> None:
        """Close the client's connections."""
        self._transport.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<sparki.Client {self.base_url}>"
