"""Pod logs as Sparki's log lines: every pod's lines merged by time, with positions.

A line's position (its `id`, usable as Last-Event-ID) is `<epoch ms>-<n>`: the millisecond
the kubelet stamped it and its rank among the lines of that millisecond in the merged order
(pod name, then the pod's own order), so a reconnect resumes after exactly that line.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

from ..base import LogEntry
from ..logs import classify
from .manifests import parse_time

POLL_SECONDS = 1.0


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


def after(entries: list[LogEntry], position: str) -> list[LogEntry]:
    """The entries past `position`."""
    mark = _key(position)
    return [e for e in entries if _key(e.id) > mark]


def follow(
    read: Callable[[int | None], list[LogEntry]],
    *,
    after_position: str | None,
    wait_seconds: float,
    clock: Callable[[], float] = time.time,
) -> Iterator[list[LogEntry]]:
    """Batches of lines past `after_position` ("$" or None: from now), read every second
    with `read(since_seconds)` from every pod there is then (pods started during a rollout
    join as they appear); an empty batch when nothing came within `wait_seconds`."""
    if not after_position or after_position == "$":
        after_position = f"{int(clock() * 1000)}-999999"
    position = after_position
    while True:
        waited_until = time.monotonic() + wait_seconds
        batch: list[LogEntry] = []
        while not batch:
            since_ms, _ = _key(position)
            since = max(1, math.ceil(clock() - since_ms / 1000) + 1) if since_ms else None
            batch = after(read(since), position)
            if batch or time.monotonic() >= waited_until:
                break
            time.sleep(min(POLL_SECONDS, max(0.0, waited_until - time.monotonic())))
        if batch:
            position = batch[-1].id
        yield batch


def since_seconds(since: datetime | None) -> int | None:
    if since is None:
        return None
    return max(1, math.ceil((datetime.now(UTC) - since).total_seconds()) + 1)
