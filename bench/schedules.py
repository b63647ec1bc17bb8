#!/usr/bin/env python3
"""Schedule firing on this machine: N active interval schedules every 5 s for a minute.

Starts a private Redis, a fresh database (PostgreSQL when reachable, else SQLite), a fake
LangFlow (tests/schedules/fakes.py) and W real `sparki worker` processes, creates N
schedules of one workflow (`5s`), then runs the real scheduler tick (engine.tick, the one
`sparki scheduler` runs, with the same early wake-up) in this process for `--seconds`.
Prints:

- fire jitter: enqueue time minus due time (p50/p99/max), from each task's `enqueued_at`;
- start jitter: task start minus due time (p50/p99), from `started_at` (worker capacity
  shows here, not the scheduler);
- tick cost: milliseconds per tick that fired something (p50/max);
- lost (a due slot without its task) and doubled (two tasks for a slot: impossible by the
  unique constraint, counted anyway) — both must be 0.

    .venv/bin/python bench/schedules.py -n 1000 -w 2 --seconds 60
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import migrated_app  # noqa: E402
from tests.support.services import (  # noqa: E402
    database,
    postgres_admin_url,
    private_redis,
    process_env,
)


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def main() -> int:  # noqa: C901
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=1000, help="schedules")
    parser.add_argument("-w", type=int, default=2, help="worker processes")
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--db", choices=("auto", "sqlite", "postgresql"), default="auto")
    args = parser.parse_args()
    kind = args.db if args.db != "auto" else ("postgresql" if postgres_admin_url() else "sqlite")

    from sqlalchemy import func, select

    from blueprints.core.extensions import db
    from blueprints.schedules import engine
    from blueprints.schedules.models import Schedule, Task, Workflow
    from tests.schedules.fakes import KEY, FakeSource

    fake = FakeSource("langflow")
    with private_redis() as redis_url, database(kind) as db_url:
        app = migrated_app(db_url, redis_url, SOURCE_ALLOW_PRIVATE=True)
        with app.app_context():
            from blueprints.schedules import domain
            from blueprints.users.domain import _new_user, get_or_create_organization

            org = get_or_create_organization("Bench")
            user = _new_user(
                org, email="b@example.com", name="B", password="x" * 12, roles=["admin"]
            )
            db.session.commit()
            src = domain.create_source(
                org, user, name="lf", source_type="langflow", url=fake.url, api_key=KEY
            )
            domain.sync_source(org, user, src.id)
            wf = db.session.execute(select(Workflow)).scalars().first()
            domain.update_workflow(org, user, wf.id, max_retries=0)
            start = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=3)
            for i in range(args.n):
                db.session.add(
                    Schedule(
                        org_id=org.id,
                        workflow_id=wf.id,
                        target_type="workflow",
                        schedule_type="interval",
                        expression="5s",
                        timezone="UTC",
                        input=f"s{i}",
                        anchor_at=start + timedelta(milliseconds=5000 * i // args.n),
                        next_run_at=start + timedelta(milliseconds=5000 * i // args.n + 5000),
                        created_by=user.id,
                    )
                )
            db.session.commit()
        env = process_env(app, SOURCE_ALLOW_PRIVATE="1")
        workers = [
            subprocess.Popen(
                [str(Path(sys.executable).parent / "sparki"), "worker", "--queue", "default"],
                cwd=ROOT,
                env=env,
                start_new_session=True,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            for _ in range(args.w)
        ]
        tick_ms: list[float] = []
        try:
            end = time.monotonic() + args.seconds + 5
            while time.monotonic() < end:
                with app.app_context():
                    t0 = time.perf_counter()
                    result = engine.tick()
                    cost = (time.perf_counter() - t0) * 1000
                    db.session.remove()
                if result["fired"]:
                    tick_ms.append(cost)
                wait = result["next_in"] if result["next_in"] is not None else 1.0
                time.sleep(max(0.0, min(1.0, wait)))
            stop_at = datetime.now(UTC)
            deadline = time.monotonic() + 120
            with app.app_context():
                while time.monotonic() < deadline:
                    open_ = db.session.execute(
                        select(func.count()).where(Task.status.in_(("pending", "running")))
                    ).scalar_one()
                    db.session.remove()
                    if not open_:
                        break
                    time.sleep(0.5)
                rows = db.session.execute(
                    select(
                        Task.schedule_id,
                        Task.scheduled_for,
                        Task.enqueued_at,
                        Task.started_at,
                        Task.status,
                    )
                ).all()
                schedules = db.session.execute(select(Schedule.id, Schedule.anchor_at)).all()
        finally:
            for proc in workers:
                os.killpg(proc.pid, signal.SIGTERM)
            for proc in workers:
                proc.wait(30)
            fake.close()

    fire = [(r.enqueued_at - r.scheduled_for).total_seconds() for r in rows if r.enqueued_at]
    startj = [(r.started_at - r.scheduled_for).total_seconds() for r in rows if r.started_at]
    seen: dict[tuple[str, datetime], int] = {}
    for r in rows:
        seen[(r.schedule_id, r.scheduled_for)] = seen.get((r.schedule_id, r.scheduled_for), 0) + 1
    doubled = sum(n - 1 for n in seen.values() if n > 1)
    expected = 0
    for sid, anchor in schedules:
        slot = anchor + timedelta(seconds=5)
        while slot <= stop_at - timedelta(seconds=1):
            expected += 1
            if (sid, slot) not in seen:
                pass
            slot += timedelta(seconds=5)
    lost = sum(
        1
        for sid, anchor in schedules
        for k in range(1, int((stop_at - anchor).total_seconds() // 5) + 1)
        if anchor + timedelta(seconds=5 * k) <= stop_at - timedelta(seconds=1)
        and (sid, anchor + timedelta(seconds=5 * k)) not in seen
    )
    statuses: dict[str, int] = {}
    for r in rows:
        statuses[r.status] = statuses.get(r.status, 0) + 1
    print(f"database={kind} schedules={args.n} workers={args.w} seconds={args.seconds}")
    print(f"slots due={expected} tasks={len(rows)} statuses={statuses}")
    print(
        f"fire jitter (enqueue - due): p50={pct(fire, 50) * 1000:.0f} ms "
        f"p99={pct(fire, 99) * 1000:.0f} ms max={max(fire) * 1000:.0f} ms"
    )
    print(
        f"start jitter (start - due): p50={pct(startj, 50) * 1000:.0f} ms "
        f"p99={pct(startj, 99) * 1000:.0f} ms"
    )
    print(
        f"tick cost: p50={statistics.median(tick_ms):.1f} ms max={max(tick_ms):.1f} ms "
        f"({len(tick_ms)} firing ticks)"
    )
    print(f"lost={lost} doubled={doubled}")
    return 0 if lost == 0 and doubled == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
