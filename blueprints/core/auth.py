"""Credentials and roles: password hashing, bearer tokens, API keys, role checks.

One way to authenticate a request (`resolve_principal`), used by the API decorator and by
the rate limiter's key function, and one way to check a role (`require_role`), used by
domain functions.

The kernel stores no accounts: the feature that owns them registers a `PrincipalLoader`
(how to load a user by id and an API key by hash or id) from its `register(app, api)` with
`register_principal_loader`, which also serves Flask-Login's session user loader.

Sessions and tokens end on the server: a session counts only while it is registered
(core.sessions) and began in the user's current `credentials_epoch`; a bearer token carries
the epoch it was minted in (`epc`); when minted from an API key, that key's id (`kid`); when
minted from a dashboard session, that session's public id (`sid`). It is refused once the
epoch moved on, the key was revoked or the session is no longer registered.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import hmac
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from cachetools import TTLCache
from flask import current_app, g, has_app_context, request
from flask_login import current_user

from . import sessions
from .errors import AuthenticationFailed, PermissionDenied
from .types import Actor, Org

ROLES = ("admin", "maintainer", "developer", "viewer")
API_KEY_PREFIX = "sk_"


# Verifying reads the algorithm and cost from the hash itself: any hasher will do.
_VERIFIER = PasswordHasher()


@functools.lru_cache(maxsize=8)
def _hasher_for(time_cost: int, memory_cost: int, parallelism: int) -> PasswordHasher:
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism)


def _hasher() -> PasswordHasher:
    """The argon2id hasher (memory-hard) at the app's ARGON2_* cost, one per parameter set;
    argon2-cffi's default cost outside an app context."""
    if not has_app_context():
        return _VERIFIER
    cfg = current_app.config
    return _hasher_for(
        int(cfg["ARGON2_TIME_COST"]), int(cfg["ARGON2_MEMORY_COST"]), int(cfg["ARGON2_PARALLELISM"])
    )


def hash_password(password: str) -> str:
    """An argon2id hash of `password` at the app's ARGON2_* cost.

    The hash records its parameters, so it verifies whatever the cost settings are later.
    """
    return _hasher().hash(password)


def verify_password(hashed: str, password: str) -> bool:
    """Whether `password` matches `hashed`, at the cost recorded in the hash; False also for
    a malformed hash or a password no hash can match (one UTF-8 cannot encode)."""
    try:
        return _VERIFIER.verify(hashed, password)
    except (VerificationError, InvalidHashError):
        return False
    except ValueError:  # e.g. a lone surrogate, which UTF-8 cannot encode: never a match
        return False


@functools.lru_cache(maxsize=8)
def _dummy_hash(time_cost: int, memory_cost: int, parallelism: int) -> str:
    """A hash of a random password at the given cost, made on first use, not at import."""
    hasher = _hasher_for(time_cost, memory_cost, parallelism)
    return hasher.hash(secrets.token_urlsafe(16))


def burn_password_check(password: str) -> None:
    """Spend the time of one real check, so an unknown email takes as long as a wrong
    password and timing does not reveal which accounts exist."""
    hasher = _hasher()
    verify_password(_dummy_hash(hasher.time_cost, hasher.memory_cost, hasher.parallelism), password)


def issue_token(
    user: Actor, *, api_key: ApiKeyRecord | None = None, session_id: str | None = None
) -> tuple[str, int]:
    """A bearer token for `user` and its lifetime in seconds.

    It dies with the user's credentials epoch; when `api_key` is given (a token minted by a
    key), with that key: revoking the key refuses the token at once; when `session_id` is
    given (a token minted from a dashboard session), with that session: logging it out,
    ending it or letting it go idle refuses the token at once.
    """
    ttl = int(current_app.config["TOKEN_TTL_SECONDS"])
    now = int(time.time())
    claims: dict[str, Any] = {
        "sub": user.id,
        "org": user.org_id,
        "iat": now,
        "exp": now + ttl,
        "typ": "access",
        "jti": secrets.token_hex(8),
        "epc": int(user.credentials_epoch or 0),
    }
    if api_key is not None:
        claims["kid"] = api_key.id
    if session_id is not None:
        claims["sid"] = session_id
    return jwt.encode(claims, current_app.config["SECRET_KEY"], algorithm="HS256"), ttl


def decode_token(token: str) -> dict[str, Any]:
    try:
        claims = jwt.decode(
            token,
            current_app.config["SECRET_KEY"],
            algorithms=["HS256"],
            options={"require": ["exp", "sub", "org"]},
        )
    except jwt.ExpiredSignatureError as exc:
        raise AuthenticationFailed("The token has expired; log in or refresh it") from exc
    except jwt.PyJWTError as exc:
        raise AuthenticationFailed("The token is not valid") from exc
    if claims.get("typ") != "access":
        raise AuthenticationFailed("The token is not an access token")
    return claims


