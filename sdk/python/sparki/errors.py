"""One exception per error code of the API's envelope, all subclasses of `SparkiError`.

The server answers every error with
`{"error": code, "message": text, "details": {...}, "requestId": "req-…"}`; the SDK raises
the class of that code, carrying all four (quote `request_id` when asking for help: the
server's logs carry it too).
"""

from __future__ import annotations

from typing import Any, Dict, Optional


class SparkiError(Exception):
    """Base class of every error the SDK raises.

    Attributes: `status` (HTTP status, None when no answer came), `code` (the envelope's
    `error`), `message`, `details` (a dict), `request_id` (`req-…`, or None), `response`
    (the `httpx.Response`, or None).
    """

    default_code = "server_error"

    def __init__(
        self,
        message: str,
        *,
        status: Optional[int] = None,
        code: Optional[str] = None,
        details: Optional[Dict[str, Any]] = None,
        request_id: Optional[str] = None,
        response: Any = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code or self.default_code
        self.details = details or {}
        self.request_id = request_id
        self.response = response

    def __str__(self) -> str:
        where = f" [{self.request_id}]" if self.request_id else ""
        status = f"{self.status} " if self.status else ""
        return f"{status}{self.code}: {self.message}{where}"


class InvalidRequestError(SparkiError):
    """400 `invalid_request`: the request is malformed or a value is refused."""

    default_code = "invalid_request"


class ValidationError(InvalidRequestError):
    """400 `invalid_request` naming a field: `field` (the API's camelCase name) and `reason`."""

    @property
    def field(self) -> Optional[str]:
        """The refused field's camelCase name (`details.field`)."""
        return self.details.get("field")

    @property
    def reason(self) -> Optional[str]:
        """Why it was refused (`details.reason`), e.g. `required` or `too_long`."""
        return self.details.get("reason")


class AuthenticationError(SparkiError):
    """401 `authentication_failed`: no, a wrong, an expired or a revoked key or token."""

    default_code = "authentication_failed"


class PermissionError(SparkiError):  # noqa: A001 - the name the API's users expect
    """403 `insufficient_permissions`: the key's user has no role allowing this."""

    default_code = "insufficient_permissions"


class ModuleDisabledError(PermissionError):
    """403 `module_disabled`: the organization has this module (`crm`, `schedules`) off."""

    default_code = "module_disabled"


class NotFoundError(SparkiError):
    """404 `not_found`: no such resource in the caller's organization."""

    default_code = "not_found"


class ConflictError(SparkiError):
    """409 `conflict`: a duplicate, a state forbidding the change, or an Idempotency-Key
    reused with a different request."""

    default_code = "conflict"


class PayloadTooLargeError(InvalidRequestError):
    """413: the body is over the server's `MAX_CONTENT_LENGTH`."""


class RateLimitError(SparkiError):
    """429 `rate_limit_exceeded`: `retry_after` is the wait the server asked for, in seconds."""

    default_code = "rate_limit_exceeded"

    def __init__(self, message: str, *, retry_after: Optional[float] = None, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.retry_after = retry_after


class ServerError(SparkiError):
    """500 `server_error` (and any 5xx the server did not name otherwise)."""

    default_code = "server_error"


class ServiceUnavailableError(ServerError):
    """503 `service_unavailable`: a dependency (database, Redis, runtime) is down."""

    default_code = "service_unavailable"


class APIConnectionError(SparkiError):
    """No answer: the connection failed or timed out (after the SDK's retries)."""

    default_code = "connection_error"


class DeploymentFailedError(SparkiError):
    """`deployments.wait()` saw the deployment end `failed`; `deployment` holds it."""

    default_code = "deployment_failed"

    def __init__(self, message: str, *, deployment: Any = None, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.deployment = deployment


class WaitTimeoutError(SparkiError):
    """A `wait()` ran out of time before the awaited state; `last` holds the last reading."""

    default_code = "timeout"

    def __init__(self, message: str, *, last: Any = None, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.last = last


class WebhookVerificationError(SparkiError):
    """`sparki.webhooks.construct_event()` refused a payload: bad or missing signature, or
    a timestamp outside the tolerance."""

    default_code = "invalid_signature"


BY_CODE = {
    "invalid_request": InvalidRequestError,
    "authentication_failed": AuthenticationError,
    "insufficient_permissions": PermissionError,
    "module_disabled": ModuleDisabledError,
    "not_found": NotFoundError,
    "conflict": ConflictError,
    "rate_limit_exceeded": RateLimitError,
    "server_error": ServerError,
    "service_unavailable": ServiceUnavailableError,
}
BY_STATUS = {
    400: InvalidRequestError,
    401: AuthenticationError,
    403: PermissionError,
    404: NotFoundError,
    409: ConflictError,
    413: PayloadTooLargeError,
    429: RateLimitError,
    503: ServiceUnavailableError,
}


def _retry_after(response: Any, body: Dict[str, Any]) -> Optional[float]:
    value = response.headers.get("Retry-After") or body.get("retryAfter")
    try:
        return float(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def error_from_response(response: Any) -> SparkiError:
    """The exception for an error answer (`httpx.Response`), from its envelope when it has
    one, else from its status."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        body = {}
    code = body.get("error") if isinstance(body.get("error"), str) else None
    details = body.get("details") if isinstance(body.get("details"), dict) else {}
    cls = BY_CODE.get(code or "") or BY_STATUS.get(response.status_code)
    if cls is None:
        cls = ServerError if response.status_code >= 500 else SparkiError
    if cls is InvalidRequestError and "field" in details:
        cls = ValidationError
    kw: Dict[str, Any] = {
        "status": response.status_code,
        "code": code,
        "details": details,
        "request_id": body.get("requestId") or response.headers.get("X-Request-Id"),
        "response": response,
    }
    message = body.get("message") or response.reason_phrase or f"HTTP {response.status_code}"
    if cls is RateLimitError:
        kw["retry_after"] = _retry_after(response, body)
    return cls(str(message), **kw)
