"""When schedules fire: parsing expressions and the next-slot maths. Pure, no I/O.

- cron: exactly five fields (minute hour day-of-month month day-of-week), parsed and
  evaluated by cronsim in the schedule's IANA time zone. Across DST changes it behaves like
  Debian's cron: a slot inside the skipped hour fires once right after the change (02:30 on
  the spring-forward night fires at 03:00), a fixed-time slot in the repeated hour fires once
  (the first 01:30), and `*/15`-style minutes keep firing every 15 real minutes. No firing is
  skipped or doubled.
- interval: `<n>s|m|h|d`, at least 5 seconds, counted in real (UTC) time from the anchor.
- once: an ISO-8601 datetime; a naive one is read in the schedule's time zone, with cron's
  rule across DST changes: a time inside the skipped hour fires right after the change (02:30
  on the spring-forward night at 03:00), one in the repeated hour at its first occurrence.

Every datetime returned is aware UTC. `now()` is the clock every caller reads; tests set
`app.extensions["sparki_clock"]` to a callable returning aware UTC datetimes.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from cronsim import CronSim, CronSimError

MIN_INTERVAL = 5  # seconds
MAX_INTERVAL = 366 * 86400
_INTERVAL = re.compile(r"(\d{1,9})([smhd])")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_FIELDS = ("minute", "hour", "day of month", "month", "day of week")


class BadSchedule(ValueError):
    """An expression, time zone or datetime that cannot make a schedule. `field` is the
    API field at fault (camelCase) and `reason` says why."""

    def __init__(self, message: str, *, field: str, reason: str) -> None:
        super().__init__(message)
        self.message, self.field, self.reason = message, field, reason


def now() -> datetime:
    """The current time (aware UTC) from the app's clock, else the system clock."""
    from flask import current_app, has_app_context

    if has_app_context():
        clock = current_app.extensions.get("sparki_clock")
        if clock is not None:
            return clock()
    return datetime.now(UTC)


def zone(name: str) -> ZoneInfo:
    """The IANA time zone `name`. Raises BadSchedule (field `timezone`)."""
    name = (name or "").strip()
    if not name or name not in _zone_names():
        raise BadSchedule(
            f"Unknown time zone '{name}'; use an IANA name such as 'Europe/Berlin' or 'UTC'",
            field="timezone",
            reason="unknown time zone",
        )
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise BadSchedule(
            f"Unknown time zone '{name}'", field="timezone", reason="unknown time zone"
        ) from exc


_ZONES: set[str] = set()


def _zone_names() -> set[str]:
    if not _ZONES:
        # `localtime` is this machine's zone file (a link to /etc/localtime), not an IANA
        # name: a schedule in it would fire by whatever zone the server was set to.
        _ZONES.update((available_timezones() | {"UTC"}) - {"localtime"})
    return _ZONES


def parse_interval(text: str) -> int:
    """`30s`, `5m`, `1h`, `1d` → seconds (5 s to 366 d). Raises BadSchedule (`expression`)."""
    match = _INTERVAL.fullmatch((text or "").strip())
    if not match:
        raise BadSchedule(
            f"Interval '{text}' is not a number followed by s, m, h or d (e.g. '30s', '5m')",
            field="expression",
            reason="not an interval like 30s, 5m, 1h or 1d",
        )
    seconds = int(match.group(1)) * _UNITS[match.group(2)]
    if seconds < MIN_INTERVAL:
        raise BadSchedule(
            f"Interval '{text}' is shorter than {MIN_INTERVAL} seconds",
            field="expression",
            reason=f"at least {MIN_INTERVAL} seconds",
        )
    if seconds > MAX_INTERVAL:
        raise BadSchedule(
            f"Interval '{text}' is longer than 366 days",
            field="expression",
            reason="at most 366 days",
        )
    return seconds


_SPANS = (60, 24, 31, 12, 7)  # values in each field, in _FIELDS order


def _check_steps(parts: list[str]) -> None:
    """A step as long as its field or longer (`*/90` minutes) fires once per hour (day,
    month...), at its start, not every 90 minutes as it reads: refused, naming the field."""
    for name, span, part in zip(_FIELDS, _SPANS, parts, strict=True):
        for item in part.split(","):
            _, slash, step = item.partition("/")
            if slash and step.isdigit() and int(step) >= span:
                raise BadSchedule(
                    f"In the {name} field of the cron expression, '{item}' steps by {int(step)}"
                    f", as long as the field itself ({span} values): it would fire only at "
                    f"the field's start. For a longer period use an interval schedule "
                    f"(e.g. '90m')",
                    field="expression",
                    reason=f"{name} step out of range",
                )


def check_cron(expression: str) -> str:
    """The expression with its fields single-spaced. Raises BadSchedule (`expression`) for
    anything but 5 fields or a field cronsim cannot parse, naming the field."""
    parts = (expression or "").split()
    if len(parts) != 5:
        raise BadSchedule(
            f"A cron expression has exactly 5 fields (minute hour day-of-month month "
            f"day-of-week); '{expression}' has {len(parts)}",
            field="expression",
            reason=f"expected 5 fields, got {len(parts)}",
        )
    text = " ".join(parts)
    _check_steps(parts)
    try:
        CronSim(text, datetime(2000, 1, 1, tzinfo=UTC))
    except (CronSimError, ValueError, KeyError, IndexError) as exc:
        reason = str(exc) or "does not parse"
        raise BadSchedule(
            f"Cron expression '{text}' does not parse: {reason}",
            field="expression",
            reason=reason,
        ) from exc
    return text


