"""One HTTP request to an address the SSRF guard vetted: no redirects, a total timeout.

The connection goes to `target.address`, the IP the guard checked, while the request (and
TLS SNI and the certificate check) keep the URL's host name. Resolving the name a second
time to connect would let a DNS answer that changed since the check (DNS rebinding) reach
a private address; connecting to the checked one cannot. Every feature that calls out
(webhook deliveries, workflow sources) goes through `request`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from urllib3 import HTTPConnectionPool, HTTPSConnectionPool, Timeout
from urllib3.exceptions import HTTPError as Urllib3Error
from urllib3.exceptions import NewConnectionError
from urllib3.exceptions import TimeoutError as Urllib3Timeout

from .guard import Target

MAX_BODY = 10 * 1024 * 1024  # bytes read of an answer unless the caller asks for fewer


class OutboundError(Exception):
    """No answer arrived: `reason` names the exception and its cause; `timed_out` when it
    was the timeout."""

    def __init__(self, reason: str, *, timed_out: bool = False) -> None:
        super().__init__(reason)
        self.reason, self.timed_out = reason, timed_out


@dataclass
class Reply:
    """An answer: status, headers (lower-case names), the body (at most `max_bytes`) and how
    long it took."""

    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    duration_ms: int = 0


def host_header(target: Target) -> str:
    host = f"[{target.host}]" if ":" in target.host else target.host
    default = 443 if target.scheme == "https" else 80
    return host if target.port == default else f"{host}:{target.port}"


def _pool(target: Target, timeout: float) -> HTTPConnectionPool:
    timeouts = Timeout(connect=timeout, read=timeout, total=timeout)
    if target.scheme == "https":
        return HTTPSConnectionPool(
            target.address,
            target.port,
            timeout=timeouts,
            retries=False,
            maxsize=1,
            server_hostname=target.host,
            assert_hostname=target.host,
        )
    return HTTPConnectionPool(
        target.address, target.port, timeout=timeouts, retries=False, maxsize=1
    )


def request(
    target: Target,
    method: str,
    *,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    timeout: float,
    max_bytes: int = MAX_BODY,
    path: str | None = None,
) -> Reply:
    """Send `method` to the vetted `target` (its path, or `path`) and read at most
    `max_bytes` of the answer. Raises OutboundError when no answer arrives."""
    pool = _pool(target, timeout)
    started = time.monotonic()
    try:
        resp = pool.urlopen(
            method,
            path or target.path,
            body=body,
            headers={**(headers or {}), "Host": host_header(target)},
            redirect=False,
            retries=False,
            preload_content=False,
            assert_same_host=False,
        )
        try:
            raw = resp.read(max_bytes)
        finally:
            resp.release_conn()
        return Reply(
            status=resp.status,
            body=raw[:max_bytes],
            headers={k.lower(): v for k, v in resp.headers.items()},
            duration_ms=int((time.monotonic() - started) * 1000),
        )
    except (Urllib3Error, OSError) as exc:
        reason = getattr(exc, "reason", None) or exc
        raise OutboundError(
            f"{type(exc).__name__}: {reason}"[:500],
            # urllib3 2 makes NewConnectionError (refused, unreachable) a ConnectTimeoutError
            # for compatibility: it came back at once, it did not time out.
            timed_out=isinstance(exc, (Urllib3Timeout, TimeoutError))
            and not isinstance(exc, NewConnectionError),
        ) from exc
    finally:
        pool.close()
