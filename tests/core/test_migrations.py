"""Migrations: one head, and `upgrade` on an empty database builds exactly the models' schema."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import downgrade, upgrade

from blueprints.core.extensions import db
from tests.conftest import DB_KIND, make_app
from tests.support.services import database

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def _script() -> ScriptDirectory:
    return ScriptDirectory(str(MIGRATIONS))


def test_single_head():
    heads = _script().get_heads()
    assert len(heads) == 1, f"migrations have {len(heads)} heads: {sorted(heads)}; add a merge"


def test_every_revision_reaches_the_base():
    script = _script()
    revisions = list(script.walk_revisions())
    assert revisions
    bases = [r.revision for r in revisions if r.down_revision is None]
    assert len(bases) == 1, bases
    ids = [r.revision for r in revisions]
    assert len(ids) == len(set(ids))


def _differences(app) -> list:
    with app.app_context():
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            diffs = compare_metadata(context, db.metadata)
        db.session.remove()
    return [d for d in diffs if not _ignorable(d)]


def _ignorable(diff) -> bool:
    # alembic's own bookkeeping table is not a model.
    return (
        isinstance(diff, tuple) and diff[0] == "remove_table" and diff[1].name == "alembic_version"
    )


def test_upgrade_on_an_empty_database_matches_the_models(redis_url, app):
    with database(DB_KIND) as url:
        fresh = make_app(url, redis_url)
        with fresh.app_context():
            upgrade(revision="heads")
            db.session.remove()
        diffs = _differences(fresh)
        with fresh.app_context():
            db.engine.dispose()
    assert diffs == [], "the migrations and the models disagree:\n" + "\n".join(map(str, diffs))


def test_downgrade_to_base_and_back(redis_url, app):
    with database(DB_KIND) as url:
        fresh = make_app(url, redis_url)
        with fresh.app_context():
            upgrade(revision="heads")
            downgrade(revision="base")
            with db.engine.connect() as conn:
                from sqlalchemy import inspect

                left = set(inspect(conn).get_table_names()) - {"alembic_version"}
            upgrade(revision="heads")
            db.session.remove()
            db.engine.dispose()
    assert left == set(), f"tables left after downgrade to base: {sorted(left)}"
