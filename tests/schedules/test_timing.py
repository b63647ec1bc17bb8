"""Next-run maths: cron in a time zone across DST changes, intervals, one-time runs."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from blueprints.schedules import timing
from blueprints.schedules.timing import BadSchedule, Spec


def _local(spec: Spec, after: datetime, n: int) -> list[str]:
    tz = spec.tz
    return [t.astimezone(tz).strftime("%m-%d %H:%M %Z") for t in timing.upcoming(spec, after, n)]


def test_berlin_spring_forward_fires_the_skipped_slot_once_right_after():
    spec = Spec("cron", "30 2 * * *", "Europe/Berlin")
    after = datetime(2026, 3, 27, 12, tzinfo=UTC)
    assert _local(spec, after, 4) == [
        "03-28 02:30 CET",
        "03-29 03:00 CEST",  # 02:30 does not exist that night: once, at the change
        "03-30 02:30 CEST",
        "03-31 02:30 CEST",
    ]


def test_berlin_fall_back_fires_a_fixed_time_in_the_repeated_hour_once():
    spec = Spec("cron", "30 2 * * *", "Europe/Berlin")
    runs = timing.upcoming(spec, datetime(2026, 10, 24, 12, tzinfo=UTC), 3)
    assert [t.isoformat() for t in runs] == [
        "2026-10-25T00:30:00+00:00",  # 02:30 CEST, the first 02:30
        "2026-10-26T01:30:00+00:00",  # 02:30 CET the next day
        "2026-10-27T01:30:00+00:00",
    ]


def test_every_30_minutes_keeps_real_time_through_both_new_york_changes():
    spec = Spec("cron", "*/30 * * * *", "America/New_York")
    # Fall back (Nov 1 2026, 02:00 EDT -> 01:00 EST): every real 30 minutes, none doubled.
    fall = timing.upcoming(spec, datetime(2026, 11, 1, 4, 50, tzinfo=UTC), 6)
    gaps = {(b - a).total_seconds() for a, b in zip(fall, fall[1:], strict=False)}
    assert gaps == {1800.0} and len(set(fall)) == 6
    # Spring forward (Mar 8 2026, 02:00 EST -> 03:00 EDT): the missing hour is not invented.
    spring = timing.upcoming(spec, datetime(2026, 3, 8, 6, 20, tzinfo=UTC), 4)
    local = [t.astimezone(spec.tz).strftime("%H:%M") for t in spring]
    assert local == ["01:30", "03:00", "03:30", "04:00"]
    assert {(b - a).total_seconds() for a, b in zip(spring, spring[1:], strict=False)} == {1800.0}


def test_new_york_daily_at_nine_stays_at_nine_local_across_dst():
    spec = Spec("cron", "0 9 * * *", "America/New_York")
    runs = timing.upcoming(spec, datetime(2026, 3, 7, 0, tzinfo=UTC), 3)
    assert [t.hour for t in runs] == [14, 13, 13]  # 09:00 EST then 09:00 EDT


@pytest.mark.parametrize(
    "expression, reason",
    [
        ("* * * * * *", "expected 5 fields, got 6"),
        ("* * * *", "expected 5 fields, got 4"),
        ("61 * * * *", "Bad minute"),
        ("* * * foo *", "Bad month"),
        ("5-1 * * * *", "Bad minute"),
        ("@daily", "expected 5 fields, got 1"),
    ],
)
def test_bad_cron_names_the_reason(expression, reason):
    with pytest.raises(BadSchedule) as info:
        timing.check_cron(expression)
    assert info.value.field == "expression" and reason in info.value.reason


@pytest.mark.parametrize(
    "wall, zone, fires",
    [
        # Skipped hour: no instant reads 02:30, so it fires at the change, as cron's slot does.
        ("2027-03-28T02:30:00", "Europe/Berlin", datetime(2027, 3, 28, 1, 0, tzinfo=UTC)),
        ("2027-03-28T02:00:00", "Europe/Berlin", datetime(2027, 3, 28, 1, 0, tzinfo=UTC)),
        ("2027-03-28T01:59:59", "Europe/Berlin", datetime(2027, 3, 28, 0, 59, 59, tzinfo=UTC)),
        ("2027-03-28T03:00:00", "Europe/Berlin", datetime(2027, 3, 28, 1, 0, tzinfo=UTC)),
        ("2027-03-14T02:30:00", "America/New_York", datetime(2027, 3, 14, 7, 0, tzinfo=UTC)),
        # A half-hour change (02:00 -> 02:30 local, +10:30 -> +11:00).
        ("2027-10-03T02:15:00", "Australia/Lord_Howe", datetime(2027, 10, 2, 15, 30, tzinfo=UTC)),
        # Repeated hour: the first 02:30 (still CEST).
        ("2027-10-31T02:30:00", "Europe/Berlin", datetime(2027, 10, 31, 0, 30, tzinfo=UTC)),
        # An explicit offset is taken as written.
        ("2027-03-28T02:30:00+01:00", "Europe/Berlin", datetime(2027, 3, 28, 1, 30, tzinfo=UTC)),
    ],
)
def test_once_at_a_time_a_dst_change_skips_or_repeats(wall, zone, fires):
    at = datetime(2027, 1, 1, tzinfo=UTC)
    spec = timing.validate(Spec("once", wall, zone), at)
    assert timing.next_after(spec, at) == fires


def test_intervals():
    assert timing.parse_interval("30s") == 30
    assert timing.parse_interval("5m") == 300
    assert timing.parse_interval("1d") == 86400
    for bad in ("4s", "5", "1w", "-5s", "5 m", ""):
        with pytest.raises(BadSchedule):
            timing.parse_interval(bad)
    anchor = datetime(2026, 1, 1, 0, 0, 0, tzinfo=UTC)
    spec = Spec("interval", "5m", "UTC", anchor)
    assert timing.next_after(spec, datetime(2026, 1, 1, 0, 7, tzinfo=UTC)).minute == 10
    assert timing.next_after(spec, datetime(2026, 1, 1, 0, 10, tzinfo=UTC)).minute == 15
    slots, total = timing.slots_until(spec, anchor, datetime(2026, 1, 1, 1, 0, tzinfo=UTC), 3)
    assert total == 13 and [s.minute for s in slots] == [50, 55, 0]


def test_once_reads_a_naive_time_in_the_zone_and_must_be_future():
    at = datetime(2026, 6, 1, tzinfo=UTC)
    spec = timing.validate(Spec("once", "2026-07-01T09:00:00", "Europe/Berlin"), at)
    assert timing.next_after(spec, at) == datetime(2026, 7, 1, 7, 0, tzinfo=UTC)
    assert timing.next_after(spec, datetime(2026, 8, 1, tzinfo=UTC)) is None
    with pytest.raises(BadSchedule, match="not in the future"):
        timing.validate(Spec("once", "2026-05-01T09:00:00Z", "UTC"), at)
    with pytest.raises(BadSchedule) as info:
        timing.validate(Spec("once", "tomorrow", "UTC"), at)
    assert info.value.field == "expression"
    with pytest.raises(BadSchedule) as info:
        timing.zone("Mars/Olympus")
    assert info.value.field == "timezone"


def test_localtime_is_not_an_iana_zone():
    """`localtime` is the server's own zone file: a schedule in it would follow the host."""
    import pytest

    from blueprints.schedules import timing

    with pytest.raises(timing.BadSchedule) as exc:
        timing.zone("localtime")
    assert exc.value.field == "timezone"
    assert timing.zone("Europe/Berlin").key == "Europe/Berlin"


def test_a_step_as_long_as_its_field_is_refused():
    """`*/90` in the minute field reads "every 90 minutes" but fires once an hour."""
    import pytest

    from blueprints.schedules import timing

    for expr, field in (
        ("*/90 * * * *", "minute"),
        ("*/99999999999999999999 * * * *", "minute"),
        ("0 */24 * * *", "hour"),
        ("0 0 1/31 * *", "day of month"),
        ("0 0 1 */12 *", "month"),
        ("0 0 * * 1-5/7", "day of week"),
    ):
        with pytest.raises(timing.BadSchedule) as exc:
            timing.check_cron(expr)
        assert exc.value.reason == f"{field} step out of range", expr
        assert "interval" in exc.value.message
    for ok in ("*/59 * * * *", "0 */23 * * *", "0 0 */30 * *", "0 0 1 */11 *", "0 0 * * */6"):
        assert timing.check_cron(ok) == ok
