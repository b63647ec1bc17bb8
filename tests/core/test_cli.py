"""The `sparki` command: create-admin, --help on every command, the admin from the environment."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask.cli import ScriptInfo

from app import cli as main
from blueprints.core.extensions import db
from tests.conftest import make_app

ROOT = Path(__file__).resolve().parents[2]
SPARKI = str(Path(sys.executable).parent / "sparki")


def _users(app) -> list:
    from blueprints.users.models import User

    with app.app_context():
        return [(u.email, u.roles, u.organization.name) for u in db.session.query(User).all()]


def _invoke(app, args: list[str]):
    """Run `sparki ARGS` as the console script does (FlaskGroup), on the test app."""
    return CliRunner().invoke(main, args, obj=ScriptInfo(create_app=lambda: app))


def test_create_admin_creates_org_and_admin(app):
    result = _invoke(
        app,
        [
            "create-admin",
            "--org",
            "Acme Inc",
            "--email",
            "Boss@Example.com",
            "--password",
            "long-enough",
        ],
    )
    assert result.exit_code == 0, result.output
    user_id = result.output.strip()
    assert user_id.startswith("user-")
    assert _users(app) == [("boss@example.com", ["admin"], "Acme Inc")]
    c = app.test_client()
    r = c.post("/api/v1/auth/login", json={"email": "boss@example.com", "password": "long-enough"})
    assert r.status_code == 200
    me = c.get("/api/v1/organization", headers={"Authorization": f"Bearer {r.json['token']}"})
    assert me.json["slug"] == "acme-inc"


def test_create_admin_reuses_an_existing_org(app):
    for email in ("a@example.com", "b@example.com"):
        result = _invoke(
            app, ["create-admin", "--org", "Acme", "--email", email, "--password", "long-enough"]
        )
        assert result.exit_code == 0, result.output
    assert {org for _, _, org in _users(app)} == {"Acme"}


def test_create_admin_refuses_a_duplicate_email(app):
    args = [
        "create-admin",
        "--org",
        "Acme",
        "--email",
        "a@example.com",
        "--password",
        "long-enough",
    ]
    assert _invoke(app, args).exit_code == 0
    result = _invoke(app, [*args[:4], "A@EXAMPLE.COM", *args[5:]])
    assert result.exit_code != 0
    assert "already exists" in result.output
    assert "Traceback" not in result.output
    assert len(_users(app)) == 1


@pytest.mark.parametrize("password", ["short", ""])
def test_create_admin_refuses_a_short_password(app, password):
    result = _invoke(
        app, ["create-admin", "--org", "Acme", "--email", "a@example.com", "--password", password]
    )
    assert result.exit_code != 0 and "at least 8" in result.output
    assert _users(app) == []


def test_create_admin_needs_its_options(app):
    result = _invoke(app, ["create-admin", "--org", "Acme"])
    assert result.exit_code == 2 and "--email" in result.output


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["create-admin"],
        ["worker"],
        ["scheduler"],
        ["up"],
        ["db", "upgrade"],
        ["routes"],
    ],
)
def test_every_command_answers_help(app, args):
    result = _invoke(app, [*args, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output
    if not args:
        for name in ("create-admin", "worker", "scheduler", "up", "db", "routes"):
            assert name in result.output


@pytest.mark.slow
def test_console_script_help_and_create_admin(database_url, redis_url, app, tmp_path):
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "SECRET_KEY": "cli-test-secret-key-long-enough",
        "PYTHONPATH": str(ROOT),
        "SPARKI_INSTANCE_PATH": str(tmp_path),
    }
    r = subprocess.run(
        [SPARKI, "--help"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert r.returncode == 0 and "create-admin" in r.stdout, r.stderr
    args = [
        SPARKI,
        "create-admin",
        "--org",
        "Shell",
        "--email",
        "sh@example.com",
        "--password",
        "long-enough",
    ]
    r = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip().startswith("user-")
    again = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert again.returncode == 1
    assert "Error: A user with email 'sh@example.com' already exists" in again.stderr
    assert "Traceback" not in again.stderr


# --- the first admin from the environment -------------------------------------------------


def _ensure(database_url, redis_url, **config):
    from blueprints.users.domain import ensure_admin_from_config

    a = make_app(database_url, redis_url, **config)
    with a.app_context():
        user = ensure_admin_from_config()
        result = (user.email, user.roles, user.organization.name) if user else None
        db.session.remove()
        return result


def test_env_admin_is_created_when_no_user_exists(database_url, redis_url, app):
    created = _ensure(
        database_url,
        redis_url,
        SPARKI_ADMIN_EMAIL="first@example.com",
        SPARKI_ADMIN_PASSWORD="long-enough",
    )
    assert created == ("first@example.com", ["admin"], "Default")
    # On the next start a user exists: nothing more is created.
    assert (
        _ensure(
            database_url,
            redis_url,
            SPARKI_ADMIN_EMAIL="second@example.com",
            SPARKI_ADMIN_PASSWORD="long-enough",
        )
        is None
    )
    assert [email for email, _, _ in _users(app)] == ["first@example.com"]
    r = app.test_client().post(
        "/api/v1/auth/login", json={"email": "first@example.com", "password": "long-enough"}
    )
    assert r.status_code == 200


def test_env_admin_org_name(database_url, redis_url, app):
    assert (
        _ensure(
            database_url,
            redis_url,
            SPARKI_ADMIN_EMAIL="o@example.com",
            SPARKI_ADMIN_PASSWORD="long-enough",
            SPARKI_ADMIN_ORG="Ops",
        )[2]
        == "Ops"
    )


def test_env_admin_not_created_when_users_exist(database_url, redis_url, app, factory):
    factory.user(email="someone@example.com")
    assert (
        _ensure(
            database_url,
            redis_url,
            SPARKI_ADMIN_EMAIL="first@example.com",
            SPARKI_ADMIN_PASSWORD="long-enough",
        )
        is None
    )
    assert [email for email, _, _ in _users(app)] == ["someone@example.com"]


def test_no_env_admin_without_both_settings(database_url, redis_url, app):
    assert _ensure(database_url, redis_url, SPARKI_ADMIN_EMAIL="first@example.com") is None
    assert _ensure(database_url, redis_url, SPARKI_ADMIN_PASSWORD="long-enough") is None
    assert _users(app) == []


# --- commands acting on replicas find this installation's Redis -----------------------------


def _replica_env(database_url: str, instance: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    env.update(
        {
            "DATABASE_URL": database_url,
            "SECRET_KEY": "cli-test-secret-key-long-enough",
            "PYTHONPATH": str(ROOT),
            "SPARKI_INSTANCE_PATH": str(instance),
            "AGENT_DATA_DIR": str(instance / "agent"),
        }
    )
    return env


def _stop_replicas(env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [SPARKI, "agent", "--stop-replicas"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.slow
def test_stop_replicas_without_redis_url_refuses_when_no_sparki_up_runs(database_url, tmp_path):
    """It used to read the default 127.0.0.1:6379 (another installation's Redis on a shared
    machine), say "stopped 0 replicas" and leave this installation's replicas running."""
    from tests.support.services import free_port

    instance = tmp_path / "instance"
    env = _replica_env(database_url, instance)
    expected = f"no REDIS_URL and no running `sparki up` found in {instance}"
    r = _stop_replicas(env)
    assert r.returncode != 0 and expected in r.stderr, (r.stdout, r.stderr)
    assert "stopped" not in r.stdout
    # A record left by a `sparki up` that died: its Redis no longer answers.
    (instance / "redis").mkdir(parents=True)
    (instance / "redis" / "url").write_text(f"redis://127.0.0.1:{free_port()}/0\n")
    r = _stop_replicas(env)
    assert r.returncode != 0 and expected in r.stderr, (r.stdout, r.stderr)
    assert "Traceback" not in r.stderr


