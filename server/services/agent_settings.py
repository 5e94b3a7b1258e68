"""The phone agent's settings of a business (GET/PUT /api/agent/settings).

They live in Business.settings beside the other business settings and are validated by
the same clean_settings; this module only picks the agent's keys, fills in the defaults
the agent would use, and saves through update_business (admin only, audited).
"""
from __future__ import annotations

from server.config import current
from server.error_codes import ErrorCode
from server.errors import FieldError, ValidationFailed
from server.services import businesses

AGENT_KEYS = ("greeting", "hours", "agent_name", "agent_instructions", "turn_limit", "recording_notice",
              "recording_notice_text", "transfer_number", "transfer_timeout", "providers", "caller_verification")


def effective(settings: dict) -> dict:
    from server.services.caller_verification import PROTECTED, protected_kinds
    from server.services.voice.pipeline import provider_names
    from server.services.voice.policy import DEFAULT_TRANSFER_TIMEOUT
    from server.services.voice.prompts import RECORDING_NOTICE

    config = current()
    return {
        "greeting": settings.get("greeting"),
        "hours": settings.get("hours"),
        "agent_name": settings.get("agent_name"),
        "agent_instructions": settings.get("agent_instructions"),
        "turn_limit": settings.get("turn_limit") or config.voice.turn_limit,
        "recording_notice": settings.get("recording_notice", True),
        "recording_notice_text": settings.get("recording_notice_text") or RECORDING_NOTICE,
        "transfer_number": settings.get("transfer_number"),
        "transfer_timeout": settings.get("transfer_timeout") or DEFAULT_TRANSFER_TIMEOUT,
        "providers": provider_names(config, settings),
        # which records the agent reads only after the caller's ID digits (caller_verification)
        "caller_verification": {kind: kind in protected_kinds(settings) for kind in PROTECTED},
    }


def get_settings(actor, business_id: int) -> dict:
    business = businesses.get_business(actor, business_id)
    stored = {k: v for k, v in (business.settings or {}).items() if k in AGENT_KEYS}
    return {"business_id": business.id, "settings": effective(business.settings or {}), "stored": stored}


def put_settings(actor, business_id: int, data: dict) -> dict:
    if not isinstance(data, dict):
        raise ValidationFailed({"body": FieldError(ErrorCode.NOT_OBJECT, "must be an object")})
    unknown = {k: FieldError(ErrorCode.NOT_AGENT_SETTING, "not an agent setting") for k in data if k not in AGENT_KEYS}
    if unknown:
        raise ValidationFailed(unknown)
    businesses.update_business(actor, business_id, {"settings": data})
    return get_settings(actor, business_id)
