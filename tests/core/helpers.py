"""Assertions shared by the core and users tests."""

from __future__ import annotations

from typing import Any

ENVELOPE_KEYS = {"error", "message", "details", "requestId"}


def assert_error(response: Any, status: int, code: str, *, field: str | None = None) -> dict:
    """The response is the API's error envelope with this status and code (and field)."""
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True))
    body = response.get_json()
    assert body is not None, response.get_data(as_text=True)
    assert ENVELOPE_KEYS <= set(body), body
    assert body["error"] == code, body
    assert isinstance(body["message"], str) and body["message"], body
    assert isinstance(body["details"], dict), body
    assert body["requestId"].startswith("req-") or body["requestId"], body
    assert response.headers["X-Request-Id"] == body["requestId"]
    if field is not None:
        assert body["details"].get("field") == field, body
    return body
