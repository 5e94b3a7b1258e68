from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.extensions import db
from server.models.base import JSONType, TimestampMixin, UTCDateTime
from server.schemas.whatsapp import WhatsAppMessage, WhatsAppTemplate as TemplateOut

WHATSAPP_STATUSES = ("queued", "sending", "sent", "delivered", "read", "failed")


class WhatsAppMsg(TimestampMixin, db.Model):
    __tablename__ = "whatsapp_msg"
    __table_args__ = (
        # The same provider message delivered twice is stored once.
        UniqueConstraint("provider", "provider_message_id", name="uq_whatsapp_msg_provider_id"),
        Index("ix_whatsapp_msg_customer_created", "customer_id", "created_at"),
        Index("ix_whatsapp_msg_status_next", "status", "next_attempt_at"),
        Index("ix_whatsapp_msg_agent_status", "agent_status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    business_id: Mapped[int | None] = mapped_column(ForeignKey("business.id"), index=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customer.id"))
    direction: Mapped[str] = mapped_column(String(8), nullable=False)  # inbound | outbound
    status: Mapped[str] = mapped_column(String(16), default="queued", nullable=False)
    provider: Mapped[str] = mapped_column(String(16), nullable=False)  # dev | twilio | meta
    provider_message_id: Mapped[str | None] = mapped_column(String(128))
    # Sent to the provider (Meta/Twilio idempotency, and to reconcile after a crash).
    idempotency_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    from_number: Mapped[str | None] = mapped_column(String(32))
    to_number: Mapped[str | None] = mapped_column(String(32))
    body: Mapped[str | None] = mapped_column(Text)
    template_name: Mapped[str | None] = mapped_column(String(128))
    template_variables: Mapped[dict | None] = mapped_column(JSONType)
    error_code: Mapped[str | None] = mapped_column(String(32))
    error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Inbound only, the agent's answer (services/reception/whatsapp_agent.py): pending →
    # answering (claimed at agent_claimed_at) → answered | skipped. None: not for the agent.
    agent_status: Mapped[str | None] = mapped_column(String(16))
    agent_claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Visible caveats, e.g. {"dev_transport": true, "outside_window": true}.
    flags: Mapped[dict] = mapped_column(JSONType, default=dict, nullable=False)
    media: Mapped[list["WhatsAppMedia"]] = relationship(
        back_populates="message", lazy="selectin", order_by="WhatsAppMedia.id",
        cascade="all, delete-orphan", passive_deletes=True)

    def to_dict(self) -> dict:
        return WhatsAppMessage.dump(self)


class WhatsAppTemplate(TimestampMixin, db.Model):
    """A template the business had approved, usable outside the 24-hour window."""

    __tablename__ = "whatsapp_template"
    __table_args__ = (UniqueConstraint("business_id", "name", "language", name="uq_whatsapp_template_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    business_id: Mapped[int] = mapped_column(ForeignKey("business.id"), nullable=False)
    name: Mapped[str] = mapped_column(String(128), nullable=False)
    language: Mapped[str] = mapped_column(String(16), default="he", nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False)  # with {{1}} / {{name}} placeholders
    twilio_content_sid: Mapped[str | None] = mapped_column(String(64))
    meta_template_name: Mapped[str | None] = mapped_column(String(128))

    def to_dict(self) -> dict:
        return TemplateOut.dump(self)


MEDIA_KINDS = ("audio", "image", "video", "document", "sticker", "location", "contacts")
# pending → (downloading) → ready | failed; erased once retention or an erasure took the file.
MEDIA_STATUSES = ("pending", "downloading", "ready", "failed", "erased")


class WhatsAppMedia(TimestampMixin, db.Model):
    """One attachment of a WhatsApp message: a voice note, an image, a document, a location.

    An inbound item starts `pending` with the provider's reference (`source`: Twilio's
    MediaUrl, Meta's media id); a job downloads it into the media store (`storage_key`),
    converts a voice note for browsers (`playback_key`) and transcribes it.
    """

    __tablename__ = "whatsapp_media"
    __table_args__ = (
        Index("ix_whatsapp_media_message", "message_id"),
        Index("ix_whatsapp_media_status_next", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("whatsapp_msg.id", ondelete="CASCADE"), nullable=False)
    business_id: Mapped[int | None] = mapped_column(ForeignKey("business.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    status: Mapped[str] = mapped_column(String(16), default="pending", nullable=False)
    source: Mapped[str | None] = mapped_column(String(2048))
    content_type: Mapped[str | None] = mapped_column(String(128))
    size: Mapped[int | None] = mapped_column(Integer)
    filename: Mapped[str | None] = mapped_column(String(255))
    storage_key: Mapped[str | None] = mapped_column(String(255))
    playback_key: Mapped[str | None] = mapped_column(String(255))
    sha256: Mapped[str | None] = mapped_column(String(64))
    transcript: Mapped[str | None] = mapped_column(Text)
    transcript_status: Mapped[str | None] = mapped_column(String(16))  # pending | done | failed
    details: Mapped[dict | None] = mapped_column(JSONType)  # location / contacts / caption
    attempts: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    error: Mapped[str | None] = mapped_column(String(255))
    message: Mapped[WhatsAppMsg] = relationship(back_populates="media")

    @property
    def url(self) -> str | None:
        """Where the SPA fetches the file (logged in, scoped to the business); None without one."""
        return f"/api/whatsapp/media/{self.id}" if self.storage_key else None

    @property
    def served_content_type(self) -> str | None:
        return "audio/mpeg" if self.playback_key else self.content_type
