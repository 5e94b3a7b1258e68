"""The phone agent's settings of a business (GET/PUT /api/agent/settings).

They live in Business.settings beside the other business settings (one model:
schemas/settings.BusinessSettings); this module shows the agent's keys with the values the
agent uses, and saves through update_business (admin only, audited).
"""
from __future__ import annotations

from server.config import current
from server.schemas.agent import AGENT_KEYS, AgentSettingsUpdate
from server.schemas.settings import BusinessSettings, business_settings
from server.services import businesses


def effective(settings: BusinessSettings) -> dict:
    """Every agent setting as the agent uses it: the business's value, else the default."""
    from server.services.voice.pipeline import provider_names

    config = current()
    return {
        "greeting": settings.greeting,
        "hours": settings.hours_value,
        "agent_name": settings.agent_name,
        "agent_instructions": settings.agent_instructions,
        "turn_limit": settings.resolved_turn_limit(config.voice.turn_limit),
        "recording_notice": settings.recording_notice,
        "recording_notice_text": settings.notice_text,
        "transfer_number": settings.transfer_number,
        "transfer_timeout": settings.transfer_timeout,
        "providers": provider_names(config, settings),
        # which records the agent reads only after the caller's ID digits (caller_verification)
        "caller_verification": settings.caller_verification.model_dump(),
        "whatsapp_agent": settings.whatsapp_agent or "off",
    }


def get_settings(actor, business_id: int) -> dict:
    business = businesses.get_business(actor, business_id)
    settings = business_settings(business)
    stored = {k: v for k, v in settings.stored().items() if k in AGENT_KEYS}
    return {"business_id": business.id, "settings": effective(settings), "stored": stored}


def put_settings(actor, business_id: int, update: AgentSettingsUpdate) -> dict:
    businesses.update_business(actor, business_id, {"settings": update})
    return get_settings(actor, business_id)
