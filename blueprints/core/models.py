"""Model building blocks: prefixed string ids, timestamps, organization scoping."""

from __future__ import annotations

import functools
import secrets
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import DateTime, ForeignKey, String, Text, bindparam, select
from sqlalchemy.orm import Mapped, declared_attr, mapped_column
from sqlalchemy.types import TypeDecorator

from .errors import NotFound
from .extensions import db
from .types import Org

T = TypeVar("T")


def utcnow() -> datetime:
    return datetime.now(UTC)


def iso_utc(value: datetime) -> str:
    """`value` as ISO-8601 UTC with milliseconds and a trailing Z (`2026-01-02T03:04:05.678Z`).

    The one timestamp format of the API, events and log lines; a naive value is taken as UTC.
    """
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def new_id(prefix: str) -> str:
    """`prefix-` + 20 random hex characters: unguessable, URL-safe, typed at a glance."""
    return f"{prefix}-{secrets.token_hex(10)}"


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on every backend (SQLite drops the offset)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


def _fernet():
    """Encryption at rest for secrets Sparki must use again (webhook signing secrets).

    The key is derived from SECRET_KEY, so rotating SECRET_KEY makes stored secrets unreadable.
    """
    from flask import current_app

    return _fernet_for(current_app.config["SECRET_KEY"])


@functools.lru_cache(maxsize=4)
def _fernet_for(secret_key: str):
    """One Fernet per SECRET_KEY (its derivation and set-up once, not per row)."""
    import base64
    import hashlib

    from cryptography.fernet import Fernet

    digest = hashlib.sha256(b"sparki-at-rest:" + secret_key.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def encrypt_text(value: str) -> str:
    return _fernet().encrypt(value.encode()).decode()


def decrypt_text(token: str) -> str:
    return _fernet().decrypt(token.encode()).decode()


class EncryptedText(TypeDecorator):
    """Text stored Fernet-encrypted (AES-128-CBC + HMAC); plain in Python, never in the DB."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Any) -> str | None:
        return encrypt_text(value) if value is not None else None

    def process_result_value(self, value: str | None, dialect: Any) -> str | None:
        return decrypt_text(value) if value is not None else None


class PrefixedIdMixin:
    """A string primary key like `user-3f9a…`; subclasses set `__id_prefix__`."""

    __id_prefix__ = "obj"

    @declared_attr
    def id(cls) -> Mapped[str]:  # noqa: N805
        prefix = cls.__id_prefix__
        return mapped_column(String(64), primary_key=True, default=lambda: new_id(prefix))


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), default=utcnow, nullable=False, index=True
    )
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), default=utcnow, onupdate=utcnow, nullable=False
    )


class OrgScopedMixin:
    """Belongs to one organization; every query through `scoped()` filters on it."""

    @declared_attr
    def org_id(cls) -> Mapped[str]:  # noqa: N805
        return mapped_column(
            String(64),
            ForeignKey("organizations.id", ondelete="CASCADE"),
            index=True,
            nullable=False,
        )


def scoped(model: type[T], org: Org):
    """`select(model)` limited to one organization."""
    return select(model).where(model.org_id == org.id)  # type: ignore[attr-defined]


@functools.cache
def _one_in_org(model: type) -> Any:
    """`select(model)` of one id in one organization, built once per model with bound
    parameters: SQLAlchemy builds and keys a statement object on every call, which cost ~20 %
    of a short API read; this one's cache key is computed once (issue 16)."""
    return select(model).where(
        model.org_id == bindparam("org_id"),  # type: ignore[attr-defined]
        model.id == bindparam("obj_id"),  # type: ignore[attr-defined]
    )


def get_in_org(
    model: type[T], org: Org, obj_id: str, *, what: str | None = None, fresh: bool = False
) -> T:
    """The row of `model` with this id in this organization, else NotFound.

    Another organization's id answers exactly like an unknown id. `fresh=True` overwrites
    the session's copy with the row as read now (`populate_existing`): for checks and
    read-modify-writes that must not act on a copy merged from a cache (core.auth).
    """
    obj = db.session.execute(
        _one_in_org(model),
        {"org_id": org.id, "obj_id": obj_id},
        execution_options={"populate_existing": True} if fresh else {},
    ).scalar_one_or_none()
    if obj is None:
        name = what or getattr(model, "__display_name__", model.__name__.lower())
        raise NotFound(f"No {name} with id '{obj_id}'", details={"id": obj_id})
    return obj
