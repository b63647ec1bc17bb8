"""What every bench under `bench/` starts from: an app on a fresh, migrated database and the
bench's admin. The benches run from a checkout (`.venv/bin/python bench/<name>.py`), with
the repository's root on `sys.path`."""

from __future__ import annotations

from typing import Any

SECRET_KEY = "bench-secret-key-long-enough-for-hs256-signing"
ADMIN_EMAIL = "bench@example.com"
ADMIN_PASSWORD = "bench-password"
# Users are made by the bench only: cheap Argon2 hashes (a hash records its own parameters,
# so the processes under test verify them as usual).
CHEAP_HASHES = {"ARGON2_TIME_COST": 1, "ARGON2_MEMORY_COST": 8, "ARGON2_PARALLELISM": 1}


def migrated_app(database_url: str, redis_url: str, **config: Any):
    """`app.create_app()` on `database_url` (empty; migrated here to the newest revision) and
    `redis_url`, with the bench's secret, WARNING logs and cheap hashes; `config` adds to or
    overrides those settings. Returns the Flask app."""
    from flask_migrate import upgrade

    from app import create_app

    app = create_app(
        {
            "SECRET_KEY": SECRET_KEY,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "REDIS_URL": redis_url,
            "LOG_LEVEL": "WARNING",
            **CHEAP_HASHES,
            **config,
        }
    )
    with app.app_context():
        upgrade(revision="heads")
    return app


def create_bench_admin():
    """The admin of a new organization "Bench" (`ADMIN_EMAIL`, `ADMIN_PASSWORD`); call inside
    an app context. Returns the User."""
    from blueprints.users.domain import create_admin

    return create_admin(org_name="Bench", email=ADMIN_EMAIL, password=ADMIN_PASSWORD)
