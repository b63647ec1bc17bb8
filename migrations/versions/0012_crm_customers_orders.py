"""crm: customers, orders, order items, payments, order history, counters

Revision ID: 0012
Revises: 0008
Create Date: 2026-11-30 10:30:00

"""
from alembic import op
import sqlalchemy as sa

import blueprints.core.models


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

UTC = blueprints.core.models.UTCDateTime(timezone=True)


def upgrade():
    op.create_table(
        'crm_customers',
        sa.Column('id', sa.String(length=36), nullable=False),
        sa.Column('org_id', sa.String(length=64), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('email', sa.String(length=254), nullable=False),
        sa.Column('company', sa.String(length=200), nullable=False),
        sa.Column('phone', sa.String(length=50), nullable=False),
        sa.Column('address', sa.String(length=1000), nullable=False),
        sa.Column('notes', sa.Text(), nullable=False),
        sa.Column('archived_at', UTC, nullable=True),
        sa.Column('created_at', UTC, nullable=False),
        sa.Column('updated_at', UTC, nullable=False),
        sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('org_id', 'email', name='uq_crm_customers_org_email'),
    )
    with op.batch_alter_table('crm_customers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_crm_customers_org_id'), ['org_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_crm_customers_created_at'), ['created_at'], unique=False)

    op.create_table(
        'crm_orders',
        sa.Column('id', sa.String(length=36), nullable=False),
        sa.Column('org_id', sa.String(length=64), nullable=False),
        sa.Column('number', sa.BigInteger(), nullable=False),
        sa.Column('customer_id', sa.String(length=36), nullable=False),
        sa.Column('currency', sa.String(length=3), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('payment_status', sa.String(length=16), nullable=False),
        sa.Column('subtotal_minor', sa.BigInteger(), nullable=False),
        sa.Column('total_minor', sa.BigInteger(), nullable=False),
        sa.Column('paid_minor', sa.BigInteger(), nullable=False),
        sa.Column('refunded_minor', sa.BigInteger(), nullable=False),
        sa.Column('notes', sa.Text(), nullable=False),
        sa.Column('created_by', sa.String(length=64), nullable=True),
        sa.Column('created_at', UTC, nullable=False),
        sa.Column('updated_at', UTC, nullable=False),
        sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['customer_id'], ['crm_customers.id'], ondelete='RESTRICT'),
        sa.ForeignKeyConstraint(['created_by'], ['users.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('org_id', 'number', name='uq_crm_orders_org_number'),
    )
    with op.batch_alter_table('crm_orders', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_crm_orders_org_id'), ['org_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_crm_orders_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_crm_orders_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_crm_orders_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_crm_orders_payment_status'), ['payment_status'], unique=False)

    op.create_table(
        'crm_order_items',
        sa.Column('id', sa.String(length=36), nullable=False),
        sa.Column('order_id', sa.String(length=36), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('sku', sa.String(length=100), nullable=False),
        sa.Column('name', sa.String(length=300), nullable=False),
        sa.Column('quantity', sa.Integer(), nullable=False),
        sa.Column('unit_price_minor', sa.BigInteger(), nullable=False),
        sa.Column('amount_minor', sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(['order_id'], ['crm_orders.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('crm_order_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_crm_order_items_order_id'), ['order_id'], unique=False)

    op.create_table(
        'crm_payments',
        sa.Column('id', sa.String(length=36), nullable=False),
        sa.Column('org_id', sa.String(length=64), nullable=False),
        sa.Column('order_id', sa.String(length=36), nullable=False),
        sa.Column('seq', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=10), nullable=False),
        sa.Column('amount_minor', sa.BigInteger(), nullable=False),
        sa.Column('method', sa.String(length=50), nullable=False),
        sa.Column('reference', sa.String(length=200), nullable=False),
        sa.Column('created_by', sa.String(length=64), nullable=True),
        sa.Column('created_at', UTC, nullable=False),
        sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['order_id'], ['crm_orders.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['created_by'], ['users.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('crm_payments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_crm_payments_org_id'), ['org_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_crm_payments_order_id'), ['order_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_crm_payments_created_at'), ['created_at'], unique=False)

    op.create_table(
        'crm_order_history',
        sa.Column('id', sa.String(length=36), nullable=False),
        sa.Column('order_id', sa.String(length=36), nullable=False),
        sa.Column('seq', sa.Integer(), nullable=False),
        sa.Column('action', sa.String(length=20), nullable=False),
        sa.Column('field', sa.String(length=20), nullable=True),
        sa.Column('from_value', sa.String(length=20), nullable=True),
        sa.Column('to_value', sa.String(length=20), nullable=True),
        sa.Column('amount_minor', sa.BigInteger(), nullable=True),
        sa.Column('actor_id', sa.String(length=64), nullable=True),
        sa.Column('actor_email', sa.String(length=254), nullable=False),
        sa.Column('created_at', UTC, nullable=False),
        sa.ForeignKeyConstraint(['order_id'], ['crm_orders.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('crm_order_history', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_crm_order_history_order_id'), ['order_id'], unique=False)

    op.create_table(
        'crm_counters',
        sa.Column('org_id', sa.String(length=64), nullable=False),
        sa.Column('name', sa.String(length=32), nullable=False),
        sa.Column('value', sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('org_id', 'name'),
    )


def downgrade():
    op.drop_table('crm_counters')
    op.drop_table('crm_order_history')
    op.drop_table('crm_payments')
    op.drop_table('crm_order_items')
    op.drop_table('crm_orders')
    op.drop_table('crm_customers')
