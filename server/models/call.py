from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.extensions import db
from server.models.base import JSONType, TimestampMixin, UTCDateTime, iso, utcnow

# Twilio's call statuses in the order a call moves through them; a finished status
# (the last four) is final and a late callback never moves a call back from it.
CALL_STATUSES = ("queued", "initiated", "ringing", "in-progress", "completed", "busy", "no-answer", "canceled", "failed")


class CallLog(TimestampMixin, db.Model):
    __tablename__ = "call_log"
    __table_args__ = (
        Index("ix_call_log_customer_started", "customer_id", "started_at"),
        Index("ix_call_log_business_started", "business_id", "started_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    call_sid: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    business_id: Mapped[int | None] = mapped_column(ForeignKey("business.id"))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customer.id"))
    from_number: Mapped[str | None] = mapped_column(String(32))
    to_number: Mapped[str | None] = mapped_column(String(32))
    direction: Mapped[str] = mapped_column(String(16), default="inbound", nullable=False)
    status: Mapped[str] = mapped_column(String(16), default="in-progress", nullable=False)
    duration_seconds: Mapped[int | None] = mapped_column(Integer)
    recording_url: Mapped[str | None] = mapped_column(Text)
    summary: Mapped[str | None] = mapped_column(Text)
    intent: Mapped[str | None] = mapped_column(String(64))
    # The timeline's date for a call.
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Per-call state the conversation needs (turn count, transfer state, ...).
    state: Mapped[dict] = mapped_column(JSONType, default=dict, nullable=False)

    turns = relationship("CallTurn", order_by="CallTurn.index", back_populates="call", cascade="all, delete-orphan")

    def to_dict(self, with_turns: bool = True) -> dict:
        data = {
            "id": self.id,
            "call_sid": self.call_sid,
            "business_id": self.business_id,
            "customer_id": self.customer_id,
            "from": self.from_number,
            "to": self.to_number,
            "direction": self.direction,
            "status": self.status,
            "duration_seconds": self.duration_seconds,
            # The provider's URL (which needs the account's credentials and is where this
            # server fetches from) never leaves the server: clients get this API's path.
            "recording": f"/api/calls/{self.id}/recording" if self.recording_url else None,
            "summary": self.summary,
            "intent": self.intent,
            "started_at": iso(self.started_at),
            "ended_at": iso(self.ended_at),
        }
        if with_turns:
            data["turns"] = [t.to_dict() for t in self.turns]
        return data


class CallTurn(TimestampMixin, db.Model):
    """One exchange in a call: what the caller said and what the agent answered."""

    __tablename__ = "call_turn"
    __table_args__ = (UniqueConstraint("call_id", "index", name="uq_call_turn_call_index"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("call_log.id", ondelete="CASCADE"), nullable=False, index=True)
    index: Mapped[int] = mapped_column(Integer, nullable=False)
    # pending (being processed in the background) | ready | played | failed
    status: Mapped[str] = mapped_column(String(16), default="ready", nullable=False)
    recording_url: Mapped[str | None] = mapped_column(Text)
    transcript: Mapped[str | None] = mapped_column(Text)
    reply: Mapped[str | None] = mapped_column(Text)
    audio_url: Mapped[str | None] = mapped_column(Text)
    asr_provider: Mapped[str | None] = mapped_column(String(32))
    reply_provider: Mapped[str | None] = mapped_column(String(32))
    tts_provider: Mapped[str | None] = mapped_column(String(32))
    # {"download_ms":..,"asr_ms":..,"reply_ms":..,"tts_ms":..,"total_ms":..}
    latencies: Mapped[dict] = mapped_column(JSONType, default=dict, nullable=False)
    # Which steps fell back and why, e.g. [{"stage":"tts","reason":"..."}] — never hidden.
    fallbacks: Mapped[list] = mapped_column(JSONType, default=list, nullable=False)
    tool_calls: Mapped[list] = mapped_column(JSONType, default=list, nullable=False)
    intents: Mapped[list] = mapped_column(JSONType, default=list, nullable=False)

    call = relationship("CallLog", back_populates="turns")

    def to_dict(self) -> dict:
        return {
            "index": self.index,
            "status": self.status,
            "transcript": self.transcript,
            "reply": self.reply,
            "audio_url": self.audio_url,
            "providers": {"asr": self.asr_provider, "reply": self.reply_provider, "tts": self.tts_provider},
            "latencies": self.latencies or {},
            "fallbacks": self.fallbacks or [],
            "tool_calls": self.tool_calls or [],
            "intents": self.intents or [],
            "created_at": iso(self.created_at),
        }


class StreamToken(db.Model):
    """A one-time ticket for one Media Stream of one call.

    incoming_call (Twilio-signed) mints it with the <Stream> it answers; the websocket's start
    message must present it for the same CallSid before it expires, and presenting it uses it
    up. Only its SHA-256 is kept: a database reader cannot replay it.
    """
    __tablename__ = "stream_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    call_id: Mapped[int] = mapped_column(ForeignKey("call_log.id"), nullable=False, index=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