def new_api_key() -> str:
    return API_KEY_PREFIX + secrets.token_urlsafe(32)


def hash_api_key(key: str) -> str:
    """Keys carry 256 random bits, so a plain SHA-256 is a safe, indexable hash."""
    return hashlib.sha256(key.encode()).hexdigest()


class ApiKeyRecord(Protocol):
    """What the kernel reads and touches on a stored API key."""

    id: str
    org_id: str
    user_id: str
    key_hash: str  # SHA-256 hex of the raw key (hash_api_key)
    revoked_at: datetime | None
    last_used_at: datetime | None


@dataclass(frozen=True)
class PrincipalLoader:
    """How the kernel finds who acts; registered by the feature that owns accounts.

    `user(user_id)` returns the user with that id (active or not) or None; `api_key(key_hash)`
    returns the key stored under that SHA-256 hex hash (revoked or not) or None;
    `api_key_by_id(key_id)` the key with that id (revoked or not) or None.
    """

    user: Callable[[str], Actor | None]
    api_key: Callable[[str], ApiKeyRecord | None]
    api_key_by_id: Callable[[str], ApiKeyRecord | None]


_LOADER_KEY = "sparki_principal_loader"


def register_principal_loader(app: Any, loader: PrincipalLoader) -> None:
    """Make `loader` the app's way to load users and API keys (sessions, tokens and keys)."""
    from .extensions import login_manager

    app.extensions[_LOADER_KEY] = loader
    login_manager.user_loader(_session_user)
    from sqlalchemy import event

    from .extensions import db

    if not event.contains(db.session, "before_flush", _forget_changed):
        event.listen(db.session, "before_flush", _forget_changed)
        event.listen(db.session, "after_commit", _forget_committed)
        event.listen(db.session, "after_rollback", _forget_rolled_back)


def _loader() -> PrincipalLoader:
    try:
        return current_app.extensions[_LOADER_KEY]
    except KeyError:
        raise RuntimeError("no feature registered a principal loader") from None


def _session_user(user_id: str) -> Actor | None:
    """Flask-Login's user loader: the session's user while it exists and is active, the
    session is registered (not logged out or ended) and began in the user's current epoch.

    Flask-Login's remember cookie comes through here too and carries no registered session,
    so it can never revive one.
    """
    user = _load_user(user_id)
    if user is None or not sessions.is_live(user.id, int(user.credentials_epoch or 0)):
        return None
    return user


class Principal:
    """Who is acting: a user, reached through a session, a bearer token or an API key.

    `user` is the user in this request's database session. A principal resolved from this
    process's key cache (`_valid_key`) holds the cached copy instead and merges it into the
    session when `user` is first asked (`Session.merge(load=False)`: no SQL), so a request
    that only reads the caller (`/users/me`, the rate limit, a module check) reads the
    cached copy through `user_view` and opens no database session at all (issue 16).
    """

    __slots__ = ("_user", "_cached", "via", "api_key", "session_id")

    def __init__(
        self,
        user: Any = None,
        via: str = "session",
        api_key: ApiKeyRecord | None = None,
        session_id: str | None = None,
        *,
        cached_user: Any = None,
    ) -> None:
        if (user is None) == (cached_user is None):
            raise TypeError("a principal has a user or a cached user, not both")
        self._user = user  # an Actor with its `organization` (the users feature's User)
        self._cached = cached_user
        self.via = via  # "session" | "token" | "key" | "service-cookie"
        # For a cached principal, the cache's detached key: read it, never change it.
        self.api_key = api_key
        # The dashboard session acted through, or the one a token was minted from: a token
        # refreshed by this principal is bound to it.
        self.session_id = session_id

    @property
    def user(self) -> Any:
        """The acting user, in this request's database session: its own copy, safe to change or
        relate."""
        if self._user is None:
            self._user = _merged(self._cached)
        return self._user

    @property
    def user_view(self) -> Any:
        """The acting user to read only (with its `organization`): the process cache's copy
        when the principal came from it, else `user`. Never change it or relate it to other
        objects; it is shared by the process's requests."""
        return self._cached if self._user is None else self._user

    @property
    def org(self) -> Org:
        return self.user.organization

    @property
    def rate_key(self) -> str:
        if self.api_key is not None:
            return f"key:{self.api_key.id}"
        return f"user:{self.user_view.id}"


def _load_user(user_id: str, org_id: str | None = None) -> Actor | None:
    user = _loader().user(user_id)
    if (
        user is None
        or not getattr(user, "active", False)
        or (org_id is not None and user.org_id != org_id)
    ):
        return None
    return user


