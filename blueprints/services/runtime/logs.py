"""Service logs in Redis Streams: one stream per service, trimmed to a bounded length.

Each entry is `{ts, level, message, pod}` (ts in epoch milliseconds); the stream id is the
position clients resume from (`Last-Event-ID`). Streams live in Redis, so logs outlive the
web app, the worker and the agent.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime

from redis import Redis

from .base import LogEntry

LEVELS = ("debug", "info", "warn", "error")
_LEVEL_WORDS = re.compile(
    r"\b(DEBUG|INFO|NOTICE|WARN|WARNING|ERROR|ERR|CRITICAL|FATAL|PANIC)\b", re.IGNORECASE
)
_WORD_TO_LEVEL = {
    "debug": "debug",
    "info": "info",
    "notice": "info",
    "warn": "warn",
    "warning": "warn",
    "error": "error",
    "err": "error",
    "critical": "error",
    "fatal": "error",
    "panic": "error",
}
# Common access-log shape: `"GET /path HTTP/1.1" 200` (http.server, gunicorn, nginx).
_ACCESS = re.compile(r'"[A-Z]+ [^"]* HTTP/[0-9.]+" (\d{3})')


def stream_key(service_id: str) -> str:
    return f"sparki:logs:{service_id}"


def classify(line: str, stream: str) -> str:
    """stdout lines are info and stderr lines error, unless the line says otherwise
    (a level word, or an access-log status code)."""
    access = _ACCESS.search(line)
    if access:
        code = int(access.group(1))
        return "error" if code >= 500 else ("warn" if code >= 400 else "info")
    word = _LEVEL_WORDS.search(line[:200])
    if word:
        return _WORD_TO_LEVEL[word.group(1).lower()]
    return "error" if stream == "stderr" else "info"


def append(
    redis: Redis, service_id: str, entries: Iterable[tuple[float, str, str, str]], *, maxlen: int
) -> int:
    """Add `(ts_epoch_seconds, level, message, pod)` entries; returns how many."""
    pipe = redis.pipeline(transaction=False)
    n = 0
    for ts, level, message, pod in entries:
        pipe.xadd(
            stream_key(service_id),
            {"ts": str(int(ts * 1000)), "level": level, "message": message[:8192], "pod": pod},
            maxlen=maxlen,
            approximate=True,
        )
        n += 1
    if n:
        pipe.execute()
    return n


def as_text(value: bytes | str) -> str:
    """A Redis reply as text (invalid UTF-8 replaced)."""
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value


def to_entry(stream_id: bytes | str, fields: dict) -> LogEntry:
    data = {as_text(k): as_text(v) for k, v in fields.items()}
    ts = int(data.get("ts") or as_text(stream_id).split("-")[0])
    return LogEntry(
        id=as_text(stream_id),
        timestamp=datetime.fromtimestamp(ts / 1000, UTC),
        level=data.get("level", "info"),
        message=data.get("message", ""),
        pod=data.get("pod", ""),
    )


def read(
    redis: Redis, service_id: str, *, lines: int, since: datetime | None = None
) -> list[LogEntry]:
    """The last `lines` entries (at or after `since`), oldest first."""
    if since is not None and since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    low = f"{int(since.timestamp() * 1000)}-0" if since else "-"
    rows = redis.xrevrange(stream_key(service_id), max="+", min=low, count=lines)
    return [to_entry(i, f) for i, f in reversed(rows)]


def follow(
    redis: Redis, service_id: str, *, after: str | None, wait_seconds: float
) -> Iterator[list[LogEntry]]:
    """Batches of entries written after `after` (a stream id; None or "$" = from now)."""
    key = stream_key(service_id)
    last = after or "$"
    if last == "$":
        newest = redis.xrevrange(key, count=1)
        last = as_text(newest[0][0]) if newest else "0-0"
    while True:
        found = redis.xread({key: last}, count=500, block=max(int(wait_seconds * 1000), 1))
        batch: list[LogEntry] = []
        for _key, rows in found or []:
            for stream_id, fields in rows:
                batch.append(to_entry(stream_id, fields))
        if batch:
            last = batch[-1].id
        yield batch


FAILED_RUNS_PER_REVISION = 5  # crashed runs kept per revision
FAILED_REVISIONS = 20  # revisions with crashed runs kept per service


def failed_key(service_id: str) -> str:
    return f"sparki:logs:{service_id}:failed"


def keep_failed(redis: Redis, service_id: str, revision: int, run: dict) -> None:
    """Keep a crashed run (`{pod, at, exitCode, reason, lines}`) under its revision: the last
    FAILED_RUNS_PER_REVISION runs of the last FAILED_REVISIONS revisions, so the last words of
    a failed rollout outlive its replicas and the trimming of the service's stream."""
    key = failed_key(service_id)
    field = str(int(revision))
    raw = redis.hget(key, field)
    runs = json.loads(raw) if raw else []
    runs = [*runs, run][-FAILED_RUNS_PER_REVISION:]
    redis.hset(key, field, json.dumps(runs))
    fields = sorted((int(f) for f in redis.hkeys(key)), reverse=True)
    if len(fields) > FAILED_REVISIONS:
        redis.hdel(key, *[str(f) for f in fields[FAILED_REVISIONS:]])


def failed_runs(redis: Redis, service_id: str, revision: int) -> list[dict]:
    """The kept crashed runs of one revision, oldest first (see keep_failed)."""
    raw = redis.hget(failed_key(service_id), str(int(revision)))
    return json.loads(raw) if raw else []


def delete(redis: Redis, service_id: str) -> None:
    redis.delete(stream_key(service_id), failed_key(service_id))
