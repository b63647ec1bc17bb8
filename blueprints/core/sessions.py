"""The registry of dashboard sessions: each login is a record in Redis that can be ended.

Flask's session is a signed cookie the server cannot take back, so a cookie copied before
logout would otherwise keep working. Each login therefore puts a random secret in the cookie
(`SESSION_SECRET`) and records, under a public id derived from it, who it belongs to, the
client's user agent and address, and when it began and was last seen. A request whose
secret is no longer registered (logout, "end this session", "log out everywhere", idle
longer than SESSION_IDLE_SECONDS) is anonymous: core.auth checks it where it loads the
session's user. The cookie also records the user's credentials epoch at login, so a bump
(password, role or status change) ends every session even if Redis lost a record.

The kernel knows no account model: functions take user ids and the epoch the caller read.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flask import Flask, Request, current_app, request, session
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface

from .extensions import get_redis

SESSION_SECRET = "_sid"  # the login's secret, in the signed cookie only
SESSION_EPOCH = "_epoch"  # the user's credentials epoch when the session began (or was renewed)
_TOUCH_EVERY = 60  # seconds: last-seen is kept to the minute, one write a minute at most


@dataclass(frozen=True)
class SessionRecord:
    """One live login of a user, as the account page and the API show it."""

    id: str  # public id ("sess_..."): naming a session never reveals its cookie secret
    user_id: str
    user_agent: str
    client: str  # the client's address as the app saw it
    created_at: datetime
    last_seen_at: datetime


def session_id_for(secret: str) -> str:
    """The public id of the session whose cookie secret is `secret`."""
    return "sess_" + hashlib.sha256(secret.encode()).hexdigest()[:32]


def _key(session_id: str) -> str:
    return f"sparki:session:{session_id}"


def _user_key(user_id: str) -> str:
    return f"sparki:user-sessions:{user_id}"


def _ttl() -> int:
    return int(current_app.config["SESSION_IDLE_SECONDS"])


def _now() -> int:
    return int(datetime.now(UTC).timestamp())


def register(user_id: str, *, user_agent: str, client: str) -> str:
    """Record a new session of `user_id`; returns its secret (for the cookie only)."""
    secret = secrets.token_urlsafe(32)
    sid = session_id_for(secret)
    now = _now()
    pipe = get_redis().pipeline()
    pipe.hset(
        _key(sid),
        mapping={
            "user_id": user_id,
            "user_agent": user_agent[:300],
            "client": client[:100],
            "created_at": now,
            "last_seen_at": now,
        },
    )
    pipe.expire(_key(sid), _ttl())
    pipe.sadd(_user_key(user_id), sid)
    pipe.expire(_user_key(user_id), _ttl())
    pipe.execute()
    return secret


def _record(sid: str, raw: dict) -> SessionRecord | None:
    if not raw:
        return None
    fields = {k.decode(): v.decode() for k, v in raw.items()}
    return SessionRecord(
        id=sid,
        user_id=fields["user_id"],
        user_agent=fields.get("user_agent", ""),
        client=fields.get("client", ""),
        created_at=datetime.fromtimestamp(int(fields["created_at"]), UTC),
        last_seen_at=datetime.fromtimestamp(int(fields["last_seen_at"]), UTC),
    )


def get(session_id: str) -> SessionRecord | None:
    """The registered session `session_id`, or None when it ended or never was."""
    return _record(session_id, get_redis().hgetall(_key(session_id)))


def for_user(user_id: str) -> list[SessionRecord]:
    """The user's live sessions, most recently seen first (ended ones are pruned)."""
    redis = get_redis()
    found, gone = [], []
    for raw_id in redis.smembers(_user_key(user_id)):
        sid = raw_id.decode()
        record = get(sid)
        (found if record is not None else gone).append(record or sid)
    if gone:
        redis.srem(_user_key(user_id), *gone)
    return sorted(found, key=lambda r: r.last_seen_at, reverse=True)


def end(session_id: str) -> bool:
    """End one session; True when it was live."""
    redis = get_redis()
    record = get(session_id)
    if record is None:
        return False
    pipe = redis.pipeline()
    pipe.delete(_key(session_id))
    pipe.srem(_user_key(record.user_id), session_id)
    pipe.execute()
    return True


def end_all(user_id: str, *, keep: str | None = None) -> int:
    """End every session of `user_id` except `keep` (a public id); returns how many ended."""
    return sum(1 for record in for_user(user_id) if record.id != keep and end(record.id))


# --- the current request's session ----------------------------------------------------------


def current_session_id() -> str | None:
    """The public id of this request's session, if its cookie carries a secret."""
    secret = session.get(SESSION_SECRET)
    return session_id_for(secret) if isinstance(secret, str) and secret else None


def begin(user_id: str, epoch: int) -> str:
    """Start a registered session for `user_id` in this request's cookie (after login_user);
    returns its public id."""
    secret = register(
        user_id,
        user_agent=request.headers.get("User-Agent", ""),
        client=request.remote_addr or "",
    )
    session[SESSION_SECRET] = secret
    session[SESSION_EPOCH] = epoch
    return session_id_for(secret)


def renew_epoch(epoch: int) -> None:
    """Keep this request's session alive across a bump its own user made (own password)."""
    session[SESSION_EPOCH] = epoch


def end_current() -> None:
    """End this request's session on the server and forget it in the cookie."""
    sid = current_session_id()
    if sid is not None:
        end(sid)
    session.pop(SESSION_SECRET, None)
    session.pop(SESSION_EPOCH, None)


def is_live(user_id: str, epoch: int) -> bool:
    """Whether this request's session is registered to `user_id` and began in `epoch`;
    touches its last-seen time (and idle expiry) at most once a minute."""
    sid = current_session_id()
    if sid is None or session.get(SESSION_EPOCH) != epoch:
        return False
    record = get(sid)
    if record is None or record.user_id != user_id:
        return False
    now = _now()
    if now - int(record.last_seen_at.timestamp()) >= _TOUCH_EVERY:
        pipe = get_redis().pipeline()
        pipe.hset(_key(sid), "last_seen_at", now)
        pipe.expire(_key(sid), _ttl())
        pipe.expire(_user_key(user_id), _ttl())
        pipe.execute()
    return True


class CookieSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, with nothing built for a request without the cookie.

    Flask makes a signing serializer (an HMAC key derivation) before it looks for the
    cookie; API clients with a key or a token never send one, and that was ~5 % of a
    /health or /users/me request (issue 16). A request with the cookie is Flask's own path.
    """

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if app.secret_key and (
            "HTTP_COOKIE" not in request.environ  # no cookie at all: nothing to parse
            or not request.cookies.get(self.get_cookie_name(app))
        ):
            return self.session_class()
        return super().open_session(app, request)

    def save_session(self, app: Flask, session: Any, response: Any) -> None:
        """Flask's, skipped for a session left empty and unchanged: Flask would read seven
        cookie settings only to return without a cookie (`Vary: Cookie` is still added for
        a session that was read)."""
        if not session and not session.modified:
            if session.accessed:
                response.vary.add("Cookie")
            return
        super().save_session(app, session, response)