_KEY_CACHE = "sparki_api_key_cache"
# Bumped each time the cache is cleared: a key read from the database is cached only if no
# clear happened since the read began (else it may be a row from before the change).
_KEY_GENERATION = "sparki_api_key_cache_generation"
# session.info: the models a session flushed changes to in its current transaction.
_FLUSHED_KINDS = "sparki_flushed_kinds"
_cache_lock = threading.Lock()
_cached_kinds: set[type] = set()  # the models a cached key holds (key, user, organization)


def _key_cache() -> TTLCache | None:
    """This process's cache of resolved API keys (key hash → the key, detached, with its user
    and organization loaded), entries living `AUTH_CACHE_SECONDS`; None when that is 0."""
    seconds = float(current_app.config.get("AUTH_CACHE_SECONDS", 0) or 0)
    if seconds <= 0:
        return None
    cache = current_app.extensions.get(_KEY_CACHE)
    if cache is None:
        cache = current_app.extensions[_KEY_CACHE] = TTLCache(maxsize=10_000, ttl=seconds)
    return cache


def _valid_key(key_hash: str) -> tuple[Any, bool]:
    """(key, cached) for the unrevoked key stored under `key_hash` whose user is active, with
    its `user` (and the user's `organization`); raises AuthenticationFailed otherwise.

    A key seen less than `AUTH_CACHE_SECONDS` ago comes from this process's cache (cached is
    True): the shared, detached copy, to read only; `Principal.user` merges its user into
    the request's session when asked (SQLAlchemy's recipe for cached objects). So a revoked
    key, a role change or a deactivated user is seen within that time, and at once in the
    process that made the change. Otherwise the key is loaded in this request's session
    (cached is False). Refusals are never cached, nor a key read while this process was
    changing a key, user or organization (see `_forget_changed`).
    """
    from .extensions import db

    cache = _key_cache()
    if cache is not None:
        with _cache_lock:
            cached = cache.get(key_hash)
            generation = current_app.extensions.get(_KEY_GENERATION, 0)
        if cached is not None:
            return cached, True
    key = _loader().api_key(key_hash)
    if key is None or key.revoked_at is not None or not hmac.compare_digest(key.key_hash, key_hash):
        raise AuthenticationFailed("The API key is not valid or has been revoked")
    if _load_user(key.user_id, key.org_id) is None:
        raise AuthenticationFailed("The API key's user is no longer active")
    if cache is None or db.session.dirty or db.session.info.get(_FLUSHED_KINDS):
        return key, False
    with _cache_lock:
        if current_app.extensions.get(_KEY_GENERATION, 0) != generation:
            return key, False  # cleared since the read began: the rows may predate a change
        # Detached with its user and organization (joined loads), so that no commit of this
        # session expires what the cache holds; this request goes on with merged copies.
        user = key.user
        for obj in (key, user, user.organization):
            db.session.expunge(obj)
            _cached_kinds.add(type(obj))
        cache[key_hash] = key
    return _merged(key), False


def _merged(obj: Any) -> Any:
    """`obj`, a detached object of the key cache (a key, or a user, with what it loaded),
    merged into this request's session (`Session.merge(load=False)`: no SQL), each merged
    object with its own copies of list and dict values (roles, modules): merge copies them
    by reference, and an in-place change would reach the cache's copy unseen."""
    from sqlalchemy import inspect
    from sqlalchemy.orm.attributes import set_committed_value

    from .extensions import db

    merged = db.session.merge(obj, load=False)
    pending, seen = [merged], set()
    while pending:
        each = pending.pop()
        if id(each) in seen:
            continue
        seen.add(id(each))
        mapper = inspect(each).mapper
        for attr in mapper.column_attrs:
            value = each.__dict__.get(attr.key)
            if isinstance(value, list | dict):
                set_committed_value(each, attr.key, copy.deepcopy(value))
        for rel in mapper.relationships:
            related = each.__dict__.get(rel.key)
            if related is not None and not rel.uselist:
                pending.append(related)
    return merged


def forget_cached_key(key_hash: str) -> None:
    """Drop `key_hash` from this process's cache (after a change this process made to it)."""
    cache = _key_cache()
    if cache is not None:
        with _cache_lock:
            cache.pop(key_hash, None)


