"""Fixtures: a migrated database (SQLite or PostgreSQL), a private real Redis, the app,
clients that act as a given user, factories, an in-process RQ worker and a live server."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from flask_migrate import upgrade
from sqlalchemy import text

# Every API answer in the suite is dumped twice, by the schema's plan and by marshmallow, and
# the two must match (blueprints/core/dump.py). Set before the schemas are imported; the
# servers the suite starts inherit it.
os.environ.setdefault("SPARKI_DUMP_CROSSCHECK", "1")

from app import create_app  # noqa: E402
from blueprints.core.extensions import db, get_redis  # noqa: E402
from tests.support.services import database, free_port, private_redis  # noqa: E402

DB_KIND = os.environ.get("SPARKI_TEST_DB", "sqlite")
PASSWORD = "correct-horse-battery"


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    with private_redis() as url:
        yield url


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    with database(DB_KIND) as url:
        yield url


def make_app(database_url: str, redis_url: str, **overrides: Any):
    config = {
        "SECRET_KEY": "test-secret-key-that-is-long-enough-for-hs256",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "REDIS_URL": redis_url,
        "TESTING": True,
        "WTF_CSRF_ENABLED": False,
        "WEBHOOK_ALLOW_PRIVATE": True,
        "SOURCE_ALLOW_PRIVATE": True,
        "TASK_RETRY_BASE_SECONDS": 0.0,
        "LOG_LEVEL": "WARNING",
        # Cheap password hashing: at production cost (~0.3 s a hash) it dominated the suite.
        **{"ARGON2_TIME_COST": 1, "ARGON2_MEMORY_COST": 8, "ARGON2_PARALLELISM": 1},
    }
    config.update(overrides)
    return create_app(config)


@pytest.fixture(scope="session")
def app(database_url: str, redis_url: str):
    app = make_app(database_url, redis_url)
    with app.app_context():
        upgrade(revision="heads")
        db.session.remove()
    return app


@pytest.fixture(autouse=True)
def _clean(request, app) -> Iterator[None]:
    """Every test starts from empty tables and an empty Redis."""
    with app.app_context():
        get_redis().flushdb()
        _truncate()
    yield
    with app.app_context():
        db.session.remove()


def _truncate() -> None:
    # DELETE, children first, on both databases: PostgreSQL's TRUNCATE of every table costs
    # more than the rows do (it halved the speed of the PostgreSQL pass).
    tables = [t.name for t in reversed(db.metadata.sorted_tables)]
    with db.engine.begin() as conn:
        for name in tables:
            conn.execute(text(f'DELETE FROM "{name}"'))


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield
        db.session.remove()


# --- factories -----------------------------------------------------------------------------


class Factory:
    """Creates organizations, users and credentials through the domain functions."""

    def __init__(self, app) -> None:
        self.app = app
        self._n = 0

    def org(self, name: str | None = None, **modules: bool):
        from blueprints.users.domain import get_or_create_organization

        self._n += 1
        with self.app.app_context():
            org = get_or_create_organization(name or f"Org {self._n}")
            if modules:
                org.modules = {**org.modules, **modules}
            db.session.commit()
            return org.id

    def user(
        self, org_id: str | None = None, roles: list[str] | None = None, email: str | None = None
    ) -> str:
        from blueprints.users.domain import _new_user
        from blueprints.users.models import Organization

        self._n += 1
        with self.app.app_context():
            org = db.session.get(Organization, org_id or self.org())
            user = _new_user(
                org,
                email=email or f"user{self._n}@example.com",
                name=f"User {self._n}",
                password=PASSWORD,
                roles=roles or ["admin"],
            )
            db.session.commit()
            return user.id

    def token(self, user_id: str) -> str:
        from blueprints.core.auth import issue_token
        from blueprints.users.models import User

        with self.app.app_context():
            return issue_token(db.session.get(User, user_id))[0]

    def api_key(self, user_id: str) -> str:
        from blueprints.users.domain import create_api_key
        from blueprints.users.models import User

        with self.app.app_context():
            user = db.session.get(User, user_id)
            return create_api_key(user.organization, user, name="test")[1]


@pytest.fixture
def factory(app) -> Factory:
    return Factory(app)


class ApiClient:
    """A test client that sends a bearer token (or an API key) on every request."""

    def __init__(self, client, headers: dict[str, str]) -> None:
        self.client = client
        self.headers = headers

    def _call(self, method: str, url: str, **kwargs: Any):
        headers = {**self.headers, **kwargs.pop("headers", {})}
        return getattr(self.client, method)(url, headers=headers, **kwargs)

    def get(self, url: str, **kw: Any):
        return self._call("get", url, **kw)

    def post(self, url: str, **kw: Any):
        return self._call("post", url, **kw)

    def patch(self, url: str, **kw: Any):
        return self._call("patch", url, **kw)

    def put(self, url: str, **kw: Any):
        return self._call("put", url, **kw)

    def delete(self, url: str, **kw: Any):
        return self._call("delete", url, **kw)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def api_as(app, factory):
    """`api_as(user_id)` → an ApiClient with that user's bearer token; `key=True` for a key."""

    def make(user_id: str, *, key: bool = False) -> ApiClient:
        if key:
            return ApiClient(app.test_client(), {"X-API-Key": factory.api_key(user_id)})
        return ApiClient(app.test_client(), {"Authorization": f"Bearer {factory.token(user_id)}"})

    return make


@pytest.fixture
def login_as(app):
    """`login_as(user_id)` → a test client with a logged-in browser session."""

    from tests.support.sessions import session_client

    def make(user_id: str):
        return session_client(app, user_id)

    return make


@pytest.fixture
def admin(factory) -> str:
    """An admin in a fresh organization."""
    return factory.user(roles=["admin"])


@pytest.fixture
def run_jobs(app):
    """Run every queued job in-process (SimpleWorker, burst mode) and return how many ran."""
    from blueprints.core.jobs import SparkiSimpleWorker, get_queue

    def run(queues: tuple[str, ...] | None = None) -> None:
        queues = queues or tuple(app.config["RQ_QUEUES"])
        with app.app_context():
            conn = get_redis()
            worker = SparkiSimpleWorker(
                [get_queue(q, conn) for q in queues], connection=conn, app=app
            )
            worker.work(burst=True, with_scheduler=False)

    return run


@pytest.fixture
def statements(app):
    """The SQL statements run while the test reads `statements` (cleared by the test)."""
    from sqlalchemy import event

    seen: list[str] = []
    with app.app_context():
        engine = db.engine
    listener = lambda conn, cursor, statement, *args: seen.append(statement)  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    yield seen
    event.remove(engine, "before_cursor_execute", listener)


# --- a live server for end-to-end tests ----------------------------------------------------


@pytest.fixture(scope="session")
def live_server(database_url: str, redis_url: str, app):
    """The app served by a threaded WSGI server on 127.0.0.1 (CSRF on, as in production)."""
    from werkzeug.serving import make_server

    live_app = make_app(database_url, redis_url, WTF_CSRF_ENABLED=True, TESTING=False)
    port = free_port()
    server = make_server("127.0.0.1", port, live_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    live_app.url = f"http://127.0.0.1:{port}"  # type: ignore[attr-defined]
    yield live_app
    server.shutdown()
    thread.join(5)
