"""The scheduler tick with a controllable clock: due slots become tasks with deterministic
job ids, never twice; missed runs (skip, run_once); forbid; once; two schedulers."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from blueprints.core.extensions import db, get_redis
from blueprints.core.jobs import get_queue
from blueprints.schedules import engine
from blueprints.schedules.models import Task


def _schedule(api, wf, **body):
    r = api.post("/api/v1/schedules", json={"workflowId": wf, **body})
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def _tasks(app, schedule_id):
    with app.app_context():
        rows = db.session.execute(
            select(Task).where(Task.schedule_id == schedule_id).order_by(Task.scheduled_for)
        )
        return [(t.status, t.trigger, t.scheduled_for, t.reason, t.job_id) for t in rows.scalars()]


def _tick(app, clock, name="s1"):
    with app.app_context():
        return engine.tick(clock(), name=name)


def test_a_cron_slot_fires_once_with_a_deterministic_job_id(app, setup, clock, run_jobs):
    s = _schedule(setup["api"], setup["wf"], scheduleType="cron", expression="*/5 * * * *")
    assert s["nextRunAt"] == "2026-01-05T12:05:00.000Z"
    assert _tick(app, clock)["fired"] == 0
    clock.set(datetime(2026, 1, 5, 12, 5, 0, 300_000, tzinfo=UTC))
    result = _tick(app, clock)
    assert result["fired"] == 1 and 0 < result["next_in"] <= 300
    assert _tick(app, clock)["fired"] == 0  # the same slot never twice
    [(status, trigger, slot, _, job_id)] = _tasks(app, s["id"])
    epoch = int(datetime(2026, 1, 5, 12, 5, tzinfo=UTC).timestamp())
    assert (status, trigger, job_id) == ("pending", "schedule", f"schedule_{s['id']}_{epoch}")
    with app.app_context():
        assert job_id in get_queue("default").job_ids
    run_jobs()
    assert _tasks(app, s["id"])[0][0] == "completed"
    got = setup["api"].get(f"/api/v1/schedules/{s['id']}").get_json()
    assert got["lastRunAt"] == "2026-01-05T12:05:00.000Z"
    assert got["nextRunAt"] == "2026-01-05T12:10:00.000Z"


def test_two_schedulers_fire_each_slot_once(app, setup, clock):
    s = _schedule(setup["api"], setup["wf"], scheduleType="interval", expression="10s")
    clock.advance(seconds=10)
    assert _tick(app, clock, "a")["fired"] == 1
    # The second scheduler is not the leader while the first one holds the lock.
    assert _tick(app, clock, "b") == {"leader": False, "fired": 0, "skipped": 0, "next_in": None}
    # Even with no lock at all (it expired), the slot already has its task.
    with app.app_context():
        get_redis().delete(engine.LEADER_KEY)
        from blueprints.schedules.models import Schedule

        sched = db.session.get(Schedule, s["id"])
        sched.next_run_at = datetime(2026, 1, 5, 12, 0, 10, tzinfo=UTC)  # as a stale reader saw it
        db.session.commit()
    assert _tick(app, clock, "b")["fired"] == 0
    assert len(_tasks(app, s["id"])) == 1


def test_missed_runs_skip_records_each_slot(app, setup, clock):
    s = _schedule(setup["api"], setup["wf"], scheduleType="interval", expression="1h")
    clock.advance(hours=3, minutes=30)  # the scheduler was down for 3 slots
    result = _tick(app, clock)
    assert result == {**result, "fired": 0, "skipped": 3}
    rows = _tasks(app, s["id"])
    assert [r[0] for r in rows] == ["skipped"] * 3
    assert all("missed" in r[3] for r in rows)
    nxt = setup["api"].get(f"/api/v1/schedules/{s['id']}").get_json()["nextRunAt"]
    assert nxt == "2026-01-05T16:00:00.000Z"


def test_missed_runs_run_once_runs_one_catch_up(app, setup, clock):
    s = _schedule(
        setup["api"],
        setup["wf"],
        scheduleType="interval",
        expression="1h",
        missedRunPolicy="run_once",
    )
    clock.advance(hours=3, minutes=30)
    assert _tick(app, clock)["fired"] == 1
    rows = _tasks(app, s["id"])
    assert [(r[0], r[1]) for r in rows] == [
        ("skipped", "schedule"),
        ("skipped", "schedule"),
        ("pending", "catch_up"),
    ]
    assert rows[-1][2] == datetime(2026, 1, 5, 15, 0, tzinfo=UTC)


def test_forbid_skips_a_slot_while_the_previous_task_runs(app, setup, clock, run_jobs):
    s = _schedule(
        setup["api"],
        setup["wf"],
        scheduleType="interval",
        expression="1m",
        concurrencyPolicy="forbid",
    )
    clock.advance(minutes=1)
    assert _tick(app, clock)["fired"] == 1
    clock.advance(minutes=1)
    result = _tick(app, clock)  # the first task is still pending: this slot is skipped
    assert (result["fired"], result["skipped"]) == (0, 1)
    rows = _tasks(app, s["id"])
    assert rows[1][0] == "skipped" and "forbid" in rows[1][3]
    run_jobs()
    clock.advance(minutes=1)
    assert _tick(app, clock)["fired"] == 1


def test_once_fires_once_then_never(app, setup, clock):
    s = _schedule(
        setup["api"],
        setup["wf"],
        scheduleType="once",
        expression="2026-01-05T13:30:00",
        timezone="Europe/Berlin",
    )
    assert s["nextRunAt"] == "2026-01-05T12:30:00.000Z" and len(s["nextRuns"]) == 1
    clock.set(datetime(2026, 1, 5, 12, 30, 1, tzinfo=UTC))
    assert _tick(app, clock)["fired"] == 1
    assert setup["api"].get(f"/api/v1/schedules/{s['id']}").get_json()["nextRunAt"] is None
    clock.advance(days=1)
    assert _tick(app, clock)["fired"] == 0


def test_paused_schedules_do_not_fire_and_resume_from_now(app, setup, clock):
    s = _schedule(setup["api"], setup["wf"], scheduleType="interval", expression="1m")
    setup["api"].post(f"/api/v1/schedules/{s['id']}/pause")
    clock.advance(minutes=10)
    assert _tick(app, clock)["fired"] == 0
    setup["api"].post(f"/api/v1/schedules/{s['id']}/resume")
    clock.advance(minutes=1)
    assert _tick(app, clock)["fired"] == 1 and len(_tasks(app, s["id"])) == 1
    assert _tasks(app, s["id"])[0][0] == "pending"  # no missed-run records for the pause
