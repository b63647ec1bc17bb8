"""Fixtures for the services tests: a real runtime agent and a real RQ worker as subprocesses,
projects and services made through the domain, and teardown that leaves no process behind."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import psutil
import pytest

from tests.support.waiting import PATIENCE, wait_until

ROOT = Path(__file__).resolve().parents[2]
SPARKI = str(Path(sys.executable).parent / "sparki")
READY_TIMEOUT = 8  # seconds a new replica gets to answer its health path in these tests


def wait_for(
    predicate: Callable[[], object],
    timeout: float = PATIENCE,
    interval: float = 0.1,
    what: str = "condition",
):
    """Poll `predicate` until it returns something truthy (bounded; no long sleeps)."""
    return wait_until(predicate, timeout=timeout, interval=interval, what=what)


def _child_env(app, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "TMPDIR")}
    env.update(
        {
            "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
            "REDIS_URL": app.config["REDIS_URL"],
            "SECRET_KEY": app.config["SECRET_KEY"],
            "LOG_LEVEL": "WARNING",
            "DEPLOY_READY_TIMEOUT": str(READY_TIMEOUT),
            "NODE_SAMPLE_SECONDS": "1",
        }
    )
    env.update(extra)
    return env


def replica_processes(data_dir: str) -> list[psutil.Process]:
    """Every process whose working directory is under the agent's data dir (its replicas)."""
    found = []
    for proc in psutil.process_iter(["pid"]):
        try:
            if proc.cwd().startswith(data_dir):
                found.append(proc)
        except (psutil.Error, OSError):
            continue
    return found


def kill_replicas(data_dir: str) -> None:
    for proc in replica_processes(data_dir):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
        with contextlib.suppress(psutil.Error):
            proc.kill()
    psutil.wait_procs(replica_processes(data_dir), timeout=5)


def _port_range() -> str:
    """A block of 100 ports of this test session's own (the SQLite and PostgreSQL passes of
    `make test` in different halves): two agents side by side probe a port free and both hand
    it to a replica before either binds it, so sessions must not share ports."""
    half = 0 if os.environ.get("SPARKI_TEST_DB", "sqlite") == "sqlite" else 4
    lo = 43100 + (half + os.getpid() % 4) * 100
    return f"{lo}-{lo + 99}"


class AgentProcess:
    """`sparki agent` in a subprocess; `restart()` kills and starts it again (re-adoption)."""

    def __init__(self, app, data_dir: str) -> None:
        self.app = app
        self.data_dir = data_dir
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        env = _child_env(
            self.app,
            AGENT_DATA_DIR=self.data_dir,
            AGENT_RECONCILE_INTERVAL="0.2",
            AGENT_PROBE_INTERVAL="0.5",
            SERVICE_PORT_RANGE=_port_range(),
        )
        self.proc = subprocess.Popen([SPARKI, "agent"], cwd=str(ROOT), env=env)
        from blueprints.core.extensions import get_redis
        from blueprints.services.runtime.local import KEY_HEARTBEAT

        with self.app.app_context():
            redis = get_redis()
            started = time.time()
            wait_for(
                lambda: float(redis.get(KEY_HEARTBEAT) or 0) > started,
                timeout=90,  # importing the app takes long on a busy 2-core machine
                what="the agent's first heartbeat",
            )

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(15)

    def restart(self) -> None:
        self.kill()
        self.start()


@pytest.fixture
def agent(app):
    data_dir = tempfile.mkdtemp(prefix="sparki-agent-")
    agent = AgentProcess(app, data_dir)
    agent.start()
    try:
        yield agent
    finally:
        agent.kill(signal.SIGTERM)
        kill_replicas(data_dir)
        assert not replica_processes(data_dir), "replica processes leaked"


class WorkerProcess:
    """`sparki worker` (with RQ's scheduler child process) in a subprocess."""

    def __init__(self, app) -> None:
        self.proc = subprocess.Popen([SPARKI, "worker"], cwd=str(ROOT), env=_child_env(app))

    def kill(self, sig: int = signal.SIGKILL) -> None:
        """Signal the worker and every process it started (the scheduler, a work horse)."""
        try:
            family = [
                psutil.Process(self.proc.pid),
                *psutil.Process(self.proc.pid).children(recursive=True),
            ]
        except psutil.Error:
            family = []
        for proc in family:
            with contextlib.suppress(psutil.Error):
                proc.send_signal(sig)
        gone, alive = psutil.wait_procs(family, timeout=15)
        for proc in alive:
            proc.kill()
        if self.proc.poll() is None:
            self.proc.wait(5)


@pytest.fixture
def worker(app):
    """A real `sparki worker` (forks a work horse per job, like production)."""
    proc = WorkerProcess(app)
    try:
        yield proc
    finally:
        proc.kill(signal.SIGTERM)


@pytest.fixture
def setup(factory, app):
    """An organization with a maintainer, a developer (member or not) and a viewer, and a
    project; returns a namespace of ids."""
    from blueprints.core.extensions import db
    from blueprints.projects.domain import add_member, create_project
    from blueprints.users.models import User

    class NS:
        pass

    ns = NS()
    ns.org = factory.org("Acme")
    ns.admin = factory.user(ns.org, roles=["admin"])
    ns.maintainer = factory.user(ns.org, roles=["maintainer"])
    ns.developer = factory.user(ns.org, roles=["developer"])
    ns.outsider_dev = factory.user(ns.org, roles=["developer"])
    ns.viewer = factory.user(ns.org, roles=["viewer"])
    with app.app_context():
        admin = db.session.get(User, ns.admin)
        project = create_project(admin.organization, admin, name="shop")
        add_member(admin.organization, admin, project.id, user_id=ns.developer, role="contributor")
        ns.project = project.id
    ns.other_org = factory.org("Other")
    ns.stranger = factory.user(ns.other_org, roles=["admin"])
    return ns


HTTP_SERVER = "python3 -m http.server $PORT --bind 127.0.0.1"
