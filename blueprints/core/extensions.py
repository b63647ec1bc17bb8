"""Bare extension instances, bound to the app by `init_app` in the factory."""

from __future__ import annotations

import sqlite3
import time
from typing import Any

from flask import current_app, g, has_request_context
from flask_htmx import HTMX
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from limits import WindowStats
from limits.storage import RedisStorage
from limits.strategies import STRATEGIES, FixedWindowRateLimiter
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


# core.readcache's lookup, as a Lua function for the scripts that make it: the counters of
# KEYS[first..] (absent = 0) joined after `prefix` make the key; answers the key and its body.
# Here, not in core.readcache, because the rate limit's script below makes it too.
READ_LOOKUP_LUA = """
local function read_lookup(first, prefix)
    local parts = {}
    for i = first, #KEYS do
        parts[#parts + 1] = redis.call("get", KEYS[i]) or "0"
    end
    local key = prefix .. ":" .. table.concat(parts, ".")
    return key, redis.call("get", key)
end
"""


class OneTripFixedWindow(FixedWindowRateLimiter):
    """limits' fixed window (the same keys and counting), with each hit's count and expiry
    read from Redis in one command (a script doing limits' INCRBY-then-EXPIRE and answering
    the PTTL too) and kept for this request, so the `X-RateLimit-*` headers ask Redis nothing
    more (the plain strategy asks twice more: GET and TTL). Other storages: the plain
    strategy."""

    # limits' incr_expire.lua, answering the key's remaining time as well; with more keys,
    # also core.readcache's lookup in the same trip (KEYS[2..] the table counters, ARGV[3]
    # the key prefix; the key and its body are answered third and fourth).
    HIT = (
        READ_LOOKUP_LUA
        + """
    local amount = tonumber(ARGV[2])
    local current = redis.call("incrby", KEYS[1], amount)
    if current == amount then
        redis.call("expire", KEYS[1], ARGV[1])
    end
    local out = {current, redis.call("pttl", KEYS[1])}
    if #KEYS > 1 then
        out[3], out[4] = read_lookup(2, ARGV[3])
    end
    return out
    """
    )

    def hit(
        self,
        item: Any,
        *identifiers: str,
        cost: int = 1,
        read: tuple[list[str], str] | None = None,
    ) -> bool:
        """limits' hit; `read` = (table counter keys, key prefix) of a cached read
        (core.readcache) to look up in the same round trip: its (key, body) is left in
        `g.sparki_read_cache_found` for the view. Other storages ignore `read`."""
        storage = self.storage
        if not isinstance(storage, RedisStorage) or not has_request_context():
            return super().hit(item, *identifiers, cost=cost)
        key = storage.prefixed_key(item.key_for(*identifiers))
        script = self.__dict__.get("_hit_script")
        if script is None:
            # redis-py's Script: EVALSHA, loading the script once on NoScriptError.
            script = self._hit_script = storage.get_connection().register_script(self.HIT)
        if read is None:
            count, pttl = script(keys=[key], args=[item.get_expiry(), cost])
        else:
            counters, prefix = read
            count, pttl, found, body = script(
                keys=[key, *counters], args=[item.get_expiry(), cost, prefix]
            )
            g.sparki_read_cache_found = (found.decode(), body)
        reset = time.time() + max(int(pttl), 0) / 1000
        g.setdefault("rate_windows", {})[key] = WindowStats(reset, max(0, item.amount - count))
        return int(count) <= item.amount

    def get_window_stats(self, item: Any, *identifiers: str) -> WindowStats:
        storage = self.storage
        if isinstance(storage, RedisStorage) and has_request_context():
            seen = g.get("rate_windows", {}).get(storage.prefixed_key(item.key_for(*identifiers)))
            if seen is not None:
                return seen
        return super().get_window_stats(item, *identifiers)


# Chosen with RATELIMIT_STRATEGY (app.py); limits looks strategies up by name.
STRATEGIES["fixed-window-one-trip"] = OneTripFixedWindow
# Limits are attached to the API blueprint (see core.api); storage comes from RATELIMIT_STORAGE_URI.
limiter = Limiter(key_func=get_remote_address)


def get_redis() -> Redis:
    """The app's Redis connection (one pool per app), created on first use."""
    client = current_app.extensions.get("sparki_redis")
    if client is None:
        client = Redis.from_url(current_app.config["REDIS_URL"], socket_timeout=10)
        current_app.extensions["sparki_redis"] = client
    return client
