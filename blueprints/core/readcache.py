"""Whole JSON answers of hot reads kept in Redis, invalidated per table (issue 16).

The rule is django-cachalot's, applied to response bodies:

- Every committed transaction that wrote rows bumps one counter per table it wrote
  (`sparki:gen:<table>` in Redis), *after* the commit, from whichever process wrote: a web
  worker, an RQ job, the scheduler, the CLI.
- A cached read names the tables its answer is made of (`@cached_read(Project, User)`). Its
  key holds those counters as they stood *before* the read ran its queries, so any commit to
  one of them makes a new key and the next read queries again. A read that raced a commit
  is stored under the older counters, which no later read asks for.
- A statement the session cannot attribute to one table (text SQL other than a read) bumps
  `sparki:gen:*`, which every key holds.
- State kept outside the database has counters of its own (`generation_key(name)`), bumped
  by whoever writes that state, in the same Redis transaction as the write (the local
  runtime agent's replica records: services.runtime). A read names them through `sources`.

What is kept: 200 answers to GET, per caller (user and API key), host and exact path and
query string, for READ_CACHE_SECONDS (0 turns this process's caching off; every process bumps
the counters whatever its setting). On a miss the session's transaction is ended (its rows
expired) before the view runs, so the answer is made of rows read after the counters; a
request holding writes of its own is answered, not kept. The caller is authenticated
(`auth_required`) and counted against its rate limit before the cache is asked,
so revocation, role and module changes and the limits are exactly as without it; the headers
(`X-RateLimit-*`, `X-Request-ID`, CORS) are written per request. Redis errors: the read runs
uncached; a bump that fails is logged (at most once a minute), and READ_CACHE_SECONDS bounds
how long an answer can be stale; so it does for a Redis restored from an older snapshot, which
brings back table counters with the answers kept under them. The scripts read keys they are
not handed (the body's key is made of the counters they read), so the Redis must be a single
server, not a Cluster.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Sequence
from functools import wraps
from typing import Any

from flask import current_app, g, has_app_context, request
from redis.exceptions import RedisError
from sqlalchemy import event, inspect
from sqlalchemy.orm import ORMExecuteState, Session

from .extensions import READ_LOOKUP_LUA, db, get_redis

log = logging.getLogger(__name__)

GENERATION_PREFIX = "sparki:gen:"
ANY_TABLE = "*"
_WRITTEN = "sparki_written_tables"
_SCRIPT = "sparki_read_cache_script"
_READS = ("select", "pragma", "show", "explain")
_last_bump_warning = -60.0

# One round trip: the tables' counters make the key, and the key's body.
_LOOKUP = (
    READ_LOOKUP_LUA
    + """
local key, body = read_lookup(1, ARGV[1])
return {key, body}
"""
)


def generation_key(name: str) -> str:
    """The Redis key of the counter `name` (a table's name, or the name of state kept
    outside the database, such as "runtime.local.replicas"): after that state changes,
    INCR it, or (state kept in Redis, which can lose or roll back the counter with it) SET it
    to a value never used before, in the same transaction as the change."""
    return GENERATION_PREFIX + name


def _bumping() -> bool:
    """Counters are bumped in every app process, whatever its own READ_CACHE_SECONDS: a
    process with the cache off still writes rows that another process's answers read."""
    return has_app_context()


def _note(session: Session, names: set[str]) -> None:
    session.info.setdefault(_WRITTEN, set()).update(names)


@event.listens_for(Session, "after_flush")
def _note_flushed(session: Session, _flush_context: Any) -> None:
    """The tables of every row this flush inserted, changed or deleted."""
    if not _bumping():
        return
    names = set()
    for obj in (*session.new, *session.dirty, *session.deleted):
        names.update(table.name for table in inspect(obj).mapper.tables)
    if names:
        _note(session, names)


@event.listens_for(Session, "do_orm_execute")
def _note_executed(state: ORMExecuteState) -> None:
    """A bulk INSERT, UPDATE or DELETE names its table; other SQL that is not a read, `*`."""
    if state.is_select or not _bumping():
        return
    table = getattr(state.statement, "table", None)
    name = getattr(table, "name", None)
    if name is None and str(state.statement).lstrip().lower().startswith(_READS):
        return
    _note(state.session, {name or ANY_TABLE})


@event.listens_for(Session, "after_commit")
def _bump_committed(session: Session) -> None:
    """After the commit: a new generation for every table the transaction wrote. A rollback
    keeps the names (a savepoint's rollback must not drop the outer writes): the next commit
    bumps them too, which costs a cache miss, never a stale answer."""
    global _last_bump_warning
    names = session.info.pop(_WRITTEN, None)
    if not names or not _bumping():
        return
    try:
        pipe = get_redis().pipeline(transaction=False)
        for name in sorted(names):
            pipe.incr(generation_key(name))
        pipe.execute()
    except RedisError as exc:
        if time.monotonic() - _last_bump_warning >= 60:
            _last_bump_warning = time.monotonic()
            log.warning(
                "read cache: could not bump %s (%s); kept answers may be stale for up to "
                "READ_CACHE_SECONDS",
                ", ".join(sorted(names)),
                exc,
            )


