"""Follow-ups that run themselves: each business's automation settings, the ledger that makes
each automation fire once (a unique key per business and kind), customer tags, and campaigns
with one row per recipient."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from server.extensions import db
from server.models.base import JSONType, TimestampMixin, UTCDateTime


class AutomationSetting(TimestampMixin, db.Model):
    """The business's automation settings as set (schemas/automations.py reads them, with defaults)."""

    __tablename__ = "automation_setting"

    business_id: Mapped[int] = mapped_column(ForeignKey("business.id", ondelete="CASCADE"), primary_key=True)
    values: Mapped[dict] = mapped_column(JSONType, default=dict, nullable=False)


class AutomationRun(TimestampMixin, db.Model):
    """One firing of an automation. The unique (business, kind, dedupe_key) is what makes it
    fire once: two concurrent call-ends of one number on one Israel day insert the same key,
    and only one insert wins."""

    __tablename__ = "automation_run"
    __table_args__ = (UniqueConstraint("business_id", "kind", "dedupe_key", name="uq_automation_run_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    business_id: Mapped[int] = mapped_column(ForeignKey("business.id", ondelete="CASCADE"), nullable=False)
    kind: Mapped[str] = mapped_column(String(32), nullable=False)  # missed_call | away_message
    dedupe_key: Mapped[str] = mapped_column(String(128), nullable=False)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customer.id", ondelete="SET NULL"))
    call_id: Mapped[int | None] = mapped_column(ForeignKey("call_log.id", ondelete="SET NULL"))
    message_id: Mapped[int | None] = mapped_column(ForeignKey("whatsapp_msg.id", ondelete="SET NULL"))
    # queued (its WhatsApp message exists) | skipped (why, in `reason`)
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    reason: Mapped[str | None] = mapped_column(String(64))


class CustomerTag(db.Model):
    """A label on a customer ("VIP", "לקוחה קבועה") that a campaign can filter by."""

    __tablename__ = "customer_tag"
    __table_args__ = (Index("ix_customer_tag_business_tag", "business_id", "tag"),)

    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id", ondelete="CASCADE"), primary_key=True)
    tag: Mapped[str] = mapped_column(String(64), primary_key=True)
    business_id: Mapped[int] = mapped_column(ForeignKey("business.id", ondelete="CASCADE"), nullable=False)


class Campaign(TimestampMixin, db.Model):
    __tablename__ = "campaign"
    __table_args__ = (Index("ix_campaign_business_created", "business_id", "created_at"),
                      Index("ix_campaign_status", "status"))

    id: Mapped[int] = mapped_column(primary_key=True)
    business_id: Mapped[int] = mapped_column(ForeignKey("business.id", ondelete="CASCADE"), nullable=False)
    name: Mapped[str] = mapped_column(String(160), nullable=False)
    template_name: Mapped[str] = mapped_column(String(128), nullable=False)
    variables: Mapped[dict] = mapped_column(JSONType, default=dict, nullable=False)
    # The filter as given: {"tag", "last_contact_before", "last_contact_after", "upcoming_appointment"}
    filters: Mapped[dict] = mapped_column(JSONType, default=dict, nullable=False)
    # sending (recipients still pending) | sent (every recipient queued or skipped)
    status: Mapped[str] = mapped_column(String(16), default="sending", nullable=False)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    # When a batch job last ran: the sweep re-queues a sending campaign left idle longer than a lease.
    last_batch_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class CampaignRecipient(TimestampMixin, db.Model):
    """One customer of a campaign. pending → queued (its WhatsApp message exists, created in the
    same transaction as this move) or skipped (opted out, no phone, refused). Once queued, the
    recipient's status is its message's."""

    __tablename__ = "campaign_recipient"
    __table_args__ = (UniqueConstraint("campaign_id", "customer_id", name="uq_campaign_recipient_customer"),
                      Index("ix_campaign_recipient_campaign_status", "campaign_id", "status"))

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id", ondelete="CASCADE"), nullable=False)
    business_id: Mapped[int] = mapped_column(ForeignKey("business.id", ondelete="CASCADE"), nullable=False)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customer.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(16), default="pending", nullable=False)
    reason: Mapped[str | None] = mapped_column(String(64))
    message_id: Mapped[int | None] = mapped_column(ForeignKey("whatsapp_msg.id", ondelete="SET NULL"), unique=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    error: Mapped[str | None] = mapped_column(Text)
