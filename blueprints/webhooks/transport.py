"""One webhook POST to a vetted address (core's pinned `outbound.request`): no redirects, a
total timeout, a 1 KiB excerpt of the answer."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from blueprints.core import outbound
from blueprints.core.guard import Target

EXCERPT_BYTES = 1024


@dataclass
class Outcome:
    """What one attempt got back (`status_code` None when no response arrived)."""

    status_code: int | None = None
    duration_ms: int = 0
    excerpt: str | None = None
    error: str | None = None
    retry_after: float | None = None

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date), else None."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def post(target: Target, body: bytes, headers: dict[str, str], timeout: float) -> Outcome:
    """POST `body` to `target`; never raises for network trouble (it is in `error`)."""
    started = time.monotonic()
    try:
        reply = outbound.request(
            target, "POST", body=body, headers=headers, timeout=timeout, max_bytes=EXCERPT_BYTES
        )
    except outbound.OutboundError as exc:
        return Outcome(duration_ms=int((time.monotonic() - started) * 1000), error=exc.reason)
    return Outcome(
        status_code=reply.status,
        duration_ms=reply.duration_ms,
        excerpt=reply.body.decode("utf-8", "replace"),
        retry_after=parse_retry_after(reply.headers.get("retry-after")),
    )
