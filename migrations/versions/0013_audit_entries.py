"""audit: the audit trail

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 16:30:00

"""
from alembic import op
import sqlalchemy as sa

import blueprints.core.models


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

UTC = blueprints.core.models.UTCDateTime(timezone=True)


def upgrade():
    op.create_table(
        'audit_entries',
        sa.Column('id', sa.String(length=64), nullable=False),
        sa.Column('org_id', sa.String(length=64), nullable=True),
        sa.Column('created_at', UTC, nullable=False),
        sa.Column('action', sa.String(length=120), nullable=False),
        sa.Column('outcome', sa.String(length=16), nullable=False),
        sa.Column('status_code', sa.Integer(), nullable=True),
        sa.Column('user_id', sa.String(length=64), nullable=True),
        sa.Column('user_email', sa.String(length=254), nullable=True),
        sa.Column('via', sa.String(length=16), nullable=True),
        sa.Column('api_key_id', sa.String(length=64), nullable=True),
        sa.Column('session_id', sa.String(length=64), nullable=True),
        sa.Column('client', sa.String(length=100), nullable=True),
        sa.Column('request_id', sa.String(length=128), nullable=True),
        sa.Column('method', sa.String(length=10), nullable=False),
        sa.Column('path', sa.String(length=500), nullable=False),
        sa.Column('channel', sa.String(length=8), nullable=False),
        sa.Column('target_type', sa.String(length=64), nullable=True),
        sa.Column('target_id', sa.String(length=64), nullable=True),
        sa.Column('subjects', sa.Text(), nullable=False),
        sa.Column('changes', sa.JSON(), nullable=False),
        sa.Column('details', sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_entries_org_id'), ['org_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_entries_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_entries_action'), ['action'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_entries_user_id'), ['user_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_entries_request_id'), ['request_id'], unique=False)


def downgrade():
    op.drop_table('audit_entries')
