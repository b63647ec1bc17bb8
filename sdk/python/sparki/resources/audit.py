"""The audit trail: who did what, when and from where (admins)."""

from __future__ import annotations

from datetime import datetime
from typing import Optional, Union

from ..models import AuditEntry, AuditEntryDetail
from ..pagination import Page
from ._base import Resource, query


class AuditLog(Resource):
    """`/audit-log`: every write through the API or a page, newest first (admins only)."""

    def list(
        self,
        *,
        actor: Optional[str] = None,
        action: Optional[str] = None,
        target: Optional[str] = None,
        since: Optional[Union[str, datetime]] = None,
        until: Optional[Union[str, datetime]] = None,
        outcome: Optional[str] = None,
        page: Optional[int] = None,
        limit: Optional[int] = None,
        cursor: Optional[str] = None,
    ) -> Page[AuditEntry]:
        """Audit entries, newest first.

        Args:
            actor: a user id or email, an API key id or a session id.
            action: an action (`services.deploy`) or a prefix ending in `.`.
            target: an id the write targeted or changed (`svc-…`, `evt-…`).
            since: entries at or after this time (ISO-8601 or datetime; UTC unless given).
            until: entries before this time (ISO-8601 or datetime; UTC unless given).
            outcome: only entries with this outcome.
            page: a page number (offset paging).
            limit: items per page, 1–100 (default 20).
            cursor: a `next_cursor` from an earlier page (iterating the page follows them).

        Returns:
            `Page[AuditEntry]`.

        Raises:
            PermissionError: not an admin. ValidationError: a bad filter or page value.
        """
        params = query(
            actor=actor,
            action=action,
            target=target,
            since=since,
            until=until,
            outcome=outcome,
            page=page,
            limit=limit,
            cursor=cursor,
        )
        return self._list("/audit-log", AuditEntry, params)

    def get(self, entry_id: str) -> AuditEntryDetail:
        """One entry with the deployments, events and webhook deliveries it led to.

        Args:
            entry_id: the entry's id.

        Returns:
            `AuditEntryDetail`.

        Raises:
            PermissionError: not an admin. NotFoundError.
        """
        return self._call("GET", f"/audit-log/{entry_id}", AuditEntryDetail)
