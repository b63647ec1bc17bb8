"""Followed log streams (`GET /services/:id/logs?follow=true`): Server-Sent Events, a cap on
how many one user holds open at once, and letting go as soon as the client leaves.

A stream holds no thread (the web process runs gunicorn's gevent worker, see
`blueprints/core/server.py`) and no database connection; it waits on Redis. Each open stream
holds a slot: a member of the Redis sorted set `sparki:streams:<user id>` whose score is the
moment its lease runs out. The stream renews its lease while it runs and removes it when it
ends, so slots are shared by every web process and a killed process's slots expire on their
own after `LEASE_SECONDS`.
"""

from __future__ import annotations

import contextlib
import html
import json
import secrets
import select
import socket
import time
from collections.abc import Iterable, Iterator
from typing import Any

from redis import Redis

from blueprints.core.errors import RateLimited
from blueprints.core.lifecycle import shutting_down
from blueprints.core.models import iso_utc

from .runtime.base import LogEntry

LEASE_SECONDS = 30.0  # a slot whose stream stopped renewing it (process killed) frees itself
RENEW_SECONDS = 10.0
STREAM_MAX_SECONDS = 600  # a stream ends after this; EventSource reconnects with Last-Event-ID
RESTART_RETRY_MS = 1000  # a stream ended by a restart: reconnect after this (another process)
WAIT_SECONDS = 2.0  # longest wait on Redis between two checks that the client is still there


def _slots_key(user_id: str) -> str:
    return f"sparki:streams:{user_id}"


class StreamSlot:
    """One user's open stream, counted against `limit` (LOG_STREAMS_PER_USER)."""

    def __init__(self, redis: Redis, user_id: str, limit: int) -> None:
        self.redis = redis
        self.key = _slots_key(user_id)
        self.limit = limit
        self.member = secrets.token_hex(8)
        self.renewed = 0.0

    def acquire(self) -> StreamSlot:
        """Take a slot. Raises RateLimited (429) when the user already holds `limit` streams."""
        now = time.time()
        pipe = self.redis.pipeline(transaction=True)
        pipe.zremrangebyscore(self.key, "-inf", now)
        pipe.zadd(self.key, {self.member: now + LEASE_SECONDS})
        pipe.zcard(self.key)
        pipe.expire(self.key, int(LEASE_SECONDS) + 5)
        held = pipe.execute()[2]
        if held > self.limit:
            self.release()
            raise RateLimited(
                f"At most {self.limit} log streams may be open at once per user; close one "
                f"(a tab showing a service's logs, a follower) and retry",
                details={"limit": self.limit, "reason": "too many streams"},
                headers={"Retry-After": "5"},
            )
        self.renewed = time.monotonic()
        return self

    def renew(self) -> None:
        """Extend the lease (cheap to call often: it writes at most every RENEW_SECONDS)."""
        if time.monotonic() - self.renewed < RENEW_SECONDS:
            return
        self.renewed = time.monotonic()
        pipe = self.redis.pipeline(transaction=False)
        pipe.zadd(self.key, {self.member: time.time() + LEASE_SECONDS})
        pipe.expire(self.key, int(LEASE_SECONDS) + 5)
        pipe.execute()

    def release(self) -> None:
        with contextlib.suppress(Exception):  # Redis gone: the lease expires by itself
            self.redis.zrem(self.key, self.member)


def open_streams(redis: Redis, user_id: str) -> int:
    """How many streams `user_id` holds open now (live leases)."""
    return int(redis.zcount(_slots_key(user_id), time.time(), "+inf"))


def client_socket(environ: dict[str, Any]) -> socket.socket | None:
    """The client's socket when the server exposes it (gunicorn, Werkzeug's server)."""
    sock = environ.get("gunicorn.socket") or environ.get("werkzeug.socket")
    return sock if hasattr(sock, "fileno") else None


def client_gone(sock: socket.socket | None) -> bool:
    """True when the client closed its end: the socket reads as at end of file. A client
    following a stream sends nothing, so a readable socket with no data means it left."""
    if sock is None:
        return False
    try:
        readable, _, _ = select.select([sock], [], [], 0)
        if not readable:
            return False
        return sock.recv(1, socket.MSG_PEEK) == b""
    except (OSError, ValueError):  # closed or reset under us
        return True


def sse_event(entry: LogEntry, fmt: str) -> str:
    """One Server-Sent Event of a log line; `data` is JSON (timestamps `…Z`) or an HTML line
    carrying the line's id (`data-id`), so a page can tell lines it already shows."""
    if fmt == "html":
        message = html.escape(entry.message).replace("\r", "&#13;")
        data = (
            f'<div class="log-line level-{entry.level}" data-id="{html.escape(entry.id)}"><time>'
            f'{entry.timestamp.strftime("%H:%M:%S")}</time> <span class="pod">'
            f'{html.escape(entry.pod)}</span> <span class="lvl">{entry.level}</span> '
            f'<span class="msg">{message}</span></div>'
        )
    else:
        data = json.dumps(
            {
                "id": entry.id,
                "timestamp": iso_utc(entry.timestamp),
                "level": entry.level,
                "message": entry.message,
                "pod": entry.pod,
            }
        )
    return f"id: {entry.id}\nevent: log\ndata: {data}\n\n"


class LogStream:
    """The body of a followed stream: the backlog, then new lines as they are written, with
    keep-alives. Ends when the client leaves (checked at least every WAIT_SECONDS), after
    STREAM_MAX_SECONDS, or when closed by the server; its slot is released then."""

    def __init__(
        self,
        *,
        slot: StreamSlot,
        first: Iterable[LogEntry],
        batches: Iterator[list[LogEntry]],
        fmt: str,
        keepalive: float,
        sock: socket.socket | None,
    ) -> None:
        self.slot = slot
        self.first = list(first)
        self.batches = batches
        self.fmt = fmt
        self.keepalive = keepalive
        self.sock = sock
        self._body = self._generate()

    def __iter__(self) -> LogStream:
        return self

    def __next__(self) -> str:
        return next(self._body)

    def close(self) -> None:
        """Called by the server when the response ends (the client left, or the stream ended)."""
        try:
            self._body.close()
        finally:
            self.slot.release()

    def _generate(self) -> Iterator[str]:
        try:
            started = last = time.monotonic()
            yield "retry: 2000\n\n"
            for entry in self.first:
                yield sse_event(entry, self.fmt)
            for batch in self.batches:
                now = time.monotonic()
                if client_gone(self.sock) or now - started > STREAM_MAX_SECONDS:
                    return
                if shutting_down():  # a restart: say when to come back, then end cleanly
                    yield f"retry: {RESTART_RETRY_MS}\n: the server is restarting\n\n"
                    return
                self.slot.renew()
                for entry in batch:
                    yield sse_event(entry, self.fmt)
                    last = now
                if not batch and now - last >= self.keepalive:
                    yield ": keep-alive\n\n"
                    last = now
        finally:
            self.slot.release()
