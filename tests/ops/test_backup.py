"""`sparki backup` of a populated instance, `sparki restore` into an empty one: every project,
service, webhook (its secret still decrypting) and event comes back."""

from __future__ import annotations

import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
from sqlalchemy import select

from blueprints.core.extensions import db
from tests.conftest import DB_KIND, make_app
from tests.services.conftest import HTTP_SERVER
from tests.support.services import database, process_env

ROOT = Path(__file__).resolve().parents[2]
SPARKI = str(Path(sys.executable).parent / "sparki")


def sparki(instance: Path, database_url: str, redis_url: str, *args: str) -> str:
    env = process_env(
        SPARKI_INSTANCE_PATH=str(instance), DATABASE_URL=database_url, REDIS_URL=redis_url
    )
    done = subprocess.run(
        [SPARKI, *args], cwd=str(ROOT), env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def _app(instance: Path, database_url: str, redis_url: str):
    """The install as its processes see it: its own generated secret key."""
    return make_app(
        database_url, redis_url, SECRET_KEY=(instance / "secret_key").read_text().strip()
    )


def _snapshot(app) -> dict:
    from blueprints.core.events import Event
    from blueprints.projects.models import Project
    from blueprints.services.models import Service
    from blueprints.webhooks.models import Webhook

    with app.app_context():
        try:
            return {
                "projects": sorted(db.session.execute(select(Project.id, Project.name)).all()),
                "services": sorted(db.session.execute(select(Service.id, Service.name)).all()),
                "webhooks": sorted(
                    (w.id, w.url, w.secret) for w in db.session.execute(select(Webhook)).scalars()
                ),
                "events": sorted(db.session.execute(select(Event.id, Event.type)).all()),
            }
        finally:
            db.session.remove()
            db.engine.dispose()


@pytest.mark.slow
def test_backup_then_restore_into_a_fresh_install(tmp_path, redis_url):
    src_instance, dst_instance = tmp_path / "src", tmp_path / "dst"
    archive = tmp_path / "backups" / "sparki.tar.gz"
    with database(DB_KIND) as src_url, database(DB_KIND) as dst_url:
        sparki(src_instance, src_url, redis_url, "db", "upgrade")
        sparki(
            src_instance,
            src_url,
            redis_url,
            "create-admin",
            "--org",
            "Acme",
            "--email",
            "ada@example.com",
            "--password",
            "pw-" * 5,
        )
        source = _app(src_instance, src_url, redis_url)
        client = source.test_client()
        token = client.post(
            "/api/v1/auth/login", json={"email": "ada@example.com", "password": "pw-" * 5}
        ).get_json()["token"]
        auth = {"Authorization": f"Bearer {token}"}
        project = client.post("/api/v1/projects", json={"name": "shop"}, headers=auth).get_json()
        for name in ("web", "api"):
            r = client.post(
                "/api/v1/services",
                json={
                    "projectId": project["id"],
                    "name": name,
                    "image": "x:1",
                    "command": HTTP_SERVER,
                },
                headers=auth,
            )
            assert r.status_code == 201, r.get_json()
        hook = client.post(
            "/api/v1/webhooks", json={"url": "http://127.0.0.1:9/h", "events": ["*"]}, headers=auth
        ).get_json()
        before = _snapshot(source)
        assert len(before["services"]) == 2 and before["events"]  # user.created at least
        assert before["webhooks"][0][2] == hook["secret"]

        out = sparki(src_instance, src_url, redis_url, "backup", str(archive))
        assert "secret key included" in out
        with tarfile.open(archive) as tar:
            names = set(tar.getnames())
        assert "manifest.json" in names and "instance/secret_key" in names
        assert oct(archive.stat().st_mode & 0o777) == "0o600"

        dst_instance.mkdir()
        sparki(dst_instance, dst_url, redis_url, "restore", str(archive))
        assert (dst_instance / "secret_key").read_text() == (
            src_instance / "secret_key"
        ).read_text()
        after = _snapshot(_app(dst_instance, dst_url, redis_url))
        assert after == before  # secrets decrypt with the restored key

        # a second restore over the now populated install is refused
        env_fail = subprocess.run(
            [SPARKI, "restore", str(archive)],
            cwd=str(ROOT),
            capture_output=True,
            text=True,
            env=process_env(
                SPARKI_INSTANCE_PATH=str(dst_instance), DATABASE_URL=dst_url, REDIS_URL=redis_url
            ),
            timeout=300,
        )
        assert env_fail.returncode != 0 and "fresh install" in env_fail.stderr