@pytest.mark.slow
def test_stop_replicas_without_redis_url_uses_the_private_redis_sparki_up_recorded(
    app, database_url, redis_url, tmp_path
):
    import json

    import psutil

    from blueprints.core.extensions import get_redis
    from blueprints.services.runtime.local import KEY_REPLICAS
    from blueprints.services.runtime.reconcile import ReplicaRecord

    instance = tmp_path / "instance"
    (instance / "redis").mkdir(parents=True)
    (instance / "redis" / "url").write_text(redis_url + "\n")  # as a running `sparki up` does
    replica = subprocess.Popen(["sleep", "300"], start_new_session=True)
    try:
        record = ReplicaRecord(
            pod="web-r1-abcdef",
            service_id="svc-test",
            org_id="org-test",
            set_key="dep-test",
            revision=1,
            port=0,
            state="running",
            pid=replica.pid,
            create_time=psutil.Process(replica.pid).create_time(),
        )
        with app.app_context():
            get_redis().hset(KEY_REPLICAS, record.pod, json.dumps(record.to_dict()))
        r = _stop_replicas(_replica_env(database_url, instance))
        assert r.returncode == 0 and "stopped 1 replicas" in r.stdout, (r.stdout, r.stderr)
        assert replica.wait(10) is not None
    finally:
        if replica.poll() is None:
            replica.kill()
            replica.wait(5)
