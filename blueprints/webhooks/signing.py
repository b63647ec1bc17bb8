"""Webhook signatures: the one place that signs payloads and verifies them.

Two schemes are sent with every delivery:

- `X-Sparki-Signature: sha256=<hex HMAC-SHA256(secret, body)>` (the original Sparki scheme;
  the key is the whole `whsec_…` string as UTF-8 bytes);
- Standard Webhooks (https://www.standardwebhooks.com): `webhook-id`, `webhook-timestamp`
  and `webhook-signature: v1,<base64 HMAC-SHA256(base64-decoded secret, "id.timestamp.body")>`,
  space-separated when several secrets sign (during a rotation).

Receivers can use `verify()` (it has no dependency on the rest of Sparki):

    from blueprints.webhooks.signing import verify
    ok = verify(secret, request.get_data(), request.headers)
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets as _secrets
import time
from collections.abc import Iterable, Mapping

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32  # at least 24 random bytes
DEFAULT_TOLERANCE = 5 * 60  # seconds a webhook-timestamp may be off (replay window)


def generate_secret() -> str:
    """`whsec_` + base64 of 32 random bytes."""
    return SECRET_PREFIX + base64.b64encode(_secrets.token_bytes(SECRET_BYTES)).decode()


def _key(secret: str) -> bytes:
    raw = secret[len(SECRET_PREFIX) :] if secret.startswith(SECRET_PREFIX) else secret
    return base64.b64decode(raw)


def sparki_signature(secret: str, body: bytes) -> str:
    """`sha256=<hex HMAC-SHA256(secret, body)>`: the X-Sparki-Signature value."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def standard_signature(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """`v1,<base64 HMAC-SHA256(key, "id.timestamp.body")>`: one webhook-signature entry."""
    signed = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def sign(secrets: Iterable[str], msg_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """The signature headers for one attempt. The first secret is the current one."""
    keys = [s for s in secrets if s]
    return {
        "X-Sparki-Signature": sparki_signature(keys[0], body),
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(standard_signature(k, msg_id, timestamp, body) for k in keys),
    }


def _header(headers: Mapping[str, str], name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name:
            return value
    return None


def verify(
    secret: str,
    body: bytes,
    headers: Mapping[str, str],
    *,
    tolerance: int = DEFAULT_TOLERANCE,
    now: float | None = None,
) -> bool:
    """True when `body` was signed with `secret`.

    Uses the Standard Webhooks headers when present (and refuses a timestamp more than
    `tolerance` seconds away, against replays), else `X-Sparki-Signature`.
    """
    msg_id = _header(headers, "webhook-id")
    stamp = _header(headers, "webhook-timestamp")
    given = _header(headers, "webhook-signature")
    if msg_id and stamp and given:
        try:
            ts = int(stamp)
        except ValueError:
            return False
        if abs((now if now is not None else time.time()) - ts) > tolerance:
            return False
        expected = standard_signature(secret, msg_id, ts, body)
        return any(
            hmac.compare_digest(expected, candidate) for candidate in given.split(" ") if candidate
        )
    sparki = _header(headers, "x-sparki-signature")
    if sparki:
        return hmac.compare_digest(sparki_signature(secret, body), sparki)
    return False
