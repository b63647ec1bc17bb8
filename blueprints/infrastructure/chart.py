"""Server-rendered SVG line charts: geometry here, markup in `_plot.html`.

The x axis is the chosen window ending now, so lines move left as time passes; a gap in
the readings (a node that stopped reporting) breaks the line instead of bridging it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime

WIDTH, HEIGHT = 1000, 220
NOT_MEASURED = "not measured by this runtime"
LEFT, RIGHT, TOP, BOTTOM = 64, 12, 10, 24


@dataclass
class Series:
    label: str
    css: str
    segments: list[str] = field(default_factory=list)  # polyline `points` attributes
    latest: str = "–"
    #: Not measured by the runtime at any point of the window (no line, a note instead).
    unmeasured: bool = False


@dataclass
class Chart:
    title: str
    series: list[Series]
    y_ticks: list[tuple[float, str]]
    x_ticks: list[tuple[float, str, str]]
    guides: list[tuple[float, str, str]] = field(default_factory=list)  # y, label, css
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    right_edge: int = WIDTH - RIGHT
    top: int = TOP
    bottom_edge: int = HEIGHT - BOTTOM
    empty: bool = False
    #: Every series unmeasured: the note the plot shows instead of lines (never a flat 0).
    unmeasured: str = ""


def human_bytes(value: float | None, suffix: str = "") -> str:
    if value is None:
        return "–"
    units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"]
    v, i = float(value), 0
    while abs(v) >= 1024 and i < len(units) - 1:
        v, i = v / 1024, i + 1
    text = f"{v:.0f}" if i == 0 or v >= 100 else f"{v:.1f}"
    return f"{text} {units[i]}{suffix}"


def nice_ceiling(value: float) -> float:
    """The smallest 1, 2 or 5 × 10^k at or above `value` (a round axis top)."""
    if value <= 0:
        return 1024.0
    exp = math.floor(math.log10(value))
    for m in (1, 2, 5, 10):
        candidate = m * 10**exp
        if candidate >= value:
            return float(candidate)
    return float(10 ** (exp + 1))


def _x(ts: float, start: float, end: float) -> float:
    span = max(end - start, 1.0)
    return LEFT + (WIDTH - RIGHT - LEFT) * (ts - start) / span


def _y(value: float, y_max: float) -> float:
    frac = min(max(value / y_max, 0.0), 1.0) if y_max else 0.0
    return HEIGHT - BOTTOM - (HEIGHT - BOTTOM - TOP) * frac


def _segments(
    times: list[float],
    values: list[float | None],
    start: float,
    end: float,
    y_max: float,
    max_gap: float,
) -> list[str]:
    """Polylines through the readings; a gap or a point without a reading (None) breaks it."""
    segments, current, last = [], [], None
    for ts, value in zip(times, values, strict=True):
        if ts < start:
            continue
        if value is None:
            if current:
                segments.append(" ".join(current if len(current) > 1 else current * 2))
            current, last = [], None
            continue
        if last is not None and ts - last > max_gap and current:
            segments.append(" ".join(current))
            current = []
        current.append(f"{_x(ts, start, end):.1f},{_y(value, y_max):.1f}")
        last = ts
    if current:
        segments.append(" ".join(current if len(current) > 1 else current * 2))
    return segments


def _x_ticks(start: float, end: float, count: int = 5) -> list[tuple[float, str, str]]:
    """(x, label, text-anchor): the first and last labels align inside the plot."""
    ticks = []
    for i in range(count):
        ts = start + (end - start) * i / (count - 1)
        fmt = "%H:%M:%S" if end - start <= 900 else "%H:%M"
        anchor = "start" if i == 0 else "end" if i == count - 1 else "middle"
        ticks.append((_x(ts, start, end), datetime.fromtimestamp(ts, UTC).strftime(fmt), anchor))
    return ticks


def build(history: dict, thresholds) -> list[Chart]:
    """Two charts from a `metrics_history` payload: utilization (%) and network (bytes/s)."""
    start, end = history["start"].timestamp(), history["end"].timestamp()
    points = history["points"]
    times = [p["timestamp"].timestamp() for p in points]
    max_gap = max(3 * float(history["resolution_seconds"]), 20.0)
    x_ticks = _x_ticks(start, end)

    usage = []
    for name, label, css in (
        ("cpu", "CPU", "s-cpu"),
        ("memory", "Memory", "s-mem"),
        ("disk", "Disk", "s-disk"),
    ):
        values = [p[name]["utilization_percent"] if p[name] else None for p in points]
        unmeasured = bool(values) and all(v is None for v in values)
        latest = "–" if not values or values[-1] is None else f"{values[-1]:.1f}%"
        usage.append(
            Series(
                label,
                css,
                _segments(times, values, start, end, 100.0, max_gap),
                NOT_MEASURED if unmeasured else latest,
                unmeasured,
            )
        )
    guides = [
        (_y(thresholds.cpu_percent, 100.0), f"CPU limit {thresholds.cpu_percent:g}%", "g-cpu"),
        (
            _y(thresholds.memory_percent, 100.0),
            f"memory limit {thresholds.memory_percent:g}%",
            "g-mem",
        ),
    ]
    percent = Chart(
        "Utilization",
        usage,
        [(_y(v, 100.0), f"{v}%") for v in (0, 25, 50, 75, 100)],
        x_ticks,
        guides,
        empty=not points,
    )

    rx = [p["network"]["ingress_bytes_per_second"] for p in points]
    tx = [p["network"]["egress_bytes_per_second"] for p in points]
    top = nice_ceiling(max((v for v in rx + tx if v is not None), default=0.0) * 1.1)
    series = []
    for label, css, values in (("Ingress", "s-rx", rx), ("Egress", "s-tx", tx)):
        unmeasured = bool(values) and all(v is None for v in values)
        series.append(
            Series(
                label,
                css,
                _segments(times, values, start, end, top, max_gap),
                NOT_MEASURED if unmeasured else human_bytes(values[-1], "/s") if values else "–",
                unmeasured,
            )
        )
    network = Chart(
        "Network",
        series,
        [(_y(top * f, top), human_bytes(top * f, "/s")) for f in (0, 0.5, 1)],
        x_ticks,
        empty=not points,
        unmeasured=(
            (history.get("unmeasured_reason") or NOT_MEASURED)
            if all(s.unmeasured for s in series)
            else ""
        ),
    )
    return [percent, network]
