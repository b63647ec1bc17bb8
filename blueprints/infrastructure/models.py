"""Per-organization alert thresholds and the alerts they raise.

The cluster is shared by every organization of this installation; what each organization
owns is its thresholds and the alerts raised against them.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from blueprints.core.extensions import db
from blueprints.core.models import OrgScopedMixin, PrefixedIdMixin, TimestampMixin, UTCDateTime

RESOURCES = ("cpu", "memory", "disk")
ALERT_STATUSES = ("pending", "firing", "resolved")
DEFAULT_THRESHOLDS = {
    "cpu_percent": 90.0,
    "memory_percent": 90.0,
    "disk_percent": 90.0,
    "hysteresis_percent": 5.0,
}
DEFAULT_FOR_SECONDS = 300  # like Prometheus's `for:`: how long over a threshold before firing


class AlertThreshold(PrefixedIdMixin, OrgScopedMixin, TimestampMixin, db.Model):
    """One organization's limits, in percent of allocatable; a crossing raises an alert."""

    __tablename__ = "infra_thresholds"
    __id_prefix__ = "thr"
    __display_name__ = "thresholds"
    __table_args__ = (UniqueConstraint("org_id", name="uq_infra_thresholds_org"),)

    cpu_percent: Mapped[float] = mapped_column(Float, default=DEFAULT_THRESHOLDS["cpu_percent"])
    memory_percent: Mapped[float] = mapped_column(
        Float, default=DEFAULT_THRESHOLDS["memory_percent"]
    )
    disk_percent: Mapped[float] = mapped_column(Float, default=DEFAULT_THRESHOLDS["disk_percent"])
    # An alert resolves only once the figure is this many points under the threshold.
    hysteresis_percent: Mapped[float] = mapped_column(
        Float, default=DEFAULT_THRESHOLDS["hysteresis_percent"]
    )

    # A figure must stay at or over its threshold this long before the alert fires; until
    # then the alert is `pending` (a busy minute is not an incident).
    for_seconds: Mapped[int] = mapped_column(
        Integer, default=DEFAULT_FOR_SECONDS, server_default=str(DEFAULT_FOR_SECONDS)
    )

    def limit(self, resource: str) -> float:
        return float(getattr(self, f"{resource}_percent"))


class NodeAlert(PrefixedIdMixin, OrgScopedMixin, TimestampMixin, db.Model):
    """A node over one of its organization's thresholds, from crossing to recovery.

    `pending` from the crossing (`pending_since`) until the figure has stayed over for the
    thresholds' `for_seconds`, then `firing` (`triggered_at`), then `resolved`; a pending
    alert whose figure falls back under the threshold is deleted, as Prometheus drops it.
    `open_key` is `node:resource` while pending or firing and NULL once resolved; the unique
    constraint makes "one open alert per node and resource" hold even for concurrent jobs.
    """

    __tablename__ = "infra_alerts"
    __id_prefix__ = "alert"
    __display_name__ = "alert"
    __table_args__ = (UniqueConstraint("org_id", "open_key", name="uq_infra_alerts_open"),)

    node: Mapped[str] = mapped_column(String(255))
    resource: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="firing", index=True)
    threshold_percent: Mapped[float] = mapped_column(Float)
    value_percent: Mapped[float] = mapped_column(Float)
    peak_percent: Mapped[float] = mapped_column(Float)
    resolved_value_percent: Mapped[float | None] = mapped_column(Float, nullable=True)
    pending_since: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    triggered_at: Mapped[datetime] = mapped_column(UTCDateTime())  # when it fired (or will)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    open_key: Mapped[str | None] = mapped_column(String(300), nullable=True)
