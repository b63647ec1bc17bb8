"""merge services, webhooks and infrastructure

Revision ID: 0006
Revises: 0003, 0004, 0005
Create Date: 2026-11-23 14:28:51.875516

"""
from alembic import op
import sqlalchemy as sa

import blueprints.core.models


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = ('0003', '0004', '0005')
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
