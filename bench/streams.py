#!/usr/bin/env python3
"""Followed log streams at scale: N followers of one service's logs on this machine, while
`/users/me` is timed, through the real `web` process (gunicorn with gunicorn.conf.py).

Starts a private Redis, a fresh database (PostgreSQL when reachable, else SQLite) and gunicorn
as the Procfile does (2 workers). Users are made so that each stays under
LOG_STREAMS_PER_USER. Then:

1. `/users/me` alone: its latency with no stream open (baseline).
2. N followers open `GET /api/v1/services/:id/logs?follow=true` (asyncio, one socket each).
3. While they follow, `--lines` log lines are written to the service's log stream (as the
   runtime agent writes them), each stamped with the time it was written, and `/users/me` is
   requested again and again. Each follower records when each line reached it.

Prints the followers connected, lines delivered (of N x lines), the delivery delay (written to
received) p50/p99/max, and `/users/me` p50/p99 with and without the followers. Targets:
`/users/me` p99 under 300 ms and every line delivered within 1 s.

    .venv/bin/python bench/streams.py -n 500
    .venv/bin/python bench/streams.py -n 500 --worker-class gthread   # the old threads, compared
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import ADMIN_PASSWORD, create_bench_admin, migrated_app  # noqa: E402
from tests.support.services import (  # noqa: E402
    database,
    free_port,
    postgres_admin_url,
    private_redis,
    process_env,
    wait_port,
)


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))]


async def get(port: int, path: str, token: str, timeout: float = 10.0) -> tuple[int, float]:
    """One GET on a fresh connection; (status, seconds). Status 0: no answer in `timeout`."""
    started = time.perf_counter()
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), timeout)
        writer.write(
            f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n"
            "Connection: close\r\n\r\n".encode()
        )
        await writer.drain()
        head = await asyncio.wait_for(reader.readuntil(b"\r\n"), timeout)
        await asyncio.wait_for(reader.read(), timeout)
        writer.close()
        return int(head.split()[1]), time.perf_counter() - started
    except (TimeoutError, OSError, asyncio.IncompleteReadError):
        return 0, time.perf_counter() - started


class Follower:
    def __init__(self, port: int, path: str, token: str) -> None:
        self.port, self.path, self.token = port, path, token
        self.connected = asyncio.Event()
        self.delays: dict[int, float] = {}
        self.status = 0

    async def run(self) -> None:
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
        except OSError:
            return
        writer.write(
            f"GET {self.path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Authorization: Bearer {self.token}\r\nAccept: text/event-stream\r\n\r\n".encode()
        )
        await writer.drain()
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            self.status = int(head.split()[1])
            if self.status != 200:
                return
            while True:
                line = await reader.readline()
                if not line:
                    return
                if line.startswith(b"retry:"):
                    self.connected.set()
                if line.startswith(b"data: "):
                    received = time.time()
                    data = json.loads(line[6:])
                    seq, sent = data["message"].split()[1:3]
                    self.delays[int(seq)] = received - float(sent)
        except (OSError, asyncio.IncompleteReadError, ValueError):
            return
        finally:
            writer.close()


async def measure(args, port: int, tokens: list[str], service_id: str, write_line) -> dict:
    me = tokens[0]
    deadline = time.monotonic() + 300  # a busy machine imports the app slowly
    while (status := (await get(port, "/api/v1/health", me))[0]) != 200:  # the app is loaded
        if time.monotonic() > deadline:
            raise SystemExit(f"the web process did not answer /api/v1/health ({status})")
        await asyncio.sleep(0.2)
    for _ in range(4):
        await get(port, "/api/v1/users/me", me)
    baseline = []
    for _ in range(args.probes):
        status, seconds = await get(port, "/api/v1/users/me", me)
        baseline.append(seconds if status == 200 else float("inf"))
        await asyncio.sleep(0.02)

    path = f"/api/v1/services/{service_id}/logs?follow=true&lines=1"
    per_user = args.per_user
    followers = [Follower(port, path, tokens[1 + i // per_user]) for i in range(args.followers)]
    # Opened in waves of --ramp (as clients arrive), each wave connected before the next.
    tasks = []
    deadline = time.monotonic() + args.connect_timeout
    for start in range(0, len(followers), args.ramp):
        wave = followers[start : start + args.ramp]
        tasks += [asyncio.create_task(f.run()) for f in wave]
        while time.monotonic() < deadline and not all(
            f.connected.is_set() or f.status not in (0, 200) for f in wave
        ):
            await asyncio.sleep(0.05)
    connected = [f for f in followers if f.connected.is_set()]

    loaded: list[float] = []
    stop = asyncio.Event()

    async def probe() -> None:
        while not stop.is_set():
            status, seconds = await get(port, "/api/v1/users/me", me)
            loaded.append(seconds if status == 200 else float("inf"))
            await asyncio.sleep(0.05)

    prober = asyncio.create_task(probe())
    for seq in range(args.lines):
        await asyncio.to_thread(write_line, seq)
        await asyncio.sleep(args.interval)
    wait_until = time.monotonic() + 5
    while time.monotonic() < wait_until and any(len(f.delays) < args.lines for f in connected):
        await asyncio.sleep(0.1)
    stop.set()
    await prober
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    delays = [d for f in connected for d in f.delays.values()]
    return {
        "connected": len(connected),
        "refused": sum(1 for f in followers if f.status not in (0, 200)),
        "delivered": len(delays),
        "expected": len(connected) * args.lines,
        "delays": delays,
        "baseline": baseline,
        "loaded": loaded,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", "--followers", type=int, default=500)
    parser.add_argument("--lines", type=int, default=20, help="log lines written while followed")
    parser.add_argument("--interval", type=float, default=0.5, help="seconds between lines")
    parser.add_argument("--probes", type=int, default=50, help="baseline /users/me requests")
    parser.add_argument("--per-user", type=int, default=10, help="streams per user")
    parser.add_argument("--web-workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--worker-class", choices=["gevent", "gthread"], default="gevent")
    parser.add_argument("--ramp", type=int, default=50, help="followers opened at once")
    parser.add_argument("--connect-timeout", type=float, default=120.0)
    parser.add_argument(
        "--db",
        choices=["postgresql", "sqlite"],
        default="postgresql" if postgres_admin_url() else "sqlite",
    )
    args = parser.parse_args()

    with private_redis() as redis_url, database(args.db) as database_url:
        from blueprints.core.auth import issue_token
        from blueprints.core.extensions import db, get_redis
        from blueprints.projects.domain import create_project
        from blueprints.services.domain import create_service
        from blueprints.services.runtime import logs
        from blueprints.users.domain import _new_user

        # The followers' users are made here (cheap hashes); the web process takes tokens.
        app = migrated_app(database_url, redis_url)
        users = 1 + -(-args.followers // args.per_user)
        with app.app_context():
            admin = create_bench_admin()
            org = admin.organization
            project = create_project(org, admin, name="bench")
            service = create_service(
                org, admin, project_id=project.id, name="web", image="app:v1", command="true"
            )
            tokens = [issue_token(admin)[0]]
            for i in range(users - 1):
                user = _new_user(
                    org,
                    email=f"viewer{i}@example.com",
                    name=f"Viewer {i}",
                    password=ADMIN_PASSWORD,
                    roles=["viewer"],
                )
                db.session.commit()
                tokens.append(issue_token(user)[0])
            service_id = service.id
            redis = get_redis()
            db.session.remove()

        def write_line(seq: int) -> None:
            logs.append(
                redis,
                service_id,
                [(time.time(), "info", f"bench {seq} {time.time()}", "p")],
                maxlen=10000,
            )

        port = free_port()
        env = process_env(app, LOG_STREAMS_PER_USER=str(args.per_user))
        command = [
            str(Path(sys.executable).parent / "gunicorn"),
            "-c",
            "gunicorn.conf.py",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(args.web_workers),
            "--access-logfile",
            "/dev/null",
        ]
        if args.worker_class == "gthread":  # what the Procfile ran before: 8 threads each
            command += ["--worker-class", "gthread", "--threads", "8"]
        log = open(Path(tempfile.mkdtemp(prefix="sparki-bench-")) / "web.log", "w")  # noqa: SIM115
        web = subprocess.Popen(
            [*command, "app:create_app()"],
            cwd=ROOT,
            env=env,
            start_new_session=True,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_port(port, timeout=300)
            result = asyncio.run(measure(args, port, tokens, service_id, write_line))
        finally:
            os.killpg(web.pid, signal.SIGTERM)
            try:
                web.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(web.pid, signal.SIGKILL)

    ms = 1000.0
    delays, baseline, loaded = result["delays"], result["baseline"], result["loaded"]
    timeouts = sum(1 for x in loaded if x == float("inf"))
    print(f"web: gunicorn {args.worker_class}, {args.web_workers} workers; db {args.db}")
    print(
        f"followers: {result['connected']}/{args.followers} connected ({result['refused']} refused)"
    )
    print(
        f"lines: {result['delivered']}/{result['expected']} delivered; delay p50 "
        f"{percentile(delays, 50) * ms:.0f} ms, p99 {percentile(delays, 99) * ms:.0f} ms, max "
        f"{(max(delays) if delays else float('nan')) * ms:.0f} ms"
    )
    print(
        f"/users/me alone: p50 {percentile(baseline, 50) * ms:.0f} ms, "
        f"p99 {percentile(baseline, 99) * ms:.0f} ms ({len(baseline)} requests)"
    )
    print(
        f"/users/me with the followers: p50 {percentile(loaded, 50) * ms:.0f} ms, "
        f"p99 {percentile(loaded, 99) * ms:.0f} ms ({len(loaded)} requests, {timeouts} "
        f"without an answer in 10 s)"
    )
    ok = (
        result["connected"] == args.followers
        and result["delivered"] == result["expected"]
        and delays
        and max(delays) < 1.0
        and percentile(loaded, 99) < 0.3
    )
    print("targets (p99 < 300 ms, every line within 1 s):", "met" if ok else "NOT met")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
