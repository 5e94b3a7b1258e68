"""Follow-ups that run themselves: automation settings and runs, customer tags and opt-out, campaigns

Revision ID: 0007_automations
Revises: 0006_reminders
Create Date: 2026-12-05

- automation_setting: a business's automation settings (JSON, validated by schemas/automations.py).
- automation_run: one firing; UNIQUE (business_id, kind, dedupe_key) makes a missed-call message go
  once per number per Israel day, and an away message once per conversation per closed period.
- customer.whatsapp_opted_out_at: the customer wrote "הסר"; customer_tag: labels campaigns filter by.
- campaign and campaign_recipient (one row per customer, UNIQUE per campaign; message_id UNIQUE).
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = "0007_automations"
down_revision = "0006_reminders"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _timestamps():
    return [sa.Column("created_at", sa.DateTime(), nullable=False),
            sa.Column("updated_at", sa.DateTime(), nullable=False)]


def upgrade():
    # A plain ADD COLUMN: rebuilding the customer table would drop its search triggers (0002).
    op.add_column("customer", sa.Column("whatsapp_opted_out_at", sa.DateTime(), nullable=True))

    op.create_table(
        "automation_setting",
        sa.Column("business_id", sa.Integer(), sa.ForeignKey("business.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("values", JSON, nullable=False),
        *_timestamps(),
    )
    op.create_table(
        "automation_run",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("business_id", sa.Integer(), sa.ForeignKey("business.id", ondelete="CASCADE"), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("dedupe_key", sa.String(128), nullable=False),
        sa.Column("customer_id", sa.Integer(), sa.ForeignKey("customer.id", ondelete="SET NULL")),
        sa.Column("call_id", sa.Integer(), sa.ForeignKey("call_log.id", ondelete="SET NULL")),
        sa.Column("message_id", sa.Integer(), sa.ForeignKey("whatsapp_msg.id", ondelete="SET NULL")),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("reason", sa.String(64)),
        *_timestamps(),
        sa.UniqueConstraint("business_id", "kind", "dedupe_key", name="uq_automation_run_key"),
    )
    op.create_table(
        "customer_tag",
        sa.Column("customer_id", sa.Integer(), sa.ForeignKey("customer.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("tag", sa.String(64), primary_key=True),
        sa.Column("business_id", sa.Integer(), sa.ForeignKey("business.id", ondelete="CASCADE"), nullable=False),
    )
    op.create_index("ix_customer_tag_business_tag", "customer_tag", ["business_id", "tag"])
    op.create_table(
        "campaign",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("business_id", sa.Integer(), sa.ForeignKey("business.id", ondelete="CASCADE"), nullable=False),
        sa.Column("name", sa.String(160), nullable=False),
        sa.Column("template_name", sa.String(128), nullable=False),
        sa.Column("variables", JSON, nullable=False),
        sa.Column("filters", JSON, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_by", sa.Integer(), sa.ForeignKey("user.id", ondelete="SET NULL")),
        sa.Column("last_batch_at", sa.DateTime()),
        sa.Column("finished_at", sa.DateTime()),
        *_timestamps(),
    )
    op.create_index("ix_campaign_business_created", "campaign", ["business_id", "created_at"])
    op.create_index("ix_campaign_status", "campaign", ["status"])
    op.create_table(
        "campaign_recipient",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("campaign_id", sa.Integer(), sa.ForeignKey("campaign.id", ondelete="CASCADE"), nullable=False),
        sa.Column("business_id", sa.Integer(), sa.ForeignKey("business.id", ondelete="CASCADE"), nullable=False),
        sa.Column("customer_id", sa.Integer(), sa.ForeignKey("customer.id", ondelete="SET NULL")),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("reason", sa.String(64)),
        sa.Column("message_id", sa.Integer(), sa.ForeignKey("whatsapp_msg.id", ondelete="SET NULL")),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text()),
        *_timestamps(),
        sa.UniqueConstraint("campaign_id", "customer_id", name="uq_campaign_recipient_customer"),
        sa.UniqueConstraint("message_id", name="uq_campaign_recipient_message_id"),
    )
    op.create_index("ix_campaign_recipient_campaign_status", "campaign_recipient", ["campaign_id", "status"])


def downgrade():
    op.drop_table("campaign_recipient")
    op.drop_table("campaign")
    op.drop_table("customer_tag")
    op.drop_table("automation_run")
    op.drop_table("automation_setting")
    with op.batch_alter_table("customer") as batch:
        batch.drop_column("whatsapp_opted_out_at")
