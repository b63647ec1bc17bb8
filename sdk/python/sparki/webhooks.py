"""Verify the webhooks Sparki sends (the same algorithm as the server's signer).

Each delivery carries two signatures:

- Standard Webhooks (https://www.standardwebhooks.com): `webhook-id`, `webhook-timestamp`
  (Unix seconds) and `webhook-signature: v1,<base64 HMAC-SHA256(key, "id.timestamp.body")>`,
  the key being the base64-decoded part of the `whsec_…` secret; space-separated entries
  when two secrets sign (for 24 hours after a rotation);
- `X-Sparki-Signature: sha256=<hex HMAC-SHA256(secret, body)>`, the key being the whole
  `whsec_…` string.

    from sparki.webhooks import construct_event

    event = construct_event(request.get_data(), request.headers, SECRET)  # raises if forged

Verify the raw body bytes as received, never a re-serialisation of the parsed JSON.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
from typing import Any, Dict, Mapping, Optional, Union

from .errors import WebhookVerificationError

SECRET_PREFIX = "whsec_"
DEFAULT_TOLERANCE = 300  # seconds a webhook-timestamp may differ from now (replay window)


def _bytes(payload: Union[bytes, str]) -> bytes:
    return payload.encode() if isinstance(payload, str) else bytes(payload)


def _header(headers: Mapping[str, str], name: str) -> Optional[str]:
    for key, value in headers.items():
        if key.lower() == name:
            return value
    return None


def _key(secret: str) -> bytes:
    raw = secret[len(SECRET_PREFIX) :] if secret.startswith(SECRET_PREFIX) else secret
    return base64.b64decode(raw)


def sparki_signature(payload: Union[bytes, str], secret: str) -> str:
    """The `X-Sparki-Signature` value for a body: `sha256=<hex>`."""
    digest = hmac.new(secret.encode(), _bytes(payload), hashlib.sha256).hexdigest()
    return "sha256=" + digest


def standard_signature(payload: Union[bytes, str], msg_id: str, timestamp: int, secret: str) -> str:
    """One `webhook-signature` entry for a body: `v1,<base64>`."""
    signed = f"{msg_id}.{timestamp}.".encode() + _bytes(payload)
    digest = hmac.new(_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def verify(
    payload: Union[bytes, str],
    headers: Mapping[str, str],
    secret: str,
    *,
    tolerance: float = DEFAULT_TOLERANCE,
    now: Optional[float] = None,
) -> bool:
    """Whether a delivery was signed by Sparki with `secret`.

    Checks the Standard Webhooks headers when present (refusing a `webhook-timestamp` more
    than `tolerance` seconds from now, against replays), else `X-Sparki-Signature`.

    Args:
        payload: the raw request body (bytes; text is encoded as UTF-8).
        headers: the request's headers (any mapping; names are matched case-insensitively).
        secret: the endpoint's `whsec_…` secret.
        tolerance: seconds the timestamp may be off. now: the current Unix time (seconds).

    Returns:
        True when a signature matches, else False.

    Raises:
        Nothing: a missing, malformed or wrong signature, or a stale timestamp, gives False.
    """
    msg_id = _header(headers, "webhook-id")
    stamp = _header(headers, "webhook-timestamp")
    given = _header(headers, "webhook-signature")
    if msg_id and stamp and given:
        try:
            ts = int(stamp)
            expected = standard_signature(payload, msg_id, ts, secret)
        except (ValueError, binascii.Error):
            return False
        if abs((time.time() if now is None else now) - ts) > tolerance:
            return False
        return any(
            hmac.compare_digest(expected, candidate) for candidate in given.split(" ") if candidate
        )
    sparki = _header(headers, "x-sparki-signature")
    if sparki:
        return hmac.compare_digest(sparki_signature(payload, secret), sparki)
    return False


def construct_event(
    payload: Union[bytes, str],
    headers: Mapping[str, str],
    secret: str,
    *,
    tolerance: float = DEFAULT_TOLERANCE,
) -> Dict[str, Any]:
    """Verify a delivery and return its event.

    Args:
        payload, headers, secret, tolerance: as for `verify()`.

    Returns:
        The event: `{"id": "evt-…", "timestamp", "event", "data"}`.

    Raises:
        WebhookVerificationError: no valid signature (or a stale timestamp), or the body is
            not a JSON object.
    """
    if not verify(payload, headers, secret, tolerance=tolerance):
        raise WebhookVerificationError("The webhook signature does not match", status=None)
    try:
        event = json.loads(_bytes(payload))
    except ValueError as exc:
        raise WebhookVerificationError("The webhook body is not JSON") from exc
    if not isinstance(event, dict):
        raise WebhookVerificationError("The webhook body is not a JSON object")
    return event
