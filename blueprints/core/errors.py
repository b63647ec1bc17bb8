"""The one error envelope and the app-wide handlers that produce it.

Domain code raises `DomainError` subclasses; handlers turn every error (domain, HTTP,
validation, uncaught) into `{"error", "message", "details", "requestId"}` under `/api/`
and into an HTML error page elsewhere.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

from apiflask.exceptions import HTTPError
from flask import Flask, g, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from .text import camel

log = logging.getLogger("sparki.errors")

CODES_BY_STATUS = {
    400: "invalid_request",
    401: "authentication_failed",
    403: "insufficient_permissions",
    404: "not_found",
    405: "invalid_request",
    409: "conflict",
    413: "invalid_request",
    415: "invalid_request",
    422: "invalid_request",
    429: "rate_limit_exceeded",
    500: "server_error",
    503: "service_unavailable",
}


class DomainError(Exception):
    """A failure the caller can act on. `field`/`reason` name what was wrong."""

    status = 400
    code = "invalid_request"

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        reason: str | None = None,
        details: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.details: dict[str, Any] = dict(details or {})
        if field:
            self.details["field"] = field
        if reason:
            self.details["reason"] = reason
        self.headers = headers or {}

    @property
    def field(self) -> str | None:
        return self.details.get("field")


class InvalidRequest(DomainError):
    status, code = 400, "invalid_request"


class AuthenticationFailed(DomainError):
    status, code = 401, "authentication_failed"


class PermissionDenied(DomainError):
    status, code = 403, "insufficient_permissions"


class ModuleDisabled(DomainError):
    status, code = 403, "module_disabled"


class NotFound(DomainError):
    status, code = 404, "not_found"


class Conflict(DomainError):
    status, code = 409, "conflict"


class RateLimited(DomainError):
    status, code = 429, "rate_limit_exceeded"


class ServiceUnavailable(DomainError):
    status, code = 503, "service_unavailable"


def is_api_request() -> bool:
    return request.path.startswith("/api/")


def error_response(
    status: int,
    message: str,
    *,
    code: str | None = None,
    details: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
):
    """Build the envelope response. The only place that shapes an error body."""
    body = {
        "error": code
        or CODES_BY_STATUS.get(status, "server_error" if status >= 500 else "invalid_request"),
        "message": message,
        "details": details or {},
        "requestId": getattr(g, "request_id", None),
        **(extra or {}),
    }
    resp = jsonify(body)
    resp.status_code = status
    for key, value in (headers or {}).items():
        resp.headers[key] = value
    return resp


def _html_error(status: int, message: str):
    if request.headers.get("HX-Request") == "true" and not request.headers.get(
        "HX-History-Restore-Request"
    ):
        # htmx swaps this into a panel: a toast fragment, retargeted to the page's toast
        # area, never a whole page (a sidebar inside the panel).
        body = render_template("_error_toast.html", status=status, message=message)
        return body, status, {"HX-Retarget": "#toasts", "HX-Reswap": "beforeend"}
    return render_template("error.html", status=status, message=message), status


def _camel_field(details: dict[str, Any]) -> dict[str, Any]:
    """`details` with `field` named as the API names it: a domain function's argument
    (`hysteresis_percent`) or a schema-level check's field is camelCase on the wire. Only the
    first segment: later ones may be keys the client chose (`env.MY_VAR`)."""
    field = details.get("field")
    if not isinstance(field, str) or "_" not in field.split(".", 1)[0]:
        return details
    head, dot, rest = field.partition(".")
    return {**details, "field": camel(head) + dot + rest}


def _validation_details(detail: dict[str, Any]) -> dict[str, Any]:
    """Flatten webargs/marshmallow messages into details.field / details.reason."""
    for location, fields in (detail or {}).items():
        if isinstance(fields, dict):
            for name, reasons in fields.items():
                reason = reasons
                while isinstance(reason, dict):  # nested: items.0.quantity
                    key, reason = next(iter(reason.items()))
                    if key != "_schema":  # marshmallow's key for "this whole value is wrong"
                        name = f"{name}.{key}"
                if isinstance(reason, list):
                    reason = "; ".join(str(r) for r in reason)
                if name == "_schema":  # the body itself, e.g. a list where an object belongs
                    return {
                        "reason": f"the {location} body must be an object ({reason})",
                        "location": location,
                        "errors": detail,
                    }
                return {
                    "field": name,
                    "reason": str(reason),
                    "location": location,
                    "errors": detail,
                }
        return {"reason": str(fields), "location": location}
    return {}


def _validation_message(details: dict[str, Any], fallback: str | None) -> str:
    field, reason = details.get("field"), details.get("reason")
    if field:
        return f"Invalid value for '{field}': {reason}"
    return f"Invalid request: {reason}" if reason else (fallback or "Invalid request")


def _rate_limit_response(exc: HTTPException):
    from .extensions import limiter

    current = g.get("api_rate_window") or limiter.current_limit  # the API's, or a route's
    retry_after = max(1, int(current.reset_at - time.time())) if current else 60
    limit = current.limit if current else None
    message = (
        f"Rate limit of {limit} exceeded; retry after {retry_after}s"
        if limit
        else (f"Rate limit exceeded; retry after {retry_after}s")
    )
    if not is_api_request():  # e.g. the login form: a page, not a JSON body
        html, status, *rest = _html_error(429, message)
        return html, status, {**(rest[0] if rest else {}), "Retry-After": str(retry_after)}
    return error_response(
        429, message, headers={"Retry-After": str(retry_after)}, extra={"retryAfter": retry_after}
    )


def _is_malformed_json() -> bool:
    if not request.is_json:
        return False
    try:
        json.loads(request.get_data(cache=True) or b"null")
    except ValueError:
        return True
    return False


def _http_message(exc: HTTPException, status: int) -> tuple[str, dict[str, str]]:
    """A plain message (and headers) for a Werkzeug HTTP error."""
    messages = {
        404: f"No route {request.method} {request.path}",
        405: f"Method {request.method} is not allowed on {request.path}",
    }
    if status == 413:
        limit = request.max_content_length
        messages[413] = f"The request body is larger than the limit of {limit} bytes"
    message = messages.get(status) or exc.description or exc.name
    if status == 400 and _is_malformed_json():
        message = "The request body is not valid JSON"
    headers = {}
    if status == 405 and getattr(exc, "valid_methods", None):
        headers["Allow"] = ", ".join(exc.valid_methods)  # type: ignore[attr-defined]
    return message, headers


def _database_busy(exc: Exception) -> bool:
    """SQLite's "database is locked" (a writer waited out its busy timeout) or SQLAlchemy's
    pool timeout (every connection in use): load, not a fault of the request."""
    from sqlalchemy.exc import OperationalError
    from sqlalchemy.exc import TimeoutError as PoolTimeout

    if isinstance(exc, PoolTimeout):
        return True
    return isinstance(exc, OperationalError) and "database is locked" in str(exc.orig)


def _busy_response(exc: Exception):
    """Not a bug of the request: SQLite's single writer was held past its busy timeout, or
    every pooled connection was in use. Nothing was written (the transaction is rolled back);
    the client may retry, as for any 503."""
    from .extensions import db

    log.warning("database busy on %s %s: %s", request.method, request.path, exc)
    db.session.rollback()
    message = "The database is busy; nothing was changed. Retry shortly."
    if is_api_request():
        return error_response(503, message, headers={"Retry-After": "1"})
    return _html_error(503, message)


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def handle_domain_error(exc: DomainError):
        if is_api_request():
            return error_response(
                exc.status,
                exc.message,
                code=exc.code,
                details=_camel_field(exc.details),
                headers=exc.headers,
            )
        return _html_error(exc.status, exc.message)

    @app.errorhandler(HTTPError)
    def handle_apiflask_error(exc: HTTPError):
        status = exc.status_code
        if status in (400, 422) and isinstance(exc.detail, dict) and exc.detail:
            details = _validation_details(exc.detail)
            message = _validation_message(details, exc.message)
            if is_api_request():
                return error_response(400, message, details=details)
            return _html_error(400, message)
        if is_api_request():
            return error_response(
                status,
                exc.message or "Error",
                details=exc.detail or {},
                headers=dict(exc.headers or {}),
            )
        return _html_error(status, exc.message)

    @app.errorhandler(CSRFError)
    def handle_csrf(exc: CSRFError):
        if is_api_request():
            return error_response(
                400, f"CSRF check failed: {exc.description}", details={"reason": "csrf"}
            )
        return _html_error(
            400, "Your form expired or the CSRF token was missing. Reload and retry."
        )

    @app.errorhandler(HTTPException)
    def handle_http_exception(exc: HTTPException):
        status = exc.code or 500
        if status == 429:
            return _rate_limit_response(exc)
        message, headers = _http_message(exc, status)
        if is_api_request():
            details = {"field": "body", "reason": "too large"} if status == 413 else None
            return error_response(status, message, details=details, headers=headers)
        return _html_error(status, message)

    @app.errorhandler(Exception)
    def handle_uncaught(exc: Exception):
        if _database_busy(exc):
            return _busy_response(exc)
        log.exception("unhandled error on %s %s", request.method, request.path)
        message = "An internal error occurred; quote the request id when reporting it"
        if is_api_request():
            return error_response(500, message)
        return _html_error(500, message)
