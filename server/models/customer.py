from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from server.extensions import db
from server.models.base import TimestampMixin, UTCDateTime
from server.schemas.customers import Customer as CustomerOut


class Customer(TimestampMixin, db.Model):
    __tablename__ = "customer"
    __table_args__ = (
        UniqueConstraint("business_id", "phone", name="uq_customer_business_phone"),
        # Newest-first paging inside one business.
        Index("ix_customer_business_created", "business_id", "created_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    business_id: Mapped[int] = mapped_column(ForeignKey("business.id"), nullable=False)
    name: Mapped[str] = mapped_column(String(160), nullable=False)
    phone: Mapped[str | None] = mapped_column(String(20))  # E.164
    email: Mapped[str | None] = mapped_column(String(254))
    notes: Mapped[str | None] = mapped_column(Text)
    # The last 4 digits of the customer's ID number: the phone agent's second factor before it
    # reads invoices, contracts or tasks to a caller (caller ID is spoofable). Never returned by the API.
    id_last4: Mapped[str | None] = mapped_column(String(4))
    # manual | import | call | whatsapp — a lead created by a call or message says so.
    source: Mapped[str] = mapped_column(String(16), default="manual", nullable=False)
    # Normalised text the search matches: name without niqqud, phone digits in local and
    # international form, lower-case email. Maintained by the customers service.
    search_text: Mapped[str] = mapped_column(Text, default="", nullable=False)
    # When the customer wrote "הסר" on WhatsApp: no campaign or automation messages them again.
    whatsapp_opted_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def to_dict(self) -> dict:
        return CustomerOut.dump(self)
