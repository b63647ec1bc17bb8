"""The one place that speaks HTTP: credentials, retries with backoff, errors.

Retried: connection errors and timeouts, 429 (waiting what `Retry-After` asks),
502/503/504, and the 409 saying a POST with this `Idempotency-Key` is still being processed
(its first try's answer is replayed once done), with exponential backoff and jitter (about
1 s, 2 s, 4 s… capped at `backoff_max`) up to `max_retries` times. A POST is retried only
when it carries an `Idempotency-Key`; the SDK gives every POST one (a UUID) unless the caller
passes their own, so a retried deploy or order is replayed by the server, never done twice.
"""

from __future__ import annotations

import json as _json
import random
import re
import time
import uuid
from decimal import Decimal
from typing import Any, Callable, Dict, Iterator, Mapping, Optional, Tuple

import httpx

from . import __version__
from .errors import APIConnectionError, error_from_response

RETRY_STATUSES = frozenset({429, 502, 503, 504})
API_PREFIX = "/api/v1"


_DECIMAL = re.compile(r'"\\u0000D([-+0-9.eE]+)\\u0000"')


def _mark(value: Any) -> Any:
    """Decimals as marked strings, swapped back for bare numbers after encoding."""
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"{value} is not a JSON number")
        return f"\x00D{value}\x00"
    if isinstance(value, dict):
        return {k: _mark(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_mark(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat().replace("+00:00", "Z")
    return value


def encode_json(body: Any) -> bytes:
    """The request body as compact JSON: Decimals as numbers with exactly their digits
    (money: `19.99`, never `19.989999…`), datetimes as ISO-8601."""
    text = _json.dumps(_mark(body), separators=(",", ":"))
    return _DECIMAL.sub(lambda m: m.group(1), text).encode()


class Transport:
    """An `httpx.Client` plus Sparki's auth headers, retry policy and error mapping."""

    def __init__(
        self,
        *,
        base_url: str,
        api_key: Optional[str],
        token: Optional[str],
        timeout: float,
        max_retries: int,
        backoff_base: float = 1.0,
        backoff_max: float = 30.0,
        max_retry_after: float = 120.0,
        http_client: Optional[httpx.Client] = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.token = token
        self.timeout = timeout
        self.max_retries = max_retries
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self.max_retry_after = max_retry_after
        self.http = http_client or httpx.Client(timeout=timeout)
        self.sleep: Callable[[float], None] = time.sleep  # tests record the waits

    # --- building requests ------------------------------------------------------------------

    def url(self, path: str) -> str:
        return f"{self.base_url}{API_PREFIX}{path}"

    def headers(self, extra: Optional[Mapping[str, str]] = None) -> Dict[str, str]:
        headers = {
            "Accept": "application/json",
            "User-Agent": f"sparki-python/{__version__} httpx/{httpx.__version__}",
        }
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        elif self.api_key:
            headers["X-API-Key"] = self.api_key
        headers.update(extra or {})
        return headers

    def backoff(self, attempt: int) -> float:
        """Seconds to wait before retry number `attempt + 1`: base·2^attempt, capped, with
        jitter (a random 50–100 % of it, so many clients do not retry in step)."""
        delay = min(self.backoff_max, self.backoff_base * (2**attempt))
        return delay * (0.5 + random.random() / 2)

    def _retry_delay(self, response: httpx.Response, attempt: int) -> Optional[float]:
        """The wait before retrying `response`, or None when it must not be retried."""
        if response.status_code == 409 and _still_processing(response):
            # A retried POST whose first try the server has not finished: ask again later
            # and get the first try's answer replayed.
            return self.backoff(attempt)
        if response.status_code not in RETRY_STATUSES:
            return None
        given = response.headers.get("Retry-After")
        if given is not None:
            try:
                seconds = float(given)
            except ValueError:
                seconds = None
            if seconds is not None:
                return max(0.0, seconds) if seconds <= self.max_retry_after else None
        return self.backoff(attempt)

    # --- sending ------------------------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Optional[Mapping[str, Any]] = None,
        json: Any = None,
        idempotency_key: Optional[str] = None,
        headers: Optional[Mapping[str, str]] = None,
        raw: bool = False,
        content: Optional[bytes] = None,
    ) -> Any:
        """Send one API call (retrying as the module docstring says) and return its JSON.

        `raw=True` returns the `httpx.Response` of any status instead (the proxy).
        Raises the `SparkiError` subclass of the envelope's code, or `APIConnectionError`.
        """
        method = method.upper()
        extra = dict(headers or {})
        if method == "POST":
            extra.setdefault("Idempotency-Key", idempotency_key or str(uuid.uuid4()))
        if json is not None:
            content = encode_json(json)
            extra["Content-Type"] = "application/json"
        retryable = method != "POST" or "Idempotency-Key" in extra
        response = self._send(method, path, params, content, extra, retryable)
        if raw:
            return response
        if response.status_code >= 400:
            raise error_from_response(response)
        if not response.content:
            return None
        return response.json()

    def _send(
        self,
        method: str,
        path: str,
        params: Optional[Mapping[str, Any]],
        content: Optional[bytes],
        extra: Dict[str, str],
        retryable: bool,
    ) -> httpx.Response:
        attempt = 0
        while True:
            try:
                response = self.http.request(
                    method,
                    self.url(path),
                    params=_query(params),
                    content=content,
                    headers=self.headers(extra),
                    timeout=self.timeout,
                )
            except httpx.TransportError as exc:
                if retryable and attempt < self.max_retries:
                    self.sleep(self.backoff(attempt))
                    attempt += 1
                    continue
                raise APIConnectionError(
                    f"{method} {path} failed: {type(exc).__name__}: {exc}"
                ) from exc
            delay = self._retry_delay(response, attempt) if retryable else None
            if delay is None or attempt >= self.max_retries:
                return response
            response.close()
            self.sleep(delay)
            attempt += 1

    def stream(
        self, path: str, params: Optional[Mapping[str, Any]], headers: Mapping[str, str]
    ) -> Tuple[httpx.Response, Iterator[str]]:
        """Open a GET whose body is read line by line (Server-Sent Events).

        Returns the open response (close it when done) and its line iterator. Raises the
        envelope's error when the answer is not 200.
        """
        request = self.http.build_request(
            "GET",
            self.url(path),
            params=_query(params),
            headers=self.headers({**headers, "Accept": "text/event-stream"}),
            timeout=httpx.Timeout(self.timeout, read=max(self.timeout, 60.0)),
        )
        response = self.http.send(request, stream=True)
        if response.status_code != 200:
            response.read()
            response.close()
            raise error_from_response(response)
        return response, response.iter_lines()

    def close(self) -> None:
        self.http.close()


def _still_processing(response: httpx.Response) -> bool:
    """A 409 saying a request with this Idempotency-Key is still being processed."""
    try:
        details = response.json().get("details") or {}
    except (ValueError, AttributeError):
        return False
    return details.get("field") == "Idempotency-Key" and details.get("reason") == "in progress"


def _query(params: Optional[Mapping[str, Any]]) -> Optional[Dict[str, Any]]:
    """Query parameters without the ones left None, booleans as `true`/`false`."""
    if not params:
        return None
    out: Dict[str, Any] = {}
    for key, value in params.items():
        if value is None:
            continue
        if isinstance(value, bool):
            value = "true" if value else "false"
        elif hasattr(value, "isoformat"):
            value = value.isoformat().replace("+00:00", "Z")
        out[key] = value
    return out
