#!/usr/bin/env python3
"""Dashboard page render times in-process: the services list and a service page with 100
services (issue 16: each under 50 ms).

Seeds a fresh SQLite database (`--db postgresql` for PostgreSQL) and a private Redis with an
admin, 10 projects and 100 services, logs in through the login form with Flask's test client
(a real session cookie, CSRF on), then requests each page `--runs` times after a warm-up and
prints the median and the best time in ms: the work of Flask, the ORM, the runtime view and
Jinja for one request, without a server or a network in between.

    .venv/bin/python bench/pages.py
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import (  # noqa: E402
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    create_bench_admin,
    migrated_app,
)
from tests.support.services import database, private_redis  # noqa: E402

TARGET_MS = 50.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--services", type=int, default=100)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    args = parser.parse_args()
    from blueprints.core.extensions import db
    from blueprints.projects.domain import create_project
    from blueprints.services.domain import create_service
    from blueprints.users.domain import update_organization
    from blueprints.users.models import DEFAULT_LIMITS

    with private_redis() as redis_url, database(args.db) as database_url:
        app = migrated_app(database_url, redis_url)
        with app.app_context():
            admin = create_bench_admin()
            org = admin.organization
            # Room for them all (never below the default, nor the active-service limit).
            room = max(args.services + 10, DEFAULT_LIMITS["maxServices"])
            update_organization(org, admin, limits={"maxServices": room})
            projects = [
                create_project(org, admin, name=f"project-{i:02d}", description="bench")
                for i in range(10)
            ]
            first = None
            for i in range(args.services):
                service = create_service(
                    org,
                    admin,
                    project_id=projects[i % len(projects)].id,
                    name=f"svc-{i:03d}",
                    image="app:v1",
                    command="true",
                )
                first = first or service.id
            db.session.remove()
        client = app.test_client()
        form = client.get("/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form).group(1)
        answer = client.post(
            "/login",
            data={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD, "csrf_token": token},
        )
        if answer.status_code != 302:
            raise SystemExit(f"login answered {answer.status_code}")
        pages = {
            f"services list ({args.services} services)": "/services",
            "a service page": f"/services/{first}",
        }
        print(f"in-process, {args.runs} runs after 5 warm-ups; db {args.db}")
        met = True
        for label, path in pages.items():
            times = []
            for run in range(args.runs + 5):
                started = time.perf_counter()
                response = client.get(path)
                elapsed = (time.perf_counter() - started) * 1000
                if response.status_code != 200:
                    raise SystemExit(f"{path} answered {response.status_code}")
                if run >= 5:
                    times.append(elapsed)
            median = statistics.median(times)
            ok = median < TARGET_MS
            met = met and ok
            print(
                f"{label:<36} median {median:6.1f} ms  best {min(times):6.1f} ms"
                f"  (target {TARGET_MS:.0f} ms: {'met' if ok else 'NOT met'})"
            )
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
