from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from server.extensions import db
from server.models.base import JSONType, TimestampMixin, UTCDateTime
from server.schemas.businesses import Business as BusinessOut


class Business(TimestampMixin, db.Model):
    __tablename__ = "business"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(160), unique=True, nullable=False)
    domain: Mapped[str | None] = mapped_column(String(160))
    active: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False, index=True)
    # Soft delete: the seed prefers it; a deleted business keeps its rows for the law's
    # retention duties but disappears from lists.
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # E.164 numbers that route inbound calls and WhatsApp messages to this business.
    voice_number: Mapped[str | None] = mapped_column(String(20), unique=True)
    whatsapp_number: Mapped[str | None] = mapped_column(String(20), unique=True)
    # Which WhatsApp transport this business uses: dev | twilio | meta.
    whatsapp_provider: Mapped[str] = mapped_column(String(20), default="dev", nullable=False)
    # Provider-side identifiers that are not secrets (Meta phone-number id, etc.).
    whatsapp_config: Mapped[dict] = mapped_column(JSONType, default=dict, nullable=False)
    # Agent and voice settings (greeting, hours, agent name, turn limit, providers...).
    settings: Mapped[dict] = mapped_column(JSONType, default=dict, nullable=False)
    # Running invoice number: the last number issued by this business.
    last_invoice_number: Mapped[int] = mapped_column(Integer, default=0, nullable=False)

    def to_dict(self) -> dict:
        return BusinessOut.dump(self)
