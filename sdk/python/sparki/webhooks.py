"""Verify the webhooks Sparki sends (the same algorithm as the server's signer).

Each delivery carries two signatures:

- Standard Webhooks (https://www.standardwebhooks.com): `webhook-id`, `webhook-timestamp`
  (Unix seconds) and `webhook-signature: v1,<base64 HMAC-SHA256(key, "id.timestamp.body")>`,
  the key being the base64-decoded part of the `whsec_…` secret; space-separated entries
  when two secrets sign (for 24 hours after a rotation);
- `X-Sparki-Signature: sha256=<hex HMAC-SHA256(secret, body)>`, the key being the whole
  `whsec_…` string. It signs the body alone (no timestamp), so `verify` accepts a delivery
  only with the timestamped Standard Webhooks headers.

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
    allow_untimed: bool = False,
) -> bool:
    """Whether a delivery was signed by Sparki with `secret`, recently.

    Checks the Standard Webhooks headers (`webhook-id`, `webhook-timestamp`,
    `webhook-signature`), refusing a timestamp more than `tolerance` seconds from now (a
    replay); during a secret rotation either secret verifies. Sparki sends both schemes
    on every delivery, so a request carrying only `X-Sparki-Signature` is refused:
    that header signs the body alone, and a captured delivery stripped of its timestamp could
    otherwise be replayed forever. `allow_untimed=True` accepts it (no replay protection).

    Args:
        payload: the raw request body (bytes; text is encoded as UTF-8).
        headers: the request's headers (any mapping; names are matched case-insensitively).
        secret: the endpoint's `whsec_…` secret.
        tolerance: seconds the timestamp may be off. now: the current Unix time (seconds).
        allow_untimed: accept `X-Sparki-Signature` alone, without a timestamp.

    Returns:
        True when the signatures match (and the timestamp is fresh), else False.

    Raises:
        Nothing: a missing, malformed or wrong signature, or a stale timestamp, gives False.
    """
    msg_id = _header(headers, "webhook-id")
    stamp = _header(headers, "webhook-timestamp")
    given = _header(headers, "webhook-signature")
    if msg_id and stamp and given:
        stamp = stamp.strip()
        if not (stamp.isascii() and stamp.isdigit()):  # int() would take "+1_700_000_000"
            return False
        ts = int(stamp)
        try:
            expected = standard_signature(payload, msg_id, ts, secret)
        except (ValueError, binascii.Error):
            return False
        if abs((time.time() if now is None else now) - ts) > tolerance:
            return False
        return any(_same(expected, candidate) for candidate in given.split(" ") if candidate)
    sparki = _header(headers, "x-sparki-signature")
    if sparki and allow_untimed:
        return _same(sparki_signature(payload, secret), sparki)
    return False


def _same(expected: str, given: str) -> bool:
    """Constant-time comparison that is False (not a TypeError) for non-ASCII text."""
    return hmac.compare_digest(expected.encode(), given.encode("utf-8", "surrogatepass"))


def construct_event(
    payload: Union[bytes, str],
    headers: Mapping[str, str],
    secret: str,
    *,
    tolerance: float = DEFAULT_TOLERANCE,
    allow_untimed: bool = False,
) -> Dict[str, Any]:
    """Verify a delivery and return its event.

    Args:
        payload, headers, secret, tolerance, allow_untimed: as for `verify()`.

    Returns:
        The event: `{"id": "evt-…", "timestamp", "event", "data"}`.

    Raises:
        WebhookVerificationError: no valid signature (or a stale timestamp), or the body is
            not a JSON object.
    """
    if not verify(payload, headers, secret, tolerance=tolerance, allow_untimed=allow_untimed):
        raise WebhookVerificationError("The webhook signature does not match", status=None)
    try:
        event = json.loads(_bytes(payload))
    except ValueError as exc:
        raise WebhookVerificationError("The webhook body is not JSON") from exc
    if not isinstance(event, dict):
        raise WebhookVerificationError("The webhook body is not a JSON object")
    return event
