"""`sparki backup PATH` and `sparki restore PATH`: one archive with everything Sparki keeps.

The archive (`.tar.gz`) holds:
- `manifest.json`: format, time, database kind, migration revision, what is inside;
- the database: `database.sqlite3` made with SQLite's online backup API (consistent while the
  app runs), or `database.pgdump` from `pg_dump --format=custom` on PostgreSQL;
- `instance/secret_key`, when the key was generated there: SECRET_KEY signs sessions and
  tokens and derives the at-rest encryption key (webhook secrets, source API keys), so a
  database restored without it cannot decrypt them. A SECRET_KEY given in the environment is
  not written into the archive: the restored install must be given the same one.

Not in it: Redis (queues, sessions, rate-limit counters, idempotency keys; rebuilt: the
periodic sweeps re-dispatch undelivered events and re-queue pending deliveries, users log in
again) and the agent's replica directories (a deploy or restart recreates them).

`restore` is for a fresh install: it refuses a database that already holds Sparki's tables
unless forced, then upgrades the schema to this code's migrations.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from pathlib import Path
from typing import Any

from sqlalchemy import inspect, text
from sqlalchemy.engine import make_url

from .config import INSTANCE
from .extensions import db
from .models import iso_utc, utcnow

FORMAT = 1
SQLITE_NAME = "database.sqlite3"
PG_NAME = "database.pgdump"
SECRET_NAME = "instance/secret_key"


class BackupError(Exception):
    """Backup or restore cannot go on; the message says why."""


def _kind(url: str) -> str:
    backend = make_url(url).get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise BackupError(f"unsupported database backend {backend!r}")
    return backend


def _sqlite_path(url: str) -> Path:
    path = make_url(url).database
    if not path or path == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up or restored")
    return Path(path)


def _pg_args(url: str) -> tuple[list[str], dict[str, str]]:
    """libpq connection arguments for pg_dump/pg_restore, the password in the environment
    (never on a command line others can read in `ps`)."""
    parsed = make_url(url)
    env = dict(os.environ)
    if parsed.password:
        env["PGPASSWORD"] = parsed.password
    args = ["--dbname", parsed.database or ""]
    if parsed.host:
        args += ["--host", parsed.host]
    if parsed.port:
        args += ["--port", str(parsed.port)]
    if parsed.username:
        args += ["--username", parsed.username]
    return args, env


def _revision() -> str | None:
    try:
        return db.session.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except Exception:  # noqa: BLE001 (a database never migrated has no revision)
        db.session.rollback()
        return None


def backup(app: Any, path: str | Path) -> dict[str, Any]:
    """Write the archive to `path`; returns its manifest."""
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    kind = _kind(url)
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="sparki-backup-") as work:
        work_dir = Path(work)
        if kind == "sqlite":
            dump = work_dir / SQLITE_NAME
            source = sqlite3.connect(str(_sqlite_path(url)))
            copy = sqlite3.connect(str(dump))
            try:
                source.backup(copy)  # the online backup API: a consistent copy, live
            finally:
                copy.close()
                source.close()
        else:
            dump = work_dir / PG_NAME
            args, env = _pg_args(url)
            _run(
                [
                    "pg_dump",
                    "--format=custom",
                    "--no-owner",
                    "--no-acl",
                    "--file",
                    str(dump),
                    *args,
                ],
                env,
            )
        secret_file = INSTANCE / "secret_key"
        env_key = bool(os.environ.get("SECRET_KEY"))
        include_secret = secret_file.exists() and not env_key
        manifest = {
            "format": FORMAT,
            "createdAt": iso_utc(utcnow()),
            "database": kind,
            "revision": _revision(),
            "files": [dump.name] + ([SECRET_NAME] if include_secret else []),
            "secretKey": "included" if include_secret else "from the environment: not included",
        }
        partial = target.with_name(target.name + ".partial")
        with tarfile.open(partial, "w:gz") as archive:
            data = json.dumps(manifest, indent=2).encode()
            info = tarfile.TarInfo("manifest.json")
            info.size, info.mode = len(data), 0o600
            archive.addfile(info, io.BytesIO(data))
            archive.add(dump, arcname=dump.name)
            if include_secret:
                archive.add(secret_file, arcname=SECRET_NAME)
        os.chmod(partial, 0o600)  # it holds the key that decrypts the secrets
        partial.replace(target)
    return manifest


def restore(app: Any, path: str | Path, *, force: bool = False) -> dict[str, Any]:
    """Bring the archive at `path` back into this install's database and instance/."""
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    kind = _kind(url)
    with tempfile.TemporaryDirectory(prefix="sparki-restore-") as work:
        work_dir = Path(work)
        with tarfile.open(path, "r:gz") as archive:
            archive.extractall(work_dir, filter="data")
        manifest = json.loads((work_dir / "manifest.json").read_text())
        if manifest.get("format") != FORMAT:
            raise BackupError(f"unknown archive format {manifest.get('format')!r}")
        if manifest["database"] != kind:
            raise BackupError(
                f"the archive holds a {manifest['database']} database; this install uses {kind}"
            )
        if not force and _holds_sparki(kind, url):
            raise BackupError(
                "the database already holds Sparki's tables: restore into a fresh install"
                " (or pass --force to replace it)"
            )
        db.session.remove()
        db.engine.dispose()
        if kind == "sqlite":
            target = _sqlite_path(url)
            target.parent.mkdir(parents=True, exist_ok=True)
            for suffix in ("-wal", "-shm", "-journal"):
                Path(str(target) + suffix).unlink(missing_ok=True)
            partial = target.with_name(target.name + ".restoring")
            shutil.copyfile(work_dir / SQLITE_NAME, partial)
            partial.replace(target)
        else:
            args, env = _pg_args(url)
            flags = ["--clean", "--if-exists"] if force else []
            _run(
                [
                    "pg_restore",
                    "--no-owner",
                    "--no-acl",
                    "--exit-on-error",
                    *flags,
                    *args,
                    str(work_dir / PG_NAME),
                ],
                env,
            )
        secret = work_dir / SECRET_NAME
        if secret.exists():
            INSTANCE.mkdir(parents=True, exist_ok=True)
            dest = INSTANCE / "secret_key"
            fd = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as fh:
                fh.write(secret.read_text())
    return manifest


def _holds_sparki(kind: str, url: str) -> bool:
    if kind == "sqlite":
        path = _sqlite_path(url)
        if not path.exists() or path.stat().st_size == 0:
            return False
    tables = set(inspect(db.engine).get_table_names())
    db.engine.dispose()
    return bool(tables - {"alembic_version"})


def _run(cmd: list[str], env: dict[str, str]) -> None:
    if shutil.which(cmd[0]) is None:
        raise BackupError(f"{cmd[0]} is not installed (PostgreSQL's client tools)")
    done = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise BackupError(f"{cmd[0]} failed: {done.stderr.strip()[-2000:]}")
