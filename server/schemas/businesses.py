from __future__ import annotations

from typing import Any

from server.schemas.common import IsoTime, OrmModel


class Business(OrmModel):
    id: int
    name: str
    domain: str | None
    active: bool
    voice_number: str | None
    whatsapp_number: str | None
    whatsapp_provider: str
    created_at: IsoTime


class BusinessDetails(Business):
    """The business as its admins see it: with its settings and its appointments feed."""
    settings: dict[str, Any]
    ical_url: str
