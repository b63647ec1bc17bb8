"""infrastructure thresholds and alerts

Revision ID: 0005
Revises: 0002
Create Date: 2026-11-23 13:45:00.000000

"""
from alembic import op
import sqlalchemy as sa

import blueprints.core.models


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('infra_thresholds',
    sa.Column('cpu_percent', sa.Float(), nullable=False),
    sa.Column('memory_percent', sa.Float(), nullable=False),
    sa.Column('disk_percent', sa.Float(), nullable=False),
    sa.Column('hysteresis_percent', sa.Float(), nullable=False),
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('org_id', sa.String(length=64), nullable=False),
    sa.Column('created_at', blueprints.core.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', blueprints.core.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('org_id', name='uq_infra_thresholds_org')
    )
    with op.batch_alter_table('infra_thresholds', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_infra_thresholds_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_infra_thresholds_org_id'), ['org_id'], unique=False)

    op.create_table('infra_alerts',
    sa.Column('node', sa.String(length=255), nullable=False),
    sa.Column('resource', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('threshold_percent', sa.Float(), nullable=False),
    sa.Column('value_percent', sa.Float(), nullable=False),
    sa.Column('peak_percent', sa.Float(), nullable=False),
    sa.Column('resolved_value_percent', sa.Float(), nullable=True),
    sa.Column('triggered_at', blueprints.core.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('resolved_at', blueprints.core.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('open_key', sa.String(length=300), nullable=True),
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('org_id', sa.String(length=64), nullable=False),
    sa.Column('created_at', blueprints.core.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', blueprints.core.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('org_id', 'open_key', name='uq_infra_alerts_open')
    )
    with op.batch_alter_table('infra_alerts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_infra_alerts_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_infra_alerts_org_id'), ['org_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_infra_alerts_status'), ['status'], unique=False)


def downgrade():
    with op.batch_alter_table('infra_alerts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_infra_alerts_status'))
        batch_op.drop_index(batch_op.f('ix_infra_alerts_org_id'))
        batch_op.drop_index(batch_op.f('ix_infra_alerts_created_at'))

    op.drop_table('infra_alerts')
    with op.batch_alter_table('infra_thresholds', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_infra_thresholds_org_id'))
        batch_op.drop_index(batch_op.f('ix_infra_thresholds_created_at'))

    op.drop_table('infra_thresholds')
