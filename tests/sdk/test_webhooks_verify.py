"""`sparki.webhooks.verify` accepts what the server's signer signs and nothing else: checked
against `blueprints.webhooks.signing` directly and against a real delivery."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import sparki
from sparki.webhooks import construct_event, verify

from blueprints.webhooks import signing
from tests.support.waiting import wait_until

BODY = b'{"id":"evt-1","timestamp":"2026-01-01T00:00:00Z","event":"ping","data":{}}'


def test_both_schemes_of_the_servers_signer_verify():
    secret = signing.generate_secret()
    now = int(time.time())
    headers = signing.sign([secret], "evt-1", now, BODY)
    assert verify(BODY, headers, secret)
    assert verify(BODY.decode(), {k.upper(): v for k, v in headers.items()}, secret)
    # Each scheme alone.
    standard = {k: v for k, v in headers.items() if k.startswith("webhook-")}
    assert verify(BODY, standard, secret)
    assert verify(BODY, {"X-Sparki-Signature": headers["X-Sparki-Signature"]}, secret)
    assert construct_event(BODY, headers, secret)["event"] == "ping"


def test_forgeries_and_replays_are_refused():
    secret, other = signing.generate_secret(), signing.generate_secret()
    now = int(time.time())
    headers = signing.sign([secret], "evt-1", now, BODY)
    assert not verify(BODY + b" ", headers, secret)
    assert not verify(BODY, headers, other)
    assert not verify(BODY, {}, secret)
    assert not verify(BODY, {**headers, "webhook-id": "evt-2"}, secret)
    assert not verify(BODY, {**headers, "webhook-timestamp": "soon"}, secret)
    stale = signing.sign([secret], "evt-1", now - 301, BODY)
    assert not verify(BODY, stale, secret)
    assert verify(BODY, stale, secret, tolerance=600)
    future = signing.sign([secret], "evt-1", now + 301, BODY)
    assert not verify(BODY, future, secret)
    assert not verify(BODY, {"X-Sparki-Signature": "sha256=00"}, secret)
    with pytest.raises(sparki.WebhookVerificationError):
        construct_event(BODY, stale, secret)


def test_during_a_rotation_either_secret_verifies():
    new, old = signing.generate_secret(), signing.generate_secret()
    headers = signing.sign([new, old], "evt-9", int(time.time()), BODY)
    assert len(headers["webhook-signature"].split(" ")) == 2
    assert verify(BODY, headers, new) and verify(BODY, headers, old)


def test_the_same_algorithm_as_the_server():
    secret = signing.generate_secret()
    assert sparki.webhooks.sparki_signature(BODY, secret) == signing.sparki_signature(secret, BODY)
    assert sparki.webhooks.standard_signature(
        BODY, "evt-1", 1700000000, secret
    ) == signing.standard_signature(secret, "evt-1", 1700000000, BODY)


@pytest.fixture
def receiver() -> Iterator[tuple[str, list]]:
    got: list = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            got.append((dict(self.headers.items()), body))
            self.send_response(204)
            self.end_headers()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook", got
    server.shutdown()
    server.server_close()
    thread.join(5)


def test_a_real_delivery_verifies_with_the_secret_the_sdk_got(sdk, receiver, run_jobs):
    url, got = receiver
    hook = sdk.webhooks.create(url=url, events=["*"])
    sdk.webhooks.ping(hook.id)
    wait_until(lambda: run_jobs() or got, what="the ping delivery")
    headers, body = got[0]
    assert verify(body, headers, hook.secret)
    event = construct_event(body, headers, hook.secret)
    assert event["event"] == "ping" and event["id"] == headers["webhook-id"]
    assert not verify(body, headers, sdk.webhooks.rotate_secret(hook.id).secret)
    assert not verify(json.dumps(json.loads(body), indent=1), headers, hook.secret)
