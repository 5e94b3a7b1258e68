"""Businesses: routing of inbound calls and messages to the business that owns the number."""
from __future__ import annotations

from sqlalchemy import select

from server.extensions import db
from server.models import Business
from server.phones import try_normalize_phone


def business_for_number(kind: str, number: str | None) -> Business | None:
    """The active business whose voice (kind="voice") or WhatsApp number this is."""
    e164 = try_normalize_phone(number)
    if e164 is None:
        return None
    column = Business.voice_number if kind == "voice" else Business.whatsapp_number
    return db.session.scalar(select(Business).where(column == e164, Business.deleted_at.is_(None)))
