"""Real receivers (http.server threads on 127.0.0.1) and helpers to drive deliveries."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from blueprints.core.extensions import db, get_redis
from tests.support.waiting import PATIENCE


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float


@dataclass
class Reply:
    status: int = 200
    body: bytes = b"ok"
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


class Receiver:
    """Records every POST; answers with the queued replies, then with `default`."""

    def __init__(self) -> None:
        self.requests: list[Received] = []
        self.replies: list[Reply] = []
        self.default = Reply()
        self.lock = threading.Lock()
        self.arrived = threading.Condition(self.lock)
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                with receiver.lock:
                    receiver.requests.append(
                        Received(self.path, dict(self.headers.items()), body, time.time())
                    )
                    reply = receiver.replies.pop(0) if receiver.replies else receiver.default
                    receiver.arrived.notify_all()
                if reply.delay:
                    time.sleep(reply.delay)
                try:
                    self.send_response(reply.status)
                    for key, value in reply.headers.items():
                        self.send_header(key, value)
                    self.send_header("Content-Length", str(len(reply.body)))
                    self.end_headers()
                    self.wfile.write(reply.body)
                except OSError:
                    pass

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def queue(self, *replies: Reply) -> None:
        with self.lock:
            self.replies.extend(replies)

    def wait_for(self, count: int, timeout: float = PATIENCE) -> list[Received]:
        deadline = time.monotonic() + timeout
        with self.lock:
            while len(self.requests) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"{len(self.requests)} of {count} requests arrived")
                self.arrived.wait(left)
            return list(self.requests)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


@pytest.fixture
def work(app) -> Callable[..., None]:
    """Run queued jobs (and due scheduled ones) in-process until `until()` or a deadline."""
    from blueprints.core.jobs import SparkiSimpleWorker, get_queue

    def run(until: Callable[[], bool] | None = None, timeout: float = PATIENCE) -> None:
        deadline = time.monotonic() + timeout
        while True:
            with app.app_context():
                conn = get_redis()
                worker = SparkiSimpleWorker([get_queue("default", conn)], connection=conn)
                worker.flask_app = app
                worker.work(burst=True, with_scheduler=True)
                db.session.remove()
            if until is None or until():
                return
            if time.monotonic() > deadline:
                raise AssertionError("condition not reached before the deadline")
            time.sleep(0.1)

    return run


@pytest.fixture
def fast_retries(app, monkeypatch):
    """A schedule in seconds, no jitter: tests see the retry policy without waiting hours."""
    monkeypatch.setitem(app.config, "WEBHOOK_RETRY_SCHEDULE", [0, 1, 2])
    monkeypatch.setitem(app.config, "WEBHOOK_RETRY_JITTER", 0.0)
    monkeypatch.setitem(app.config, "WEBHOOK_TIMEOUT_SECONDS", 3.0)
    return app
