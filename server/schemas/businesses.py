from __future__ import annotations

from server.schemas.common import IsoTime, OrmModel
from server.schemas.settings import BusinessSettings, WhatsAppProviderName


class Business(OrmModel):
    id: int
    name: str
    domain: str | None
    active: bool
    voice_number: str | None
    whatsapp_number: str | None
    whatsapp_provider: WhatsAppProviderName
    created_at: IsoTime


class BusinessDetails(Business):
    """The business as its admins see it: with its settings (only what was set; the defaults
    are in the schema)."""
    settings: BusinessSettings
    ical_url: str
