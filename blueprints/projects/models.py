"""Projects group services and people; members carry a project role."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from blueprints.core.extensions import db
from blueprints.core.models import (
    OrgScopedMixin,
    PrefixedIdMixin,
    TimestampMixin,
    UTCDateTime,
    utcnow,
)
from blueprints.users.models import User

PROJECT_ROLES = ("owner", "maintainer", "contributor", "viewer")
PROJECT_STATUSES = ("active", "archived")
VISIBILITIES = ("private", "internal", "public")
CI_PROVIDERS = ("github-actions", "gitlab-ci", "jenkins", "circleci", "buildkite", "other")


class Project(PrefixedIdMixin, OrgScopedMixin, TimestampMixin, db.Model):
    __tablename__ = "projects"
    __id_prefix__ = "proj"
    __display_name__ = "project"
    __table_args__ = (UniqueConstraint("org_id", "name", name="uq_projects_org_name"),)

    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text, default="")
    owner_id: Mapped[str | None] = mapped_column(
        String(64), ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    status: Mapped[str] = mapped_column(String(16), default="active", index=True)
    visibility: Mapped[str] = mapped_column(String(16), default="private")
    repository_url: Mapped[str | None] = mapped_column(String(500), nullable=True)
    repository_branch: Mapped[str] = mapped_column(String(200), default="main")
    ci_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    ci_provider: Mapped[str | None] = mapped_column(String(32), nullable=True)
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    owner: Mapped[User | None] = relationship(lazy="joined")
    members: Mapped[list[ProjectMember]] = relationship(
        back_populates="project",
        cascade="all, delete-orphan",
        lazy="selectin",
        order_by="ProjectMember.added_at",
    )


class ProjectMember(db.Model):
    __tablename__ = "project_members"
    __table_args__ = (UniqueConstraint("project_id", "user_id", name="uq_project_members"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    project_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[str] = mapped_column(String(16), default="contributor")
    added_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    project: Mapped[Project] = relationship(back_populates="members")
    user: Mapped[User] = relationship(lazy="joined")
