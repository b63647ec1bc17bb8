#!/usr/bin/env python3
"""`make test`: the whole suite on SQLite, then again on PostgreSQL when one is reachable.

PostgreSQL is TEST_DATABASE_URL, else the local server on 127.0.0.1:5432. Extra arguments
go to pytest (e.g. `scripts/run_tests.py -k webhooks`).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.services import postgres_admin_url  # noqa: E402


def run(kind: str, args: list[str]) -> int:
    print(f"\n===== test suite on {kind} =====", flush=True)
    env = {**os.environ, "SPARKI_TEST_DB": kind}
    code = subprocess.call([sys.executable, "-m", "pytest", *args], cwd=ROOT, env=env)
    return 0 if code == 5 else code  # 5: nothing collected by a -k filter


def lint() -> int:
    print("===== ruff check =====", flush=True)
    return subprocess.call([sys.executable, "-m", "ruff", "check", "."], cwd=ROOT)


def main() -> int:
    args = sys.argv[1:]
    codes = {"lint": lint(), "sqlite": run("sqlite", args)}
    if postgres_admin_url() is not None:
        codes["postgresql"] = run("postgresql", args)
    else:
        print(
            "\nNo PostgreSQL reachable (TEST_DATABASE_URL or 127.0.0.1:5432): "
            "the PostgreSQL pass was skipped."
        )
    print(
        "\n===== summary: "
        + ", ".join(f"{k}: {'ok' if v == 0 else 'FAILED'}" for k, v in codes.items())
        + " ====="
    )
    return 0 if all(code == 0 for code in codes.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
