"""Pod logs as Sparki's log lines: every pod's lines merged by time, with positions.

A line's position (its `id`, usable as Last-Event-ID) is `<epoch ms>-<n>`: the millisecond
the kubelet stamped it and its rank among the lines of that millisecond in the merged order
(pod name, then the pod's own order), so a reconnect resumes after that line. A followed
stream numbers lines in the order it passes them on (a line from a slower pod's stream that
is older than one already passed gets the next id, keeping its own timestamp), so ids grow.
"""

from __future__ import annotations

import contextlib
import math
import queue
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

from ..base import LogEntry
from ..logs import classify
from .manifests import parse_time


def parse_lines(pod: str, text: str) -> list[tuple[datetime, str, str]]:
    """`(timestamp, pod, message)` of each line of a log read with `timestamps=true`."""
    out = []
    for line in text.splitlines():
        stamp, _, message = line.partition(" ")
        when = parse_time(stamp[:26] + "Z" if len(stamp) > 27 else stamp)
        if when is None:
            continue
        out.append((when, pod, message))
    return out


def number(lines: list[tuple[datetime, str, str]]) -> list[LogEntry]:
    """Merge lines of every pod by time and give each its position."""
    lines = sorted(lines, key=lambda item: (item[0], item[1]))
    out: list[LogEntry] = []
    last_ms, rank = -1, 0
    for when, pod, message in lines:
        ms = int(when.timestamp() * 1000)
        rank = rank + 1 if ms == last_ms else 0
        last_ms = ms
        out.append(
            LogEntry(
                id=f"{ms}-{rank}",
                timestamp=when,
                level=classify(message, "stdout"),
                message=message,
                pod=pod,
            )
        )
    return out


def _key(position: str) -> tuple[int, int]:
    ms, _, rank = position.partition("-")
    return int(ms or 0), int(rank or 0)


class _Reader(threading.Thread):
    """Follows one pod's log with the client's streaming read (`follow=true`), putting each
    complete line on `out` as `(timestamp, pod, message)`; ends when the stream does (the
    pod went, the connection broke) or when stopped."""

    def __init__(
        self,
        pod: str,
        open_stream: Callable[[int | None], Any],
        since: int | None,
        out: queue.Queue,
    ) -> None:
        super().__init__(name=f"log-follow-{pod}", daemon=True)
        self.pod, self.open_stream, self.since, self.out = pod, open_stream, since, out
        self.response: Any = None
        self.stopped = False

    def run(self) -> None:
        try:
            self.response = self.open_stream(self.since)
            if self.stopped:
                return
            pending = b""
            for chunk in self.response.stream(4096):
                if self.stopped:
                    return
                pending += chunk
                *complete, pending = pending.split(b"\n")
                for raw in complete:
                    for line in parse_lines(self.pod, raw.decode("utf-8", "replace")):
                        self.out.put(line)
        except Exception:  # noqa: BLE001 (a stream ends however it ends; the next look retries)
            return
        finally:
            self.close()

    def stop(self) -> None:
        self.stopped = True
        response = self.response
        if response is not None:
            with contextlib.suppress(Exception):
                response.shutdown()  # wakes the read blocked on the socket

    def close(self) -> None:
        with contextlib.suppress(Exception):
            if self.response is not None:
                self.response.release_conn()


def follow(
    list_pods: Callable[[], list[str]],
    open_stream: Callable[[str, int | None], Any],
    *,
    after_position: str | None,
    wait_seconds: float,
    look_seconds: float = 2.0,
) -> Iterator[list[LogEntry]]:
    """Batches of lines past `after_position` ("$" or None: from now) from every pod, each
    followed with the client's streaming log read; pods are looked for every `look_seconds`,
    so pods that start during a rollout are followed as they appear, and a stream that ended
    is opened again from where it stopped. An empty batch when nothing came within
    `wait_seconds`. Closing the generator stops every stream."""
    if not after_position or after_position == "$":
        after_position = f"{int(time.time() * 1000)}-999999"
    start = position = _key(after_position)
    lines: queue.Queue = queue.Queue()
    readers: dict[str, _Reader] = {}
    newest: dict[str, datetime] = {}  # per pod: the newest line passed on (no line twice)
    next_look = 0.0

    def since(pod: str) -> int:
        mark = newest.get(pod)
        origin = mark.timestamp() if mark else start[0] / 1000
        return max(1, math.ceil(time.time() - origin) + 1) if origin else 0

    def look() -> None:
        for pod in list_pods():
            reader = readers.get(pod)
            if reader is None or not reader.is_alive():
                seconds = since(pod) or None
                readers[pod] = _Reader(pod, lambda s, p=pod: open_stream(p, s), seconds, lines)
                readers[pod].start()

    try:
        while True:
            waited_until = time.monotonic() + wait_seconds
            got: list[tuple[datetime, str, str]] = []
            while True:
                now = time.monotonic()
                if now >= next_look:
                    look()
                    next_look = now + look_seconds
                timeout = max(0.01, min(next_look, waited_until) - time.monotonic())
                with contextlib.suppress(queue.Empty):
                    got.append(lines.get(timeout=timeout))
                    while True:
                        got.append(lines.get_nowait())
                if got or time.monotonic() >= waited_until:
                    break
            batch = _fresh(got, newest, start, position)
            if batch:
                position = _key(batch[-1].id)
            yield batch
    finally:
        for reader in readers.values():
            reader.stop()


def _fresh(
    got: list[tuple[datetime, str, str]],
    newest: dict[str, datetime],
    start: tuple[int, int],
    position: tuple[int, int],
) -> list[LogEntry]:
    """The lines not passed on yet, numbered after `position` so ids only grow (each keeps its
    own timestamp). A pod's line is new when it is newer than the pod's newest line passed
    (a reopened stream repeats its last second); before a pod has one, when it comes after
    `start`, the position the follower began from (what came before was sent already)."""
    fresh = []
    same_ms_rank = -1
    for when, pod, message in sorted(got, key=lambda item: (item[0], item[1])):
        mark = newest.get(pod)
        line_ms = int(when.timestamp() * 1000)
        if mark is None:
            if line_ms == start[0]:
                same_ms_rank += 1
            if line_ms < start[0] or (line_ms == start[0] and same_ms_rank <= start[1]):
                continue
        elif when <= mark:
            continue
        newest[pod] = when
        fresh.append((when, pod, message))
    out = []
    ms, rank = position
    for when, pod, message in fresh:
        line_ms = max(int(when.timestamp() * 1000), ms)
        rank = rank + 1 if line_ms == ms else 0
        ms = line_ms
        out.append(
            LogEntry(
                id=f"{ms}-{rank}",
                timestamp=when,
                level=classify(message, "stdout"),
                message=message,
                pod=pod,
            )
        )
    return out


def since_seconds(since: datetime | None) -> int | None:
    if since is None:
        return None
    return max(1, math.ceil((datetime.now(UTC) - since).total_seconds()) + 1)
