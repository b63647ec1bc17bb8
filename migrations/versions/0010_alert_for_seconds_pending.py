"""infra thresholds: for_seconds (an alert fires after that long over); alerts: pending_since

Revision ID: 0010
Revises: 0008
Create Date: 2026-11-30 10:45:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('infra_thresholds', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('for_seconds', sa.Integer(), nullable=False, server_default='300')
        )
    with op.batch_alter_table('infra_alerts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('pending_since', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('infra_alerts', schema=None) as batch_op:
        batch_op.drop_column('pending_since')
    with op.batch_alter_table('infra_thresholds', schema=None) as batch_op:
        batch_op.drop_column('for_seconds')
