"""Real backing services for the tests: Redis and PostgreSQL, started or created when needed,
and the environment of the Sparki processes tests start."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from blueprints.core.cli import redis_server_command


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_port(port: int, host: str = "127.0.0.1", timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            sock.settimeout(0.2)
            if sock.connect_ex((host, port)) == 0:
                return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listening on {host}:{port} after {timeout}s")


@contextmanager
def private_redis():
    """A redis-server of our own on a free port: tests never touch another Redis's data.

    TEST_REDIS_URL points the suite at an existing server instead.
    """
    if os.environ.get("TEST_REDIS_URL"):
        yield os.environ["TEST_REDIS_URL"]
        return
    port = free_port()
    workdir = tempfile.mkdtemp(prefix="sparki-redis-")
    proc = subprocess.Popen(
        redis_server_command(port, workdir, persist=False),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_port(port)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        proc.wait(10)
        shutil.rmtree(workdir, ignore_errors=True)


def postgres_admin_url() -> str | None:
    """The PostgreSQL to create test databases on: TEST_DATABASE_URL or the local server."""
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return url
    with socket.socket() as sock:
        sock.settimeout(0.5)
        if sock.connect_ex(("127.0.0.1", 5432)) != 0:
            return None
    return "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


@contextmanager
def database(kind: str):
    """A fresh, empty database URL of `kind` ('sqlite' or 'postgresql'), dropped afterwards."""
    if kind == "sqlite":
        workdir = Path(tempfile.mkdtemp(prefix="sparki-db-"))
        try:
            yield f"sqlite:///{workdir / 'test.db'}"
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
        return
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    admin = postgres_admin_url()
    if admin is None:
        raise RuntimeError("no PostgreSQL reachable for SPARKI_TEST_DB=postgresql")
    admin_url = make_url(admin).set(drivername="postgresql+psycopg")
    name = f"sparki_test_{uuid.uuid4().hex[:10]}"
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin_url.set(database=name).render_as_string(hide_password=False)
    finally:
        with engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()


def process_env(app: Any = None, **settings: str) -> dict[str, str]:
    """The environment of a Sparki process a test starts (`sparki`, gunicorn, `sparki up`).

    Only PATH, HOME, LANG and TMPDIR come from the test's own environment (nothing else of
    the runner's leaks in); with `app`, its database, Redis and secret key; LOG_LEVEL is
    WARNING unless `settings` say otherwise; then `settings` as given.
    """
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "TMPDIR")}
    if app is not None:
        env.update(
            DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
            REDIS_URL=app.config["REDIS_URL"],
            SECRET_KEY=app.config["SECRET_KEY"],
        )
    env["LOG_LEVEL"] = "WARNING"
    env.update(settings)
    return env
