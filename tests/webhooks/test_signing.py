"""The signing module against the Standard Webhooks spec and the independent PyPI package."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from datetime import UTC, datetime

import pytest
from standardwebhooks.webhooks import Webhook as StandardWebhook
from standardwebhooks.webhooks import WebhookVerificationError

from blueprints.webhooks import signing

# The test vector published with the Standard Webhooks reference libraries.
VECTOR = {
    "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
    "id": "msg_p5jXN8AQM9LWM0D4loKWxJek",
    "timestamp": 1614265330,
    "body": b'{"test": 2432232314}',
    "signature": "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
}


def test_spec_test_vector():
    assert (
        signing.standard_signature(
            VECTOR["secret"], VECTOR["id"], VECTOR["timestamp"], VECTOR["body"]
        )
        == VECTOR["signature"]
    )
    headers = {
        "webhook-id": VECTOR["id"],
        "webhook-timestamp": str(VECTOR["timestamp"]),
        "webhook-signature": VECTOR["signature"],
    }
    assert signing.verify(VECTOR["secret"], VECTOR["body"], headers, now=VECTOR["timestamp"] + 10)
    assert not signing.verify(VECTOR["secret"], VECTOR["body"], headers)  # too old: replay


def test_secrets_are_whsec_and_24_bytes_or_more():
    a, b = signing.generate_secret(), signing.generate_secret()
    assert a != b and a.startswith("whsec_")
    assert len(base64.b64decode(a[len("whsec_") :])) >= 24


def test_the_pypi_package_verifies_our_signatures_and_we_verify_its():
    secret = signing.generate_secret()
    body, msg_id, ts = b'{"id":"evt-1","event":"ping"}', "evt-1", int(time.time())
    headers = signing.sign([secret], msg_id, ts, body)
    lower = {k.lower(): v for k, v in headers.items()}
    assert StandardWebhook(secret).verify(body, lower) == {"id": "evt-1", "event": "ping"}
    theirs = StandardWebhook(secret).sign(msg_id, datetime.fromtimestamp(ts, tz=UTC), body.decode())
    assert signing.verify(
        secret,
        body,
        {"webhook-id": msg_id, "webhook-timestamp": str(ts), "webhook-signature": theirs},
    )
    with pytest.raises(WebhookVerificationError):
        StandardWebhook(signing.generate_secret()).verify(body, lower)
    assert not signing.verify(secret, body + b" ", headers)


def test_sparki_signature_is_the_seeds_scheme():
    secret = signing.generate_secret()
    body = b'{"a":1}'
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    assert signing.sign([secret], "evt-1", 1, body)["X-Sparki-Signature"] == expected
    assert signing.verify(secret, body, {"X-Sparki-Signature": expected})
    assert not signing.verify(secret, body, {"X-Sparki-Signature": "sha256=00"})
    assert not signing.verify(secret, body, {})


def test_rotation_sends_several_signatures_any_of_which_verifies():
    old, new = signing.generate_secret(), signing.generate_secret()
    body, ts = b"{}", int(time.time())
    headers = signing.sign([new, old], "evt-2", ts, body)
    assert len(headers["webhook-signature"].split(" ")) == 2
    for secret in (old, new):
        assert signing.verify(secret, body, headers)
        StandardWebhook(secret).verify(body, {k.lower(): v for k, v in headers.items()})
    assert not signing.verify(signing.generate_secret(), body, headers)
