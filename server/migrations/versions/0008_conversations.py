"""The WhatsApp agent: a conversation row per customer, and each inbound message's answer state

Revision ID: 0008_conversations
Revises: 0007_automations
Create Date: 2026-12-05

- conversation: who answers a customer's WhatsApp now (agent | staff) and the booking
  dialogue between messages; one per business, customer and channel.
- whatsapp_msg.agent_status (inbound only): pending → answering → answered | skipped, with
  agent_claimed_at as the lease of the job answering it, so a reply lost with a killed worker
  is found by the sweep and never sent twice.
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = "0008_conversations"
down_revision = "0007_automations"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "conversation",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("business_id", sa.Integer(), sa.ForeignKey("business.id", ondelete="CASCADE"), nullable=False),
        sa.Column("customer_id", sa.Integer(), sa.ForeignKey("customer.id", ondelete="CASCADE"), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("handler", sa.String(8), nullable=False),
        sa.Column("handed_over_at", sa.DateTime(), nullable=True),
        sa.Column("handed_over_reason", sa.String(16), nullable=True),
        sa.Column("dialog", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("business_id", "customer_id", "channel", name="uq_conversation_customer"),
    )
    with op.batch_alter_table("whatsapp_msg") as batch:
        batch.add_column(sa.Column("agent_status", sa.String(16), nullable=True))
        batch.add_column(sa.Column("agent_claimed_at", sa.DateTime(), nullable=True))
        batch.create_index("ix_whatsapp_msg_agent_status", ["agent_status"])


def downgrade():
    with op.batch_alter_table("whatsapp_msg") as batch:
        batch.drop_index("ix_whatsapp_msg_agent_status")
        batch.drop_column("agent_claimed_at")
        batch.drop_column("agent_status")
    op.drop_table("conversation")
