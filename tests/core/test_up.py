"""`sparki up` (behind `make run`): starts every process, serves, and stops them all on Ctrl-C."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
import requests
from flask_migrate import upgrade

from blueprints.core.extensions import db
from tests.conftest import make_app
from tests.support.services import free_port

ROOT = Path(__file__).resolve().parents[2]
SPARKI = str(Path(sys.executable).parent / "sparki")


def _procfile_programs() -> dict[str, str]:
    """Procfile name -> what its process's command line shows (`gunicorn`, `sparki worker`)."""
    programs = {}
    for line in (ROOT / "Procfile").read_text().splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        name, command = (part.strip() for part in line.split(":", 1))
        words = command.split()
        programs[name] = " ".join(words[:2]) if words[0] == "sparki" else words[0]
    return programs


def _describe(proc: psutil.Process) -> str:
    try:
        return " ".join(proc.cmdline())
    except psutil.Error:
        return f"pid {proc.pid}"


@pytest.mark.slow
def test_sparki_up_serves_and_stops_every_process(tmp_path, redis_url):
    database_url = f"sqlite:///{tmp_path / 'up.db'}"
    migrated = make_app(database_url, redis_url)
    with migrated.app_context():
        upgrade(revision="heads")
        db.session.remove()
        db.engine.dispose()
    port, proxy_port = free_port(), free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "API_PORT": str(port),
        "SPARKI_PROXY_PORT": str(proxy_port),
        "SECRET_KEY": "up-test-secret-key-long-enough-for-hs256",
        "SPARKI_ADMIN_EMAIL": "root@example.com",
        "SPARKI_ADMIN_PASSWORD": "root-password-1",
        "SPARKI_INSTANCE_PATH": str(tmp_path / "instance"),
        "WEB_CONCURRENCY": "1",
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT),
    }
    env.pop("REDIS_URL", None)
    log = open(tmp_path / "up.log", "w+")  # noqa: SIM115 (read back on failure)
    proc = subprocess.Popen([SPARKI, "up"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    parent = psutil.Process(proc.pid)
    children: list[psutil.Process] = []
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 180
        health = None
        while time.monotonic() < deadline:
            assert proc.poll() is None, _log(log)
            try:
                health = requests.get(f"{base}/api/v1/health", timeout=30)
                if health.status_code == 200:
                    break
            except requests.RequestException:  # not listening yet, or still booting
                pass
            time.sleep(0.25)
        assert health is not None and health.status_code == 200, _log(log)
        assert health.json()["checks"] == {"app": "ok", "database": "ok", "redis": "ok"}

        token = requests.post(
            f"{base}/api/v1/auth/login",
            timeout=60,
            json={"email": "root@example.com", "password": "root-password-1"},
        )
        assert token.status_code == 200, token.text
        me = requests.get(
            f"{base}/api/v1/users/me",
            timeout=60,
            headers={"Authorization": f"Bearer {token.json()['token']}"},
        )
        assert me.json()["roles"] == ["admin"]
        # The same gunicorn answers services' own hosts on the proxy port, and only those.
        proxied = f"http://127.0.0.1:{proxy_port}/login"
        assert requests.get(proxied, timeout=10).status_code == 404
        unknown = {"Host": f"none-0123456789.localhost:{proxy_port}"}
        assert b"No service answers" in requests.get(proxied, headers=unknown, timeout=10).content

        # Every Procfile process (web, worker, scheduler, agent…) and the private Redis run
        # under `sparki up`.
        wanted = {*_procfile_programs().values(), "redis-server"}
        assert {"gunicorn", "sparki worker", "sparki scheduler"} <= wanted
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            children = parent.children(recursive=True)
            running = " | ".join(_describe(c) for c in children)
            if all(w in running for w in wanted):
                break
            time.sleep(0.25)
        running = " | ".join(_describe(c) for c in children)
        for w in wanted:
            assert w in running, f"{w} not started: {running}\n{_log(log)}"

        # Commands run beside it (`sparki agent --stop-replicas`) find its private Redis here.
        url_file = tmp_path / "instance" / "redis" / "url"
        assert url_file.stat().st_mode & 0o777 == 0o600
        assert f"private Redis on {url_file.read_text().strip()} " in _log(log)
        # Both of gunicorn's ports listen on loopback only (SPARKI_BIND is unset).
        listening = {
            (c.laddr.ip, c.laddr.port)
            for p in children
            if "gunicorn" in _describe(p)
            for c in p.net_connections(kind="inet")
            if c.status == psutil.CONN_LISTEN
        }
        assert listening == {("127.0.0.1", port), ("127.0.0.1", proxy_port)}

        started = time.monotonic()
        proc.send_signal(signal.SIGINT)
        gone, alive = psutil.wait_procs([parent, *children], timeout=30)
        elapsed = time.monotonic() - started
        assert not alive, f"still running after SIGINT: {[_describe(p) for p in alive]}"
        assert elapsed < 30
        print(f"sparki up stopped {len(children)} processes in {elapsed:.1f}s")
        assert proc.wait(5) is not None
        assert not url_file.exists()
        # Redis stops last: nothing still running lost its connection during the shutdown.
        assert "Connection refused" not in _log(log), _log(log)
    finally:
        # On failure, leave nothing behind: every descendant, found while the parent lives.
        with contextlib.suppress(psutil.Error):
            children = list({*children, *parent.children(recursive=True)})
        for p in [parent, *children]:
            with contextlib.suppress(psutil.Error):
                p.kill()
        log.close()


def _log(fh) -> str:
    fh.flush()
    fh.seek(0)
    return fh.read()[-6000:]


def _web_binds() -> list[str]:
    web = next(
        line.split(":", 1)[1]
        for line in (ROOT / "Procfile").read_text().splitlines()
        if line.startswith("web:")
    )
    words = web.split()
    return [words[i + 1] for i, word in enumerate(words) if word == "--bind"]


def test_gunicorn_binds_loopback_unless_sparki_bind_opens_it():
    """Both ports (the dashboard's and the services' proxy port) used to bind 0.0.0.0."""
    binds = _web_binds()
    assert binds == [
        "${SPARKI_BIND:-127.0.0.1}:${API_PORT:-8883}",
        "${SPARKI_BIND:-127.0.0.1}:${SPARKI_PROXY_PORT:-8884}",
    ]
    # What the shell that runs the Procfile line makes of them.
    script = "echo " + " ".join(binds)
    env = {"PATH": os.environ.get("PATH", "")}
    out = subprocess.run(["/bin/sh", "-c", script], env=env, capture_output=True, text=True)
    assert out.stdout.split() == ["127.0.0.1:8883", "127.0.0.1:8884"]
    opened = {**env, "SPARKI_BIND": "0.0.0.0", "API_PORT": "9000"}
    out = subprocess.run(["/bin/sh", "-c", script], env=opened, capture_output=True, text=True)
    assert out.stdout.split() == ["0.0.0.0:9000", "0.0.0.0:8884"]
