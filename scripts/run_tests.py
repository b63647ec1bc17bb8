#!/usr/bin/env python3
"""`make test`: ruff, then the whole suite on SQLite and on PostgreSQL side by side.

The two database passes run at the same time, as two pytest processes: each starts its own
Redis and creates its own database, so they share nothing. Much of the suite waits (on real
workers, agents, browsers) rather than computes, so two passes in parallel take little longer
than one. Each pass writes to its own log file, printed whole when the pass ends, so the output
stays readable.

PostgreSQL is TEST_DATABASE_URL, else the local server on 127.0.0.1:5432; without one only
the SQLite pass runs. `--serial` runs the passes one after the other. Other arguments go to
pytest (e.g. `scripts/run_tests.py -k webhooks`).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.services import postgres_admin_url  # noqa: E402

NOTHING_COLLECTED = 5  # pytest's exit code when a -k/-m filter selects no test


def lint() -> int:
    code = 0
    for args in (["check", "."], ["format", "--check", "."]):
        print(f"===== ruff {' '.join(args)} =====", flush=True)
        code = subprocess.call([sys.executable, "-m", "ruff", *args], cwd=ROOT) or code
    return code


class Pass:
    """One pytest run on one database, its output going to a log file."""

    def __init__(self, kind: str, args: list[str], logdir: Path) -> None:
        self.kind = kind
        self.log = logdir / f"pytest-{kind}.log"
        self.started = time.monotonic()
        env = {**os.environ, "SPARKI_TEST_DB": kind}
        # Each pass keeps its own cache, so neither overwrites the other's last failures:
        # `pytest --lf` reruns SQLite's, `-o cache_dir=.pytest_cache/postgresql --lf` PostgreSQL's.
        cache = [] if kind == "sqlite" else ["-o", f"cache_dir=.pytest_cache/{kind}"]
        with self.log.open("w") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "pytest", *cache, *args],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def finish(self) -> int:
        code = self.proc.wait()
        minutes, seconds = divmod(int(time.monotonic() - self.started), 60)
        print(f"\n===== test suite on {self.kind} ({minutes}m{seconds:02d}s) =====", flush=True)
        sys.stdout.write(self.log.read_text(errors="replace"))
        sys.stdout.flush()
        return 0 if code == NOTHING_COLLECTED else code


def main() -> int:
    args = sys.argv[1:]
    serial = "--serial" in args
    args = [a for a in args if a != "--serial"]
    kinds = ["sqlite"]
    if postgres_admin_url() is not None:
        kinds.append("postgresql")
    else:
        print(
            "No PostgreSQL reachable (TEST_DATABASE_URL or 127.0.0.1:5432): "
            "the PostgreSQL pass is skipped."
        )
    codes = {"lint": lint()}
    with tempfile.TemporaryDirectory(prefix="sparki-tests-") as tmp:
        if serial:
            for kind in kinds:
                codes[kind] = Pass(kind, args, Path(tmp)).finish()
        else:
            print(f"\n===== test suite on {' and '.join(kinds)}, in parallel =====", flush=True)
            passes = [Pass(kind, args, Path(tmp)) for kind in kinds]
            for p in passes:
                codes[p.kind] = p.finish()
    print(
        "\n===== summary: "
        + ", ".join(f"{k}: {'ok' if v == 0 else 'FAILED'}" for k, v in codes.items())
        + " ====="
    )
    return 0 if all(code == 0 for code in codes.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
