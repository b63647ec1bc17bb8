"""One HTTP POST to a vetted address: no redirects, a total timeout, a 1 KiB excerpt.

The connection goes to the IP address the SSRF guard approved while the request (and TLS
SNI and certificate check) keep the URL's host name.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from urllib3 import HTTPConnectionPool, HTTPSConnectionPool, Timeout
from urllib3.exceptions import HTTPError as Urllib3Error

from .guard import Target

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


def _host_header(target: Target) -> str:
    host = f"[{target.host}]" if ":" in target.host else target.host
    default = 443 if target.scheme == "https" else 80
    return host if target.port == default else f"{host}:{target.port}"


def post(target: Target, body: bytes, headers: dict[str, str], timeout: float) -> Outcome:
    """POST `body` to `target`; never raises for network trouble (it is in `error`)."""
    timeouts = Timeout(connect=timeout, read=timeout, total=timeout)
    if target.scheme == "https":
        pool: HTTPConnectionPool = HTTPSConnectionPool(
            target.address,
            target.port,
            timeout=timeouts,
            retries=False,
            maxsize=1,
            server_hostname=target.host,
            assert_hostname=target.host,
        )
    else:
        pool = HTTPConnectionPool(
            target.address, target.port, timeout=timeouts, retries=False, maxsize=1
        )
    started = time.monotonic()
    try:
        resp = pool.urlopen(
            "POST",
            target.path,
            body=body,
            headers={**headers, "Host": _host_header(target)},
            redirect=False,
            retries=False,
            preload_content=False,
            assert_same_host=False,
        )
        try:
            raw = resp.read(EXCERPT_BYTES)
        finally:
            resp.release_conn()
        return Outcome(
            status_code=resp.status,
            duration_ms=int((time.monotonic() - started) * 1000),
            excerpt=raw[:EXCERPT_BYTES].decode("utf-8", "replace"),
            retry_after=parse_retry_after(resp.headers.get("Retry-After")),
        )
    except (Urllib3Error, OSError) as exc:
        reason = getattr(exc, "reason", None) or exc
        return Outcome(
            duration_ms=int((time.monotonic() - started) * 1000),
            error=f"{type(exc).__name__}: {reason}"[:500],
        )
    finally:
        pool.close()
