"""Retries and backoff against a local HTTP server that fails on purpose (real sockets, no
mocks): which answers are retried, how long the SDK waits, and that a retried POST carries
the same Idempotency-Key every time."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import sparki
from sparki import Client


class Script:
    """What the server answers, in order: (status, headers, body) or "drop" (close the
    connection without answering). After the script, 200 `{"ok": true}`."""

    def __init__(self) -> None:
        self.answers: list = []
        self.seen: list[dict] = []
        self.lock = threading.Lock()

    def next(self, request: dict):
        with self.lock:
            self.seen.append(request)
            return self.answers.pop(0) if self.answers else (200, {}, {"ok": True})


def _envelope(status: int, code: str) -> dict:
    return {"error": code, "message": f"{code} on purpose", "details": {}, "requestId": "req-1"}


@pytest.fixture
def failing() -> Iterator[tuple[str, Script]]:
    script = Script()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):  # quiet
            pass

        def _answer(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            request = {
                "method": self.command,
                "path": self.path,
                "headers": dict(self.headers.items()),
                "body": body,
            }
            answer = script.next(request)
            if answer == "drop":
                self.close_connection = True
                with contextlib.suppress(OSError):
                    self.connection.shutdown(socket.SHUT_RDWR)
                return
            status, headers, payload = answer
            data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
            self.send_response(status)
            for name, value in {"Content-Type": "application/json", **headers}.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PATCH = do_DELETE = _answer

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", script
    server.shutdown()
    server.server_close()
    thread.join(5)


def _client(url: str, **options) -> tuple[Client, list[float]]:
    """A client whose waits are recorded instead of slept (the waits are what is tested)."""
    client = Client(api_key="sk_test", base_url=url, **options)
    waits: list[float] = []
    client._transport.sleep = waits.append
    return client, waits


def test_503_and_502_and_504_are_retried_with_growing_jittered_backoff(failing):
    url, script = failing
    script.answers = [
        (503, {}, _envelope(503, "service_unavailable")),
        (502, {}, b"bad gateway"),
        (504, {}, b""),
    ]
    client, waits = _client(url, max_retries=3)
    client.users.me()  # the fourth try answers 200
    assert len(script.seen) == 4
    # 1 s, 2 s, 4 s, each jittered to 50-100 % of itself.
    assert 0.5 <= waits[0] <= 1.0 and 1.0 <= waits[1] <= 2.0 and 2.0 <= waits[2] <= 4.0


def test_backoff_is_capped_and_jittered():
    client = Client(api_key="k", backoff_base=1.0, backoff_max=8.0)
    for attempt in range(8):
        ceiling = min(8.0, 2.0**attempt)
        delays = {client._transport.backoff(attempt) for _ in range(50)}
        assert all(ceiling / 2 <= d <= ceiling for d in delays)
        assert len(delays) > 1  # jitter: not all the same


def test_429_waits_what_retry_after_says(failing):
    url, script = failing
    script.answers = [(429, {"Retry-After": "7"}, _envelope(429, "rate_limit_exceeded"))]
    client, waits = _client(url)
    client.users.me()
    assert waits == [7.0] and len(script.seen) == 2


def test_giving_up_raises_the_last_answers_error(failing):
    url, script = failing
    envelope = {**_envelope(429, "rate_limit_exceeded"), "retryAfter": 3}
    limited = (429, {"Retry-After": "3"}, envelope)
    script.answers = [limited] * 3
    client, waits = _client(url, max_retries=2)
    with pytest.raises(sparki.RateLimitError) as caught:
        client.projects.list()
    assert caught.value.retry_after == 3.0 and caught.value.request_id == "req-1"
    assert len(script.seen) == 3 and waits == [3.0, 3.0]

    script.answers = [(503, {}, _envelope(503, "service_unavailable"))] * 4
    client, waits = _client(url, max_retries=3)
    with pytest.raises(sparki.ServiceUnavailableError) as caught:
        client.projects.get("proj-1")
    assert caught.value.status == 503 and len(waits) == 3


def test_other_errors_are_not_retried(failing):
    url, script = failing
    for status, code, cls in [
        (500, "server_error", sparki.ServerError),
        (404, "not_found", sparki.NotFoundError),
        (409, "conflict", sparki.ConflictError),
    ]:
        script.seen.clear()
        script.answers = [(status, {}, _envelope(status, code))]
        client, waits = _client(url)
        with pytest.raises(cls):
            client.projects.get("proj-1")
        assert len(script.seen) == 1 and waits == []


def test_a_retried_post_sends_the_same_idempotency_key_every_time(failing):
    url, script = failing
    script.answers = [(503, {}, b""), "drop", (502, {}, b"")]
    client, waits = _client(url, max_retries=3)
    client.services.deploy("svc-1", image="app:v2")
    keys = {r["headers"].get("Idempotency-Key") for r in script.seen}
    assert len(script.seen) == 4 and len(keys) == 1 and None not in keys
    assert {r["body"] for r in script.seen} == {b'{"image":"app:v2"}'}

    script.seen.clear()
    script.answers = [(503, {}, b"")]
    client.services.deploy("svc-1", idempotency_key="deploy-42")
    assert [r["headers"]["Idempotency-Key"] for r in script.seen] == ["deploy-42"] * 2

    script.seen.clear()
    client.projects.create(name="a")
    client.projects.create(name="b")
    assert len({r["headers"]["Idempotency-Key"] for r in script.seen}) == 2  # one per call


def test_dropped_connections_are_retried_then_raise_a_connection_error(failing):
    url, script = failing
    script.answers = ["drop", "drop"]
    client, waits = _client(url, max_retries=2)
    assert client.users.me().to_dict() == {"ok": True}
    assert len(waits) == 2

    script.answers = ["drop"] * 3
    client, waits = _client(url, max_retries=2)
    with pytest.raises(sparki.APIConnectionError):
        client.users.me()
    assert len(waits) == 2


def test_nothing_listening_is_a_connection_error_after_the_retries():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again below: nothing listens there
    client, waits = _client(f"http://127.0.0.1:{port}", max_retries=1)
    with pytest.raises(sparki.APIConnectionError):
        client.users.me()
    assert len(waits) == 1
    client, waits = _client(f"http://127.0.0.1:{port}", max_retries=0)
    with pytest.raises(sparki.APIConnectionError):
        client.users.me()
    assert waits == []


def test_an_error_without_the_envelope_still_maps_by_status(failing):
    url, script = failing
    script.answers = [(404, {"X-Request-Id": "req-abc"}, b"<html>no</html>")]
    client, _ = _client(url)
    with pytest.raises(sparki.NotFoundError) as caught:
        client.users.get("user-1")
    assert caught.value.request_id == "req-abc" and caught.value.status == 404


class SSEServer:
    """Serves `text/event-stream` in rounds: each connection gets its round's events and is
    then dropped (a round that is a number answers that status instead); the Last-Event-ID
    each connection sent is recorded."""

    def __init__(self, rounds: list[list[tuple[str, dict]]]) -> None:
        self.rounds = rounds
        self.last_event_ids: list = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                outer.last_event_ids.append(self.headers.get("Last-Event-ID"))
                events = outer.rounds.pop(0) if outer.rounds else 404
                if isinstance(events, int):
                    self.send_response(events)
                    data = json.dumps(_envelope(events, "failed on purpose")).encode()
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                    return
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                self.wfile.write(b"retry: 2000\n\n: keep-alive\n\n")
                for event_id, line in events:
                    payload = json.dumps({"id": event_id, **line})
                    self.wfile.write(f"id: {event_id}\nevent: log\ndata: {payload}\n\n".encode())
                self.wfile.flush()
                self.close_connection = True  # a dropped stream, mid-flow

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _line(message: str) -> dict:
    return {"timestamp": "2026-01-01T00:00:00Z", "level": "info", "message": message, "pod": "p"}


def test_follow_logs_resumes_after_a_dropped_stream_with_last_event_id():
    server = SSEServer(
        [
            [("1-0", _line("one")), ("2-0", _line("two"))],
            503,  # the server restarting: retried after a backoff
            [("3-0", _line("three"))],
            [],  # an empty stream: reconnect again from the same place
            [("4-0", _line("four"))],
        ]
    )
    try:
        client, waits = _client(server.url, max_retries=2)
        lines = client.services.follow_logs("svc-1", lines=10)
        got = [next(lines) for _ in range(4)]
        lines.close()
        assert [line.message for line in got] == ["one", "two", "three", "four"]
        assert [line.id for line in got] == ["1-0", "2-0", "3-0", "4-0"]
        assert server.last_event_ids == [None, "2-0", "2-0", "3-0", "3-0"]
        assert len(waits) == 2  # after the 503, and after the empty stream
        # After the script the server answers 404: the stream ends with that error.
        lines = client.services.follow_logs("svc-1", last_event_id="4-0")
        with pytest.raises(sparki.NotFoundError):
            next(lines)
        assert server.last_event_ids[-1] == "4-0"
    finally:
        server.close()


def test_follow_logs_does_not_retry_a_500():
    server = SSEServer([500])
    try:
        client, waits = _client(server.url)
        with pytest.raises(sparki.ServerError):
            next(client.services.follow_logs("svc-1"))
        assert waits == [] and len(server.last_event_ids) == 1
    finally:
        server.close()


def test_a_post_still_being_processed_is_asked_again_until_its_answer_is_replayed(failing):
    url, script = failing
    busy = {
        **_envelope(409, "conflict"),
        "details": {"field": "Idempotency-Key", "reason": "in progress"},
    }
    script.answers = ["drop", (409, {}, busy), (409, {}, busy)]
    client, waits = _client(url, max_retries=3)
    client.orders.pay("order-1", amount="1.50")
    assert len(script.seen) == 4 and len(waits) == 3
    assert len({r["headers"]["Idempotency-Key"] for r in script.seen}) == 1
    assert {r["body"] for r in script.seen} == {b'{"amount":1.50}'}  # the exact digits

    script.seen.clear()
    other = {**_envelope(409, "conflict"), "details": {"field": "name", "reason": "taken"}}
    script.answers = [(409, {}, other)]
    with pytest.raises(sparki.ConflictError):
        client.projects.create(name="dup")
    assert len(script.seen) == 1
