"""Webhook endpoints, their deliveries, and the events they carry."""

from __future__ import annotations

from datetime import datetime
from typing import List, Optional, Union

from ..models import Delivery, Event, Recover, Success, Webhook, WebhookCreated
from ..pagination import Page
from ._base import Resource, body, query


class Webhooks(Resource):
    """`/webhooks`: endpoints receiving signed events (verify with `sparki.webhooks.verify`)."""

    def list(
        self,
        *,
        page: Optional[int] = None,
        limit: Optional[int] = None,
        cursor: Optional[str] = None,
    ) -> Page[Webhook]:
        """The organization's webhook endpoints, newest first.

        Args:
            page: page number, from 1 (default 1).
            limit: items per page, 1–100 (default 20).
            cursor: a `next_cursor` from an earlier page (iterating the page follows them for you).

        Returns:
            `Page[Webhook]`.

        Raises:
            ValidationError, AuthenticationError.
        """
        return self._list("/webhooks", Webhook, query(page=page, limit=limit, cursor=cursor))

    def create(
        self,
        *,
        url: str,
        events: List[str],
        active: Optional[bool] = None,
        description: Optional[str] = None,
        idempotency_key: Optional[str] = None,
    ) -> WebhookCreated:
        """Register an endpoint.

        Args:
            idempotency_key: the `Idempotency-Key` (up to 255 characters); the SDK makes a UUID when
                not given, so a retry is replayed, never done twice.
            url: where to POST events (https; private addresses are refused unless the
                server allows them). events: event types, groups (`deployment.*`) or `*`.
            active: deliver now (default True). description: free text, up to 200 chars.

        Returns:
            `WebhookCreated`, whose `secret` (`whsec_…`) is shown this once.

        Raises:
            ConflictError (URL registered already), ValidationError, PermissionError.
        """
        fields = body(url=url, events=events, active=active, description=description)
        return self._call(
            "POST", "/webhooks", WebhookCreated, json=fields, idempotency_key=idempotency_key
        )

    def get(self, webhook_id: str) -> Webhook:
        """One endpoint (`webhook-…`).

        Args:
            webhook_id: the endpoint's id (`webhook-…`).

        Returns:
            `Webhook` (its secret is never shown again).

        Raises:
            NotFoundError.
        """
        return self._call("GET", f"/webhooks/{webhook_id}", Webhook)

    retrieve = get

    def update(
        self,
        webhook_id: str,
        *,
        url: Optional[str] = None,
        events: Optional[List[str]] = None,
        active: Optional[bool] = None,
        description: Optional[str] = None,
    ) -> Webhook:
        """Change an endpoint (only the fields given); `active=True` re-enables a disabled one.

        Args:
            webhook_id: the endpoint's id (`webhook-…`).
            url, events, active, description: the fields to change, as for `create()`; those
                left None are not sent.

        Returns:
            The updated `Webhook`.

        Raises:
            NotFoundError, ConflictError, ValidationError, PermissionError.
        """
        fields = body(url=url, events=events, active=active, description=description)
        return self._call("PATCH", f"/webhooks/{webhook_id}", Webhook, json=fields)

    def delete(self, webhook_id: str) -> Success:
        """Delete an endpoint; nothing more is delivered to it.

        Args:
            webhook_id: the endpoint's id (`webhook-…`).

        Returns:
            `Success`.

        Raises:
            NotFoundError, PermissionError.
        """
        return self._call("DELETE", f"/webhooks/{webhook_id}", Success)

    def rotate_secret(self, webhook_id: str) -> WebhookCreated:
        """Make a new signing secret; the old one keeps signing beside it for 24 hours.

        Args:
            webhook_id: the endpoint's id (`webhook-…`).

        Returns:
            `WebhookCreated` with the new `secret` (shown this once).

        Raises:
            NotFoundError, PermissionError.
        """
        return self._call("POST", f"/webhooks/{webhook_id}/rotate-secret", WebhookCreated)

    def ping(self, webhook_id: str) -> Delivery:
        """Send a `ping` event to the endpoint now.

        Args:
            webhook_id: the endpoint's id (`webhook-…`).

        Returns:
            The queued `Delivery`.

        Raises:
            NotFoundError, PermissionError.
        """
        return self._call("POST", f"/webhooks/{webhook_id}/ping", Delivery)

    def deliveries(
        self,
        webhook_id: str,
        *,
        status: Optional[str] = None,
        page: Optional[int] = None,
        limit: Optional[int] = None,
        cursor: Optional[str] = None,
    ) -> Page[Delivery]:
        """An endpoint's delivery attempts, newest first: event, attempt, status code,
        `duration_ms` (milliseconds), response excerpt, next retry.

        Args:
            webhook_id: the endpoint's id (`webhook-…`).
            page: page number, from 1 (default 1).
            limit: items per page, 1–100 (default 20).
            cursor: a `next_cursor` from an earlier page (iterating the page follows them for you).
            status: `pending`, `sending`, `succeeded`, `failed` or `cancelled`.

        Returns:
            `Page[Delivery]`.

        Raises:
            NotFoundError, ValidationError.
        """
        params = query(status=status, page=page, limit=limit, cursor=cursor)
        return self._list(f"/webhooks/{webhook_id}/deliveries", Delivery, params)

    def delivery(self, webhook_id: str, delivery_id: str) -> Delivery:
        """One delivery attempt.

        Args:
            webhook_id: the endpoint's id (`webhook-…`).
            delivery_id: the delivery's id.

        Returns:
            `Delivery`.

        Raises:
            NotFoundError.
        """
        return self._call("GET", f"/webhooks/{webhook_id}/deliveries/{delivery_id}", Delivery)

    def redeliver(self, webhook_id: str, delivery_id: str) -> Delivery:
        """Send a delivery's event again, now (a new attempt).

        Args:
            webhook_id: the endpoint's id (`webhook-…`).
            delivery_id: the delivery's id.

        Returns:
            The new `Delivery`.

        Raises:
            NotFoundError, PermissionError.
        """
        return self._call(
            "POST", f"/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver", Delivery
        )

    def recover(self, webhook_id: str, *, since: Union[datetime, str]) -> Recover:
        """Redeliver every event the endpoint failed to take since a moment.

        Args:
            webhook_id: the endpoint's id (`webhook-…`).
            since: an aware `datetime` or ISO-8601 text with a zone.

        Returns:
            `Recover` with `count` and the new `deliveries`.

        Raises:
            NotFoundError, ValidationError, PermissionError.
        """
        return self._call(
            "POST", f"/webhooks/{webhook_id}/recover", Recover, json=body(since=since)
        )


class Events(Resource):
    """`/events`: every event the organization emitted (what webhooks deliver)."""

    def list(
        self,
        *,
        type: Optional[str] = None,
        page: Optional[int] = None,
        limit: Optional[int] = None,
        cursor: Optional[str] = None,
    ) -> Page[Event]:
        """Emitted events, newest first.

        Args:
            limit: items per page, 1–100 (default 20).
            cursor: a `next_cursor` from an earlier page (iterating the page follows them for you).
            type: an event type, e.g. `deployment.completed`.

        Returns:
            `Page[Event]`.

        Raises:
            ValidationError: an unknown type or bad page value.
        """
        params = query(type=type, page=page, limit=limit, cursor=cursor)
        return self._list("/events", Event, params)

    def get(self, event_id: str) -> Event:
        """One event (`evt-…`) with its `data`.

        Args:
            event_id: the event's id (`evt-…`).

        Returns:
            `Event`.

        Raises:
            NotFoundError.
        """
        return self._call("GET", f"/events/{event_id}", Event)

    retrieve = get
