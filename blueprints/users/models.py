"""Organizations (tenants), users and their API keys."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask_login import UserMixin
from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from blueprints.core.extensions import db
from blueprints.core.models import OrgScopedMixin, PrefixedIdMixin, TimestampMixin, UTCDateTime

# Modules a new organization has, and whether each starts on (API.md: schedules on, crm off).
DEFAULT_MODULES: dict[str, bool] = {"schedules": True, "crm": False}
DEFAULT_LIMITS: dict[str, int] = {"maxServices": 50, "activeServiceLimit": 20}


class Organization(PrefixedIdMixin, TimestampMixin, db.Model):
    __tablename__ = "organizations"
    __id_prefix__ = "org"
    __display_name__ = "organization"

    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    modules: Mapped[dict[str, bool]] = mapped_column(JSON, default=lambda: dict(DEFAULT_MODULES))
    limits: Mapped[dict[str, Any]] = mapped_column(JSON, default=lambda: dict(DEFAULT_LIMITS))

    users: Mapped[list[User]] = relationship(
        back_populates="organization", cascade="all, delete-orphan"
    )


class User(PrefixedIdMixin, OrgScopedMixin, TimestampMixin, UserMixin, db.Model):
    __tablename__ = "users"
    __id_prefix__ = "user"
    __display_name__ = "user"

    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(255))
    roles: Mapped[list[str]] = mapped_column(JSON, default=lambda: ["viewer"])
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # Bumped by a password, role or status change and by "log out everywhere": every session
    # and bearer token records the epoch it began in and is refused once it differs.
    credentials_epoch: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    organization: Mapped[Organization] = relationship(back_populates="users", lazy="joined")

    @property
    def is_active(self) -> bool:  # Flask-Login
        return bool(self.active)

    @property
    def is_admin(self) -> bool:
        return "admin" in (self.roles or [])


class ApiKey(PrefixedIdMixin, OrgScopedMixin, TimestampMixin, db.Model):
    """An API key: only its SHA-256 hash and a display prefix are stored."""

    __tablename__ = "api_keys"
    __id_prefix__ = "key"
    __display_name__ = "API key"

    user_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(16))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    user: Mapped[User] = relationship(lazy="joined")

    @property
    def status(self) -> str:
        return "revoked" if self.revoked_at else "active"
