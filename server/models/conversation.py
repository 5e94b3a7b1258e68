"""A customer's WhatsApp conversation with the business, as the agent sees it: who answers
it now (the agent or a person), and the booking dialogue between messages."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from server.extensions import db
from server.models.base import JSONType, TimestampMixin, UTCDateTime

HANDLERS = ("agent", "staff")


class Conversation(TimestampMixin, db.Model):
    __tablename__ = "conversation"
    __table_args__ = (UniqueConstraint("business_id", "customer_id", "channel", name="uq_conversation_customer"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    business_id: Mapped[int] = mapped_column(ForeignKey("business.id", ondelete="CASCADE"), nullable=False)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id", ondelete="CASCADE"), nullable=False)
    channel: Mapped[str] = mapped_column(String(16), default="whatsapp", nullable=False)
    # "agent": the agent answers (when the business's whatsapp_agent setting lets it);
    # "staff": a person took the conversation over and the agent stays quiet in it.
    handler: Mapped[str] = mapped_column(String(8), default="agent", nullable=False)
    handed_over_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Why a person has it: "customer" (asked for one) | "staff" (replied) | "agent" (could not help).
    handed_over_reason: Mapped[str | None] = mapped_column(String(16))
    # The booking dialogue between messages (services/reception/dialogue.py); erased with the customer.
    dialog: Mapped[dict] = mapped_column(JSONType, default=dict, nullable=False)