def _forget_changed(session: Any, flush_context: Any, instances: Any) -> None:
    """Before a flush that changes or deletes a key, a user or an organization (a revoke, a
    role or module change, a deactivation), this process forgets every cached key at once,
    and again when that transaction commits (`_forget_committed`): a request of this process
    that read the old rows in between does not keep them. Other processes see the change when
    their entries expire (`AUTH_CACHE_SECONDS`). A key's once-a-minute `last_used_at` touch
    forgets only that key (`forget_cached_key`)."""
    if not has_app_context() or _KEY_CACHE not in current_app.extensions:
        return
    from sqlalchemy import inspect

    kinds = {
        type(obj)
        for obj in session.dirty
        if not set(inspect(obj).committed_state) <= {"last_used_at"}
    }
    kinds.update(type(obj) for obj in session.deleted)
    if not kinds:
        return
    session.info.setdefault(_FLUSHED_KINDS, set()).update(kinds)
    if kinds & _cached_kinds:
        _clear_key_cache()


def _forget_committed(session: Any) -> None:
    kinds = session.info.pop(_FLUSHED_KINDS, None)
    if kinds and kinds & _cached_kinds and has_app_context():
        _clear_key_cache()


def _forget_rolled_back(session: Any) -> None:
    session.info.pop(_FLUSHED_KINDS, None)


def _clear_key_cache() -> None:
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    with _cache_lock:
        cache = app.extensions.get(_KEY_CACHE)
        if cache:
            cache.clear()
        app.extensions[_KEY_GENERATION] = app.extensions.get(_KEY_GENERATION, 0) + 1


def _from_api_key(raw: str) -> Principal:
    from .extensions import db
    from .models import utcnow

    key, cached = _valid_key(hash_api_key(raw))
    now = utcnow()
    # Touch last use at most once a minute: keeps reads cheap and the listing honest.
    if key.last_used_at is None or (now - key.last_used_at).total_seconds() > 60:
        if cached:
            key = _merged(key)
        key.last_used_at = now
        db.session.commit()
        forget_cached_key(key.key_hash)  # the cached copy still has the old time
        cached = False
    if cached:
        return Principal(via="key", api_key=key, cached_user=key.user)
    return Principal(user=key.user, via="key", api_key=key)


def _from_token(value: str) -> Principal:
    claims = decode_token(value)
    user = _load_user(claims["sub"], claims["org"])
    if user is None:
        raise AuthenticationFailed("The token's user no longer exists or is inactive")
    if claims.get("epc") != int(user.credentials_epoch or 0):
        raise AuthenticationFailed(
            "The token was ended by a logout everywhere or a password, role or status change;"
            " log in again"
        )
    key = None
    if "kid" in claims:
        key = _loader().api_key_by_id(str(claims["kid"]))
        if key is None or key.revoked_at is not None or key.user_id != user.id:
            raise AuthenticationFailed("The API key this token was minted from has been revoked")
    sid = claims.get("sid")
    if sid is not None:
        record = sessions.get(str(sid))
        if record is None or record.user_id != user.id:
            raise AuthenticationFailed(
                "The dashboard session this token was minted from has ended; log in again"
            )
    return Principal(user=user, via="token", api_key=key, session_id=sid)


def resolve_principal() -> Principal | None:
    """Authenticate the current request once (cached on `g`).

    Returns None when no credentials are given; raises AuthenticationFailed when the given
    credentials are wrong. An explicit key or token wins over the session cookie.
    """
    if "principal" in g:
        if isinstance(g.principal, AuthenticationFailed):
            raise g.principal
        return g.principal
    try:
        principal = _resolve()
    except AuthenticationFailed as exc:
        g.principal = exc
        raise
    g.principal = principal
    return principal


def _resolve() -> Principal | None:
    raw_key = request.headers.get("X-API-Key")
    if raw_key:
        return _from_api_key(raw_key.strip())
    auth = request.headers.get("Authorization", "")
    if auth:
        scheme, _, value = auth.partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            raise AuthenticationFailed("Use 'Authorization: Bearer <token>' or 'X-API-Key'")
        value = value.strip()
        if value.startswith(API_KEY_PREFIX):
            return _from_api_key(value)
        return _from_token(value)
    if current_user and current_user.is_authenticated:
        return Principal(
            user=current_user._get_current_object(),
            via="session",
            session_id=sessions.current_session_id(),
        )
    return None


def has_role(user: Actor, *roles: str) -> bool:
    """Admins may do everything; otherwise the user needs one of `roles`."""
    user_roles = set(user.roles or [])
    return "admin" in user_roles or bool(user_roles.intersection(roles))


def require_role(user: Actor, *roles: str, action: str = "do this") -> None:
    """Raise PermissionDenied (403) unless `user` is an admin or has one of `roles`.

    `action` completes "Your role may not ..." in the message.
    """
    if not has_role(user, *roles):
        needed = " or ".join(("admin", *roles)) if roles else "admin"
        raise PermissionDenied(
            f"Your role may not {action}; it needs {needed}",
            details={"required": sorted({"admin", *roles}), "roles": list(user.roles or [])},
        )
