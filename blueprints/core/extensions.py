"""Bare extension instances, bound to the app by `init_app` in the factory."""

from __future__ import annotations

import sqlite3
from typing import Any

from flask import current_app
from flask_htmx import HTMX
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from redis import Redis
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    pass


@event.listens_for(Engine, "connect")
def _sqlite_enforces_foreign_keys(dbapi_connection: Any, _record: Any) -> None:
    """SQLite ignores foreign keys (and so ON DELETE CASCADE) unless asked, per connection;
    PostgreSQL always enforces them. Ask, so both databases keep the same rows."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
htmx = HTMX()
# Limits are attached to the API blueprint (see core.api); storage comes from RATELIMIT_STORAGE_URI.
limiter = Limiter(key_func=get_remote_address)


def get_redis() -> Redis:
    """The app's Redis connection (one pool per app), created on first use."""
    client = current_app.extensions.get("sparki_redis")
    if client is None:
        client = Redis.from_url(current_app.config["REDIS_URL"], socket_timeout=10)
        current_app.extensions["sparki_redis"] = client
    return client
