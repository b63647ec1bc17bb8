"""Customers, orders, their lines, payments/refunds, history, and the order-number counter.

Ids are UUIDs (API.md: CRM ids are UUIDs). Money columns are integer minor units (`*_minor`)
in the order's currency; `money.to_decimal` gives them back with the currency's decimals.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from blueprints.core.extensions import db
from blueprints.core.models import OrgScopedMixin, TimestampMixin, UTCDateTime, utcnow


def new_uuid() -> str:
    return str(uuid.uuid4())


class UUIDMixin:
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_uuid)


class Customer(UUIDMixin, OrgScopedMixin, TimestampMixin, db.Model):
    """Someone the organization sells to. `email` is unique per organization (lower-cased)."""

    __tablename__ = "crm_customers"
    __display_name__ = "customer"
    __table_args__ = (UniqueConstraint("org_id", "email", name="uq_crm_customers_org_email"),)

    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(254))
    company: Mapped[str] = mapped_column(String(200), default="")
    phone: Mapped[str] = mapped_column(String(50), default="")
    address: Mapped[str] = mapped_column(String(1000), default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    @property
    def archived(self) -> bool:
        return self.archived_at is not None


class Order(UUIDMixin, OrgScopedMixin, TimestampMixin, db.Model):
    """An order: lines in one currency, totals computed by the server, two state machines."""

    __tablename__ = "crm_orders"
    __display_name__ = "order"
    __table_args__ = (UniqueConstraint("org_id", "number", name="uq_crm_orders_org_number"),)

    number: Mapped[int] = mapped_column(BigInteger)
    customer_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("crm_customers.id", ondelete="RESTRICT"), index=True
    )
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(16), default="placed", index=True)
    payment_status: Mapped[str] = mapped_column(String(16), default="unpaid", index=True)
    subtotal_minor: Mapped[int] = mapped_column(BigInteger)
    total_minor: Mapped[int] = mapped_column(BigInteger)
    paid_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    refunded_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    notes: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str | None] = mapped_column(
        String(64), ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )

    customer: Mapped[Customer] = relationship(lazy="joined")
    items: Mapped[list[OrderItem]] = relationship(
        order_by="OrderItem.position",
        cascade="all, delete-orphan",
        lazy="selectin",
        back_populates="order",
    )
    payments: Mapped[list[Payment]] = relationship(
        order_by="Payment.seq",
        cascade="all, delete-orphan",
        lazy="selectin",
        back_populates="order",
    )
    history: Mapped[list[OrderChange]] = relationship(
        order_by="OrderChange.seq",
        cascade="all, delete-orphan",
        lazy="selectin",
        back_populates="order",
    )

    @property
    def order_number(self) -> str:
        return str(self.number)


class OrderItem(UUIDMixin, db.Model):
    __tablename__ = "crm_order_items"

    order_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("crm_orders.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    sku: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(300))
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price_minor: Mapped[int] = mapped_column(BigInteger)
    amount_minor: Mapped[int] = mapped_column(BigInteger)

    order: Mapped[Order] = relationship(back_populates="items")

    @property
    def currency(self) -> str:
        return self.order.currency


class Payment(UUIDMixin, OrgScopedMixin, db.Model):
    """Money received for an order (`kind` payment) or given back (`kind` refund)."""

    __tablename__ = "crm_payments"
    __display_name__ = "payment"

    order_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("crm_orders.id", ondelete="CASCADE"), index=True
    )
    seq: Mapped[int] = mapped_column(Integer)  # 1, 2, … within the order
    kind: Mapped[str] = mapped_column(String(10))  # payment | refund
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    method: Mapped[str] = mapped_column(String(50), default="")
    reference: Mapped[str] = mapped_column(String(200), default="")
    created_by: Mapped[str | None] = mapped_column(
        String(64), ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)

    order: Mapped[Order] = relationship(back_populates="payments")

    @property
    def currency(self) -> str:
        return self.order.currency


class OrderChange(UUIDMixin, db.Model):
    """One line of an order's history: who changed what, when, from what to what, how much."""

    __tablename__ = "crm_order_history"

    order_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("crm_orders.id", ondelete="CASCADE"), index=True
    )
    seq: Mapped[int] = mapped_column(Integer)  # 1, 2, … within the order
    action: Mapped[str] = mapped_column(String(20))  # created | status | payment | refund
    field: Mapped[str | None] = mapped_column(String(20), nullable=True)  # status | paymentStatus
    from_value: Mapped[str | None] = mapped_column(String(20), nullable=True)
    to_value: Mapped[str | None] = mapped_column(String(20), nullable=True)
    amount_minor: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    actor_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    actor_email: Mapped[str] = mapped_column(String(254), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    order: Mapped[Order] = relationship(back_populates="history")

    @property
    def currency(self) -> str:
        return self.order.currency


class Counter(db.Model):
    """Per-organization sequences (`order_number`): incremented under a row lock in the
    transaction that uses the value, so concurrent orders never share a number."""

    __tablename__ = "crm_counters"

    org_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True
    )
    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0)
