"""The web server's side of Sparki: gunicorn's gevent worker, answering its own errors in the
error envelope.

`gunicorn.conf.py` (used by the Procfile) picks `SparkiGeventWorker`: one greenlet per
connection instead of one thread, so a followed log stream (held open for minutes) costs a
socket and a little memory, not one of a handful of threads. gevent's monkey-patching (done by
the worker before it loads the app) makes the socket-based libraries cooperative: Redis,
http.client (the proxy), psycopg (which switches to its gevent wait functions by itself).

gunicorn answers some requests before Flask sees them (a request line or headers over its
limits, a malformed header): its own page is HTML. This worker answers them as every other
error, `{"error", "message", "details", "requestId"}` with `X-Request-Id`, so clients meet one
error shape.

This module is imported by gunicorn's master before any monkey-patching: it imports nothing
of the app at module level.
"""

from __future__ import annotations

import json
import secrets

from gunicorn import util
from gunicorn.workers.ggevent import GeventWorker


def envelope_error(status: int, reason: str, message: str) -> bytes:
    """The raw HTTP/1.1 answer for an error gunicorn raises itself: the error envelope as JSON,
    `Connection: close` (the request could not be read, so the connection cannot go on)."""
    from blueprints.core.errors import CODES_BY_STATUS  # the app is loaded by now

    request_id = f"req-{secrets.token_hex(8)}"
    code = CODES_BY_STATUS.get(status, "server_error" if status >= 500 else "invalid_request")
    text = message or reason
    body = json.dumps(
        {
            "error": code,
            "message": text,
            "details": {"reason": reason.lower()} if status < 500 else {},
            "requestId": request_id,
        }
    ).encode()
    head = (
        f"HTTP/1.1 {status} {reason}\r\n"
        "Connection: close\r\n"
        "Content-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n"
        f"X-Request-Id: {request_id}\r\n"
        "\r\n"
    )
    return head.encode("latin-1") + body


def write_envelope_error(sock, status_int: int, reason: str, mesg: str) -> None:
    """Drop-in for gunicorn.util.write_error (same signature), writing the envelope."""
    util.write_nonblock(sock, envelope_error(int(status_int), reason, mesg))


class SparkiGeventWorker(GeventWorker):
    """gunicorn's gevent worker whose own error answers are the error envelope."""

    def handle_exit(self, sig, frame) -> None:
        """SIGTERM (gunicorn's graceful stop): mark the process as stopping before gunicorn
        stops accepting, so in-flight work can tell (core.lifecycle)."""
        from blueprints.core.lifecycle import begin_shutdown

        begin_shutdown()
        super().handle_exit(sig, frame)

    def init_process(self) -> None:
        # gunicorn's workers write their errors through util.write_error; in this worker
        # process that is the envelope writer.
        util.write_error = write_envelope_error
        super().init_process()
