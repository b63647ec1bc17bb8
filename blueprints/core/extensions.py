"""Bare extension instances, bound to the app by `init_app` in the factory."""

from __future__ import annotations

from flask import current_app
from flask_htmx import HTMX
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from redis import Redis
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    pass


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