def parse_once(text: str, tz: ZoneInfo) -> datetime:
    """An ISO-8601 datetime (naive → in `tz`) as aware UTC, whole seconds. Raises BadSchedule."""
    raw = (text or "").strip()
    try:
        value = datetime.fromisoformat(raw.replace("Z", "+00:00") if raw.endswith("Z") else raw)
    except ValueError as exc:
        raise BadSchedule(
            f"'{text}' is not an ISO-8601 datetime (e.g. 2026-12-24T18:00:00)",
            field="expression",
            reason="not an ISO-8601 datetime",
        ) from exc
    try:
        if value.tzinfo is None:
            return _local_to_utc(value, tz).replace(microsecond=0)
        return value.astimezone(UTC).replace(microsecond=0)
    except OverflowError:  # 9999-12-31T23:59:59 west of UTC: no such time in UTC
        raise BadSchedule(
            f"'{text}' is out of range once in UTC",
            field="expression",
            reason="out of range",
        ) from None


def _local_to_utc(wall: datetime, tz: ZoneInfo) -> datetime:
    """The instant the naive wall-clock time `wall` names in `tz`, aware UTC. In the repeated
    hour of a change back, the first occurrence (fold 0). In the skipped hour of a change
    forward, no instant has that reading: the change itself, as a cron slot there fires.
    Raises OverflowError at the ends of the datetime range."""
    first = wall.replace(tzinfo=tz, fold=0).astimezone(UTC)
    if first.astimezone(tz).replace(tzinfo=None) == wall:
        return first
    # In a gap fold 0 reads the wall time with the offset before the change (an instant
    # after it) and fold 1 with the offset after (one before it): the change lies between.
    before, after = wall.replace(tzinfo=tz, fold=1).astimezone(UTC), first
    if before > after:
        before, after = after, before
    offset = after.astimezone(tz).utcoffset()
    while after - before > timedelta(seconds=1):
        middle = before + (after - before) / 2
        if middle.astimezone(tz).utcoffset() == offset:
            after = middle
        else:
            before = middle
    return after.replace(microsecond=0)  # changes fall on whole seconds: the one in reach


@dataclass(frozen=True)
class Spec:
    """What the maths needs of a schedule."""

    schedule_type: str
    expression: str
    timezone: str = "UTC"
    anchor: datetime | None = None  # interval schedules count from here

    @property
    def tz(self) -> ZoneInfo:
        return zone(self.timezone)


def validate(spec: Spec, at: datetime) -> Spec:
    """The spec with its expression normalised; raises BadSchedule. A `once` must be after
    `at`."""
    tz = spec.tz
    if spec.schedule_type == "cron":
        return Spec("cron", check_cron(spec.expression), spec.timezone, spec.anchor)
    if spec.schedule_type == "interval":
        parse_interval(spec.expression)
        return Spec("interval", spec.expression.strip(), spec.timezone, spec.anchor)
    if spec.schedule_type == "once":
        when = parse_once(spec.expression, tz)
        if when <= at:
            raise BadSchedule(
                f"'{spec.expression}' is not in the future",
                field="expression",
                reason="not in the future",
            )
        return Spec("once", spec.expression.strip(), spec.timezone, spec.anchor)
    raise BadSchedule(
        f"scheduleType must be cron, interval or once, not '{spec.schedule_type}'",
        field="scheduleType",
        reason="unknown schedule type",
    )


def next_after(spec: Spec, after: datetime) -> datetime | None:
    """The first slot strictly after `after` (aware), or None (a `once` already past)."""
    after = after.astimezone(UTC)
    if spec.schedule_type == "cron":
        local = after.astimezone(spec.tz)
        return next(CronSim(spec.expression, local)).astimezone(UTC)
    if spec.schedule_type == "interval":
        step = parse_interval(spec.expression)
        anchor = (spec.anchor or after).astimezone(UTC)
        if after < anchor:
            return anchor + timedelta(seconds=step)
        periods = int((after - anchor).total_seconds() // step) + 1
        return anchor + timedelta(seconds=periods * step)
    when = parse_once(spec.expression, spec.tz)
    return when if when > after else None


def upcoming(spec: Spec, after: datetime, count: int = 5) -> list[datetime]:
    """The next `count` slots after `after` (fewer for a `once`)."""
    out: list[datetime] = []
    cursor: datetime | None = after
    while len(out) < count and cursor is not None:
        cursor = next_after(spec, cursor)
        if cursor is not None:
            out.append(cursor)
    return out


def slots_until(
    spec: Spec, first: datetime, until: datetime, cap: int
) -> tuple[list[datetime], int]:
    """The slots from `first` (itself a slot) up to `until` inclusive: the last `cap` of them
    and how many there were in all."""
    if first > until:
        return [], 0
    if spec.schedule_type == "interval":
        step = timedelta(seconds=parse_interval(spec.expression))
        total = int((until - first) / step) + 1
        start = max(0, total - cap)
        return [first + step * i for i in range(start, total)], total
    found: list[datetime] = []
    total = 0
    for slot in _walk(spec, first, until):
        total += 1
        found.append(slot)
        if len(found) > cap:
            found.pop(0)
    return found, total


def _walk(spec: Spec, first: datetime, until: datetime) -> Iterator[datetime]:
    slot: datetime | None = first
    while slot is not None and slot <= until:
        yield slot
        slot = next_after(spec, slot)


def describe(spec: Spec) -> str:
    """A short human reading: 'cron 0 9 * * 1-5 (Europe/Berlin)', 'every 5m', 'once at …'."""
    if spec.schedule_type == "interval":
        return f"every {spec.expression}"
    if spec.schedule_type == "once":
        return f"once at {spec.expression} ({spec.timezone})"
    return f"cron {spec.expression} ({spec.timezone})"
