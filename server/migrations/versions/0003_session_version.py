"""user.session_version: revocable sessions

Revision ID: 0003_session_version
Revises: 0001
Create Date: 2026-11-25

Every session cookie carries the version it was issued for; raising it ends them all.
A parallel branch off 0001 like the two 0002 migrations (the app upgrades to "heads").
"""
from alembic import op
import sqlalchemy as sa

revision = "0003_session_version"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.add_column(sa.Column("session_version", sa.Integer(), server_default="0", nullable=False))


def downgrade():
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.drop_column("session_version")
