#!/usr/bin/env python3
"""Webhook fan-out throughput next to RQ's own no-op job rate, on this machine.

Starts a private Redis, a fresh database (PostgreSQL when reachable, else SQLite), a local
receiver (http.server) and W real `sparki worker` processes. Then:

1. RQ baseline: N no-op jobs (`os.getpid`) through the same workers; jobs per second.
2. Webhooks: N events emitted for an organization whose endpoint subscribes to them; the
   workers fan them out and deliver signed POSTs. Deliveries per second counts from the
   first emit until the receiver has N requests and every delivery row says `succeeded`.

Both are measured twice: with events committed `--batch` at a time (a burst) and one per
transaction (one fan-out job per event). Prints the rates and their ratio (the figure we
track; aim ≥ 60%).

    .venv/bin/python bench/webhooks.py -n 500 -w 2
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import create_bench_admin, migrated_app  # noqa: E402
from tests.support.services import (  # noqa: E402
    database,
    postgres_admin_url,
    private_redis,
    process_env,
)


class Counter:
    def __init__(self) -> None:
        self.n = 0
        self.lock = threading.Lock()


def start_receiver(counter: Counter) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:  # noqa: N802
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            with counter.lock:
                counter.n += 1
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def wait(cond, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {what}")
        time.sleep(0.02)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", "--events", type=int, default=500, help="events (and no-op jobs)")
    parser.add_argument("-w", "--workers", type=int, default=2, help="worker processes")
    parser.add_argument("--batch", type=int, default=50, help="events per transaction")
    parser.add_argument(
        "--db",
        choices=["postgresql", "sqlite"],
        default="postgresql" if postgres_admin_url() else "sqlite",
    )
    args = parser.parse_args()

    with private_redis() as redis_url, database(args.db) as database_url:
        from rq import Queue
        from sqlalchemy import func, select

        from blueprints.core.events import emit
        from blueprints.core.extensions import db, get_redis
        from blueprints.webhooks.domain import create_webhook
        from blueprints.webhooks.models import Delivery

        app = migrated_app(database_url, redis_url, WEBHOOK_ALLOW_PRIVATE=True)
        counter = Counter()
        receiver = start_receiver(counter)
        url = f"http://127.0.0.1:{receiver.server_address[1]}/hook"
        with app.app_context():
            admin = create_bench_admin()
            org_id = admin.org_id
            create_webhook(admin.organization, admin, url=url, events=["*"])
            db.session.remove()

        env = process_env(app, WEBHOOK_ALLOW_PRIVATE="1")
        logdir = Path(tempfile.mkdtemp(prefix="sparki-bench-"))
        workers = []
        for i in range(args.workers):
            log = open(logdir / f"worker-{i}.log", "w")  # noqa: SIM115
            workers.append(
                subprocess.Popen(
                    [str(Path(sys.executable).parent / "sparki"), "worker"],
                    cwd=ROOT,
                    env=env,
                    start_new_session=True,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            )
        results = []
        try:
            with app.app_context():
                redis = get_redis()
                wait(lambda: len(redis.keys("rq:worker:*")) >= args.workers, 60, "workers to start")
                queue = Queue("default", connection=redis)
                from blueprints.users.models import Organization

                noops = delivered = 0

                def noop_rate() -> float:
                    """RQ's own rate: no-op jobs through the same workers."""
                    nonlocal noops
                    noops += args.events
                    t0 = time.perf_counter()
                    for _ in range(args.events):
                        queue.enqueue("os.getpid")
                    wait(lambda: queue.finished_job_registry.count >= noops, 600, "no-op jobs")
                    return args.events / (time.perf_counter() - t0)

                def delivery_rate(batch: int) -> float:
                    """N events emitted, `batch` per transaction, until all are delivered."""
                    nonlocal delivered
                    delivered += args.events
                    t0 = time.perf_counter()
                    org = db.session.get(Organization, org_id)
                    for start in range(0, args.events, batch):
                        for i in range(start, min(start + batch, args.events)):
                            emit(
                                org,
                                "deployment.completed",
                                {"deploymentId": f"deploy-bench-{i}", "status": "success"},
                            )
                        db.session.commit()
                    wait(lambda: counter.n >= delivered, 600, "deliveries")

                    def all_recorded() -> bool:
                        done = db.session.execute(
                            select(func.count())
                            .select_from(Delivery)
                            .where(Delivery.status == "succeeded")
                        ).scalar_one()
                        db.session.commit()
                        return done >= delivered

                    wait(all_recorded, 120, "delivery rows")
                    return args.events / (time.perf_counter() - t0)

                # Each mode is measured right after its own baseline, so a busy machine
                # weighs on both figures of a ratio alike.
                for label, batch in (
                    (f"{args.batch} events per transaction", args.batch),
                    ("1 event per transaction", 1),
                ):
                    base = noop_rate()
                    rate = delivery_rate(batch)
                    results.append((label, base, rate))
                db.session.remove()
        finally:
            for proc in workers:
                os.killpg(proc.pid, signal.SIGTERM)
            for proc in workers:
                proc.wait(20)
            receiver.shutdown()

    print(
        f"machine: {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}; database: {args.db}; "
        f"workers: {args.workers}; events per run: {args.events}; received: {counter.n}"
    )
    print(f"{'mode':<28} {'RQ no-op jobs/s':>16} {'deliveries/s':>13} {'ratio':>7}")
    for label, base, rate in results:
        print(f"{label:<28} {base:>16.1f} {rate:>13.1f} {rate / base:>7.0%}")
    print("(each delivery: signed twice, POSTed, its attempt row recorded; aim: ratio >= 60%)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
