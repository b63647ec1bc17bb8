#!/usr/bin/env python3
"""API speed beside bare Flask, in one run: authenticated reads, lists, health (issue 16).

Starts a private Redis, a fresh SQLite database (`--db postgresql` for PostgreSQL) seeded
with an admin, an API key, 20 projects, 20 services and a webhook with 20 deliveries, then
two gunicorn processes on the same settings (gunicorn.conf.py: the Procfile's worker class,
`--workers 2`):

- Sparki (`app:create_app()`), rate limits set high so that nothing is refused;
- bare Flask (`bench/bare.py`): one route, `/api/v1/users/me`, returning a constant JSON
  object - the ceiling any Flask app on these settings can reach here.

wrk (Debian's package: 2 threads, 32 connections, `--duration` seconds each) is run against
every endpoint in turn, bare Flask first, and each figure is printed with its share of bare
Flask's, so a busy machine slows both sides alike. Targets (issue 16): `/users/me` with an
API key >= 50 %, the lists >= 25 %, `/health` >= 60 %.

    .venv/bin/python bench/api.py
    .venv/bin/python bench/api.py --duration 4 --only health
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import create_bench_admin, migrated_app  # noqa: E402
from tests.support.services import (  # noqa: E402
    database,
    free_port,
    private_redis,
    process_env,
    wait_port,
)

TARGETS = {"me": 0.50, "projects": 0.25, "services": 0.25, "deliveries": 0.25, "health": 0.60}


def seed(database_url: str, redis_url: str) -> tuple[Any, dict[str, str]]:
    """The data the endpoints read; returns the app and the raw API key and the ids in the
    paths."""
    from blueprints.core.events import Event
    from blueprints.core.extensions import db
    from blueprints.core.models import utcnow
    from blueprints.projects.domain import create_project
    from blueprints.services.domain import create_service
    from blueprints.users.domain import create_api_key
    from blueprints.webhooks.domain import create_webhook
    from blueprints.webhooks.models import Delivery

    app = migrated_app(database_url, redis_url, WEBHOOK_ALLOW_PRIVATE=True)
    with app.app_context():
        admin = create_bench_admin()
        org = admin.organization
        org.modules = {**org.modules, "crm": True}
        _, raw = create_api_key(org, admin, name="bench")
        projects = [
            create_project(org, admin, name=f"project-{i:02d}", description="bench")
            for i in range(20)
        ]
        for i in range(20):
            create_service(
                org,
                admin,
                project_id=projects[i % len(projects)].id,
                name=f"svc-{i:02d}",
                image="app:v1",
                command="true",
            )
        hook, _ = create_webhook(org, admin, url="http://127.0.0.1:9/hook", events=["*"])
        now = utcnow()
        for i in range(20):
            evt = Event(org_id=org.id, type="project.created", data={"i": i}, created_at=now)
            db.session.add(evt)
            db.session.flush()
            db.session.add(
                Delivery(
                    org_id=org.id,
                    webhook_id=hook.id,
                    event_id=evt.id,
                    event_type=evt.type,
                    status="success",
                    attempt=1,
                    status_code=200,
                    duration_ms=3,
                    scheduled_at=now,
                    created_at=now,
                )
            )
        db.session.commit()
        ids = {"key": raw, "webhook": hook.id}
        db.session.remove()
    return app, ids


def start(app_spec: str, port: int, env: dict[str, str], logdir: Path) -> subprocess.Popen:
    log = open(logdir / f"{port}.log", "w")  # noqa: SIM115 (open while the process runs)
    return subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "-c",
            "gunicorn.conf.py",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            app_spec,
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def wait_ok(url: str, headers: dict[str, str], timeout: float = 300) -> None:
    import requests

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if requests.get(url, headers=headers, timeout=10).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise SystemExit(f"{url} did not answer 200 within {timeout:.0f} s")


def wrk(url: str, headers: dict[str, str], duration: int) -> tuple[float, int]:
    """(requests per second, non-2xx responses) of one wrk run."""
    command = ["wrk", "-t2", "-c32", f"-d{duration}s", "--latency"]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    out = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    return rate, int(bad.group(1)) if bad else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=8, help="seconds per wrk run")
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--only", nargs="*", choices=sorted(TARGETS), help="these endpoints")
    parser.add_argument(
        "--read-cache-seconds",
        type=int,
        default=None,
        help="READ_CACHE_SECONDS for Sparki (default: the app's; 0 measures the lists uncached)",
    )
    args = parser.parse_args()
    logdir = Path(tempfile.mkdtemp(prefix="sparki-bench-api-"))
    with private_redis() as redis_url, database(args.db) as database_url:
        app, ids = seed(database_url, redis_url)
        env = process_env(
            app, RATE_LIMIT_PER_KEY="100000000/hour", RATE_LIMIT_PER_USER="100000000/hour"
        )
        if args.read_cache_seconds is not None:
            env["READ_CACHE_SECONDS"] = str(args.read_cache_seconds)
        cache = env.get("READ_CACHE_SECONDS", str(app.config["READ_CACHE_SECONDS"]))
        sparki_port, bare_port = free_port(), free_port()
        procs = [
            start("app:create_app()", sparki_port, env, logdir),
            start("bench.bare:app", bare_port, env, logdir),
        ]
        key = {"X-API-Key": ids["key"]}
        endpoints = {
            "me": ("GET /api/v1/users/me (API key)", "/api/v1/users/me", key),
            "projects": ("GET /api/v1/projects?limit=20", "/api/v1/projects?limit=20", key),
            "services": ("GET /api/v1/services?limit=20", "/api/v1/services?limit=20", key),
            "deliveries": (
                "GET /api/v1/webhooks/:id/deliveries?limit=20",
                f"/api/v1/webhooks/{ids['webhook']}/deliveries?limit=20",
                key,
            ),
            "health": ("GET /api/v1/health", "/api/v1/health", {}),
        }
        chosen = args.only or list(endpoints)
        try:
            for port in (sparki_port, bare_port):
                wait_port(port, timeout=300)
            wait_ok(f"http://127.0.0.1:{bare_port}/api/v1/users/me", {})
            for _, path, headers in endpoints.values():
                wait_ok(f"http://127.0.0.1:{sparki_port}{path}", headers)
            print(
                f"wrk -t2 -c32 -d{args.duration}s; gunicorn.conf.py, 2 workers; db {args.db}; "
                f"READ_CACHE_SECONDS={cache}"
            )
            print(f"load average before: {os.getloadavg()[0]:.1f}")
            bare, _ = wrk(f"http://127.0.0.1:{bare_port}/api/v1/users/me", {}, args.duration)
            print(f"{'bare Flask /api/v1/users/me':<48} {bare:>9.0f} req/s   100 %")
            met = True
            for name in chosen:
                label, path, headers = endpoints[name]
                rate, bad = wrk(f"http://127.0.0.1:{sparki_port}{path}", headers, args.duration)
                share = rate / bare
                ok = share >= TARGETS[name] and bad == 0
                met = met and ok
                print(
                    f"{label:<48} {rate:>9.0f} req/s {share * 100:>5.1f} %"
                    f"  (target {TARGETS[name] * 100:.0f} %: {'met' if ok else 'NOT met'})"
                    + (f"  {bad} non-2xx" if bad else "")
                )
            print(f"load average after: {os.getloadavg()[0]:.1f}")
        finally:
            for proc in procs:
                os.killpg(proc.pid, signal.SIGTERM)
            for proc in procs:
                try:
                    proc.wait(20)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
