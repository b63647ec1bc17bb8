"""encrypt webhook signing secrets at rest

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23 14:55:00

"""
from alembic import op
import sqlalchemy as sa

from blueprints.core.models import decrypt_text, encrypt_text


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def _convert(transform) -> None:
    conn = op.get_bind()
    rows = conn.execute(sa.text("SELECT id, secret, previous_secret FROM webhooks")).fetchall()
    for row in rows:
        conn.execute(
            sa.text("UPDATE webhooks SET secret = :s, previous_secret = :p WHERE id = :id"),
            {"id": row.id, "s": transform(row.secret),
             "p": transform(row.previous_secret) if row.previous_secret else None})


def upgrade():
    with op.batch_alter_table('webhooks', schema=None) as batch_op:
        batch_op.alter_column('secret', existing_type=sa.String(length=100), type_=sa.Text(),
                              existing_nullable=False)
        batch_op.alter_column('previous_secret', existing_type=sa.String(length=100),
                              type_=sa.Text(), existing_nullable=True)
    _convert(encrypt_text)


def downgrade():
    _convert(decrypt_text)
    with op.batch_alter_table('webhooks', schema=None) as batch_op:
        batch_op.alter_column('previous_secret', existing_type=sa.Text(),
                              type_=sa.String(length=100), existing_nullable=True)
        batch_op.alter_column('secret', existing_type=sa.Text(), type_=sa.String(length=100),
                              existing_nullable=False)
