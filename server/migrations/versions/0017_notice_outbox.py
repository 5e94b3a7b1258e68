"""Appointment notices survive a crash: the notice still to queue is kept on the appointment

Revision ID: 0017_notice_outbox
Revises: 0009_whatsapp_media
Create Date: 2026-12-05

- appointment.notice_pending ("booked" | "moved" | "cancelled") and notice_pending_since:
  written in the booking's own transaction and cleared in the transaction that queues the
  WhatsApp notice; the minute sweep sends any left behind by a process that died in between.
"""
from alembic import op
import sqlalchemy as sa

revision = "0017_notice_outbox"
down_revision = "0009_whatsapp_media"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("appointment") as batch:
        batch.add_column(sa.Column("notice_pending", sa.String(16)))
        batch.add_column(sa.Column("notice_pending_since", sa.DateTime()))
        batch.create_index("ix_appointment_notice_pending", ["notice_pending_since"])


def downgrade():
    with op.batch_alter_table("appointment") as batch:
        batch.drop_index("ix_appointment_notice_pending")
        batch.drop_column("notice_pending_since")
        batch.drop_column("notice_pending")