def forget_all() -> None:
    """A new generation for every table (the `*` counter): after SQL the session did not
    see, such as a schema migration's data changes (migrations/env.py)."""
    if not _bumping():
        return
    try:
        get_redis().incr(generation_key(ANY_TABLE))
    except RedisError as exc:
        log.warning(
            "read cache: could not forget kept answers (%s); they may be stale for up "
            "to READ_CACHE_SECONDS",
            exc,
        )


def _prefix(principal: Any) -> str:
    """This caller's key prefix for this request: endpoint, user, key, host, path and query."""
    caller = "\x1f".join(
        (
            request.endpoint or "",
            principal.user_view.id,
            principal.rate_key,
            request.host,
            request.full_path,
        )
    )
    return "sparki:read:" + hashlib.sha256(caller.encode()).hexdigest()[:40]


def _ttl(app: Any) -> int:
    return int(float(app.config.get("READ_CACHE_SECONDS", 0)))


def request_lookup(app: Any, principal: Any) -> tuple[list[str], str] | None:
    """(table counter keys, key prefix) when this request is a GET of a cached read and the
    cache is on, else None. The rate limit (core.api.enforce_rate_limit) sends the lookup in
    its own round trip when its storage is this Redis, and leaves (key, body) in
    `g.sparki_read_cache_found`; the view then asks Redis nothing more."""
    if request.method != "GET" or _ttl(app) <= 0:
        return None
    view = app.view_functions.get(request.endpoint)
    if getattr(view, "_sparki_read_keys", None) is None:
        return None
    if app.config.get("RATELIMIT_STORAGE_URI") != app.config["REDIS_URL"]:
        return None
    keys = _request_keys(view)
    return None if keys is None else (keys, _prefix(principal))


def _request_keys(view: Any) -> list[str] | None:
    """The counter keys of this request's answer from `view` (a `cached_read` wrapper): its
    tables', then its sources' for this app; None when a source has no counter here."""
    keys = view._sparki_read_keys
    sources = view._sparki_read_sources
    if sources is None:
        return keys
    names = sources()
    return None if names is None else [*keys, *map(generation_key, names)]


def cached_read(
    *models: Any, sources: Callable[[], Sequence[str] | None] | None = None
) -> Callable:
    """Keep a GET view's 200 JSON answers until one of `models`' tables is written.

    Use below `auth_required` (it needs the principal) and above APIFlask's input and output
    decorators (a hit skips both: the answer was validated and dumped when it was made).
    `models` are the mapped classes the answer reads, the related ones included: a project
    list with its owner's name names `User` too. `sources()`, asked once per request, names
    the other counters the answer reads (`generation_key`), for this app's configuration;
    it answers None when something the answer reads has no counter, and then nothing is
    kept or looked up (a Kubernetes runtime's observations: the cluster is asked each time).
    """
    tables = sorted({table.name for model in models for table in inspect(model).tables})
    keys = [generation_key(name) for name in (*tables, ANY_TABLE)]

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            app = current_app._get_current_object()  # type: ignore[attr-defined]
            ttl = _ttl(app)
            if ttl <= 0 or request.method != "GET":
                return view(*args, **kwargs)
            redis = get_redis()
            found = g.pop("sparki_read_cache_found", None)
            if found is None:
                request_keys = _request_keys(wrapper)
                if request_keys is None:
                    return view(*args, **kwargs)
                try:
                    script = app.extensions.get(_SCRIPT)
                    if script is None:
                        script = app.extensions[_SCRIPT] = redis.register_script(_LOOKUP)
                    found = script(keys=request_keys, args=[_prefix(g.sparki_principal)])
                except RedisError:
                    log.warning("read cache: lookup failed; answering uncached", exc_info=True)
                    return view(*args, **kwargs)
            key, body = found
            if body is not None:
                return app.response_class(body, status=200, mimetype="application/json")
            # Rows this session loaded before the counters were read (the caller's user while
            # authenticating, or merged from the process's key cache), and a transaction begun
            # then, must not stand in for what the view's queries read: an answer made of an
            # older copy would be kept under the newer counters. A request holding writes of
            # its own is answered, not kept.
            g.sparki_principal.user  # noqa: B018 (a cached principal's user joins the session)
            session = db.session
            if session.new or session.dirty or session.deleted or _WRITTEN in session.info:
                return view(*args, **kwargs)
            session.rollback()  # reads only so far: ends the transaction, expires every row
            response = app.make_response(view(*args, **kwargs))
            if response.status_code == 200 and response.mimetype == "application/json":
                try:
                    redis.set(key, response.get_data(), ex=ttl)
                except RedisError:
                    log.warning("read cache: could not keep an answer", exc_info=True)
            return response

        wrapper._sparki_read_keys = keys  # type: ignore[attr-defined]
        wrapper._sparki_read_sources = sources  # type: ignore[attr-defined]
        return wrapper

    return decorator
