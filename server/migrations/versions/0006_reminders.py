"""WhatsApp confirmations and reminders for appointments

Revision ID: 0006_reminders
Revises: 0005_knowledge
Create Date: 2026-12-05

- appt_calendar_policy.reminder_hours: how long before the start the reminder goes (0: none).
- appointment: confirmed_at, reminder_due_at (indexed: the sweep's query), reminder_sent_at
  (the reminder's exactly-once claim), notice_message_id (the message a "1"/"2" answers).
"""
from alembic import op
import sqlalchemy as sa

revision = "0006_reminders"
down_revision = "0005_knowledge"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("appt_calendar_policy", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reminder_hours", sa.Integer(), server_default="24", nullable=False))
    with op.batch_alter_table("appointment", schema=None) as batch_op:
        batch_op.add_column(sa.Column("confirmed_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("reminder_due_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("reminder_sent_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("notice_message_id", sa.Integer(), nullable=True))
        batch_op.create_index("ix_appointment_reminder_due", ["reminder_due_at"], unique=False)


def downgrade():
    with op.batch_alter_table("appointment", schema=None) as batch_op:
        batch_op.drop_index("ix_appointment_reminder_due")
        batch_op.drop_column("notice_message_id")
        batch_op.drop_column("reminder_sent_at")
        batch_op.drop_column("reminder_due_at")
        batch_op.drop_column("confirmed_at")
    with op.batch_alter_table("appt_calendar_policy", schema=None) as batch_op:
        batch_op.drop_column("reminder_hours")
