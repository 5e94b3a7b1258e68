"""Businesses: the tenants. Number routing, and management by the platform and business admins.

Who may do what (decided with the lead):
- the platform admin (role admin, no business) sees every business and alone creates,
  deactivates, reactivates and deletes them;
- a business admin updates its own business (name, domain, provider, settings), but not its
  numbers: a number routes the provider's calls and messages to a business, so whoever sets it
  receives that traffic. Numbers (and the provider ids in whatsapp_config, which no API writes)
  are the platform admin's to assign;
- everyone else sees only their own business.
A business outside the actor's reach answers NotFound, exactly like a missing one.
"""
from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select

from server.error_codes import ErrorCode
from server.errors import BadRequest, Conflict, FieldError, Forbidden, NotFound, ValidationFailed, field_message
from server.extensions import db
from server.models import Business
from server.models.base import utcnow
from server.phones import InvalidPhone, normalize_phone, try_normalize_phone
from server.services import audit
from server.services.realtime import end_business_sockets

NAME_MAX = 160
WHATSAPP_PROVIDERS = ("dev", "twilio", "meta")
RETENTION_KEYS = ("recordings_days", "transcripts_days", "messages_days", "calls_days")


def business_for_number(kind: str, number: str | None) -> Business | None:
    """The active business whose voice (kind="voice") or WhatsApp number this is."""
    e164 = try_normalize_phone(number)
    if e164 is None:
        return None
    column = Business.voice_number if kind == "voice" else Business.whatsapp_number
    return db.session.scalar(select(Business).where(column == e164, Business.deleted_at.is_(None)))


# ---- reading ----------------------------------------------------------------------------

def list_businesses(actor) -> list[Business]:
    """Every live business for the platform admin; the actor's own business for anyone else."""
    query = select(Business).where(Business.deleted_at.is_(None))
    if not actor.is_platform_admin:
        if actor.business_id is None:
            return []
        query = query.where(Business.id == actor.business_id)
    return list(db.session.scalars(query.order_by(Business.created_at.desc(), Business.id.desc())))


def get_business(actor, business_id: int) -> Business:
    business = db.session.get(Business, business_id)
    if business is None or business.deleted_at is not None:
        raise NotFound("business not found", code=ErrorCode.BUSINESS_NOT_FOUND)
    if not actor.is_platform_admin and actor.business_id != business.id:
        raise NotFound("business not found", code=ErrorCode.BUSINESS_NOT_FOUND)
    return business


def business_details(business: Business) -> dict:
    """The business as its admins see it: to_dict plus settings."""
    data = business.to_dict()
    data["settings"] = dict(business.settings or {})
    from server.services.appointments.ical import business_feed_url
    data["ical_url"] = business_feed_url(business.id)  # the business-wide appointments feed (issue 18)
    return data


# ---- validation -------------------------------------------------------------------------

_NAME_REQUIRED = FieldError(ErrorCode.NAME_REQUIRED, "name required")
_INVALID_NAME = FieldError(ErrorCode.INVALID_NAME, "invalid name")


def _clean_name(raw: Any, missing: FieldError) -> str:
    if raw is None:
        raise BadRequest(missing, code=missing.code)
    if not isinstance(raw, str):
        raise BadRequest(_INVALID_NAME, code=_INVALID_NAME.code)
    name = raw.strip()
    if not name:
        raise BadRequest(missing, code=missing.code)
    if len(name) > NAME_MAX:
        raise BadRequest(_INVALID_NAME, code=_INVALID_NAME.code)
    return name


def _clean_domain(raw: Any) -> str | None:
    if raw is None:
        return None
    if not isinstance(raw, str):
        raise ValidationFailed({"domain": FieldError(ErrorCode.NOT_TEXT, "must be text")})
    domain = raw.strip().lower() or None
    if domain and (len(domain) > 160 or not re.fullmatch(r"[a-z0-9\u0590-\u05ff.-]+(:\d+)?", domain)):
        raise ValidationFailed({"domain": FieldError(ErrorCode.INVALID_DOMAIN, "invalid domain")})
    return domain


def _name_taken(name: str, except_id: int | None = None) -> bool:
    query = select(Business.id).where(Business.name == name)
    if except_id is not None:
        query = query.where(Business.id != except_id)
    return db.session.scalar(query) is not None


def _text(value: Any, key: str, max_len: int, errors: dict) -> str | None:
    if not isinstance(value, str):
        errors[key] = FieldError(ErrorCode.NOT_TEXT, "must be text")
        return None
    value = value.strip()
    if len(value) > max_len:
        errors[key] = FieldError(ErrorCode.TOO_LONG, f"at most {max_len} characters", max=max_len)
        return None
    return value


def clean_settings(raw: Any) -> dict:
    """Validated settings updates: known keys only; a null value removes the key."""
    if not isinstance(raw, dict):
        raise ValidationFailed({"settings": FieldError(ErrorCode.NOT_OBJECT, "must be an object")})
    errors: dict[str, str] = {}
    out: dict[str, Any] = {}
    for key, value in raw.items():
        field = f"settings.{key}"
        if value is None:
            if key in SETTINGS_KEYS:
                out[key] = None
            else:
                errors[field] = FieldError(ErrorCode.UNKNOWN_SETTING, "unknown setting")
            continue
        if key == "hours" and isinstance(value, dict):
            out[key] = _clean_hours(value, field, errors)
        elif key in ("greeting", "hours", "recording_notice_text"):
            out[key] = _text(value, field, 1000, errors)
        elif key == "agent_name":
            out[key] = _text(value, field, 80, errors)
        elif key == "agent_instructions":
            out[key] = _text(value, field, 8000, errors)
        elif key == "recording_notice":
            # A flag (play the standard notice) or the notice's own Hebrew text.
            if isinstance(value, bool):
                out[key] = value
            else:
                out[key] = _text(value, field, 1000, errors)
        elif key == "turn_limit":
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 50:
                errors[field] = FieldError(ErrorCode.WHOLE_NUMBER_RANGE, "a whole number from 1 to 50", min=1, max=50)
            else:
                out[key] = value
        elif key == "transfer_number":
            try:
                out[key] = normalize_phone(value if isinstance(value, str) else None)
            except InvalidPhone as exc:
                errors[field] = field_message(exc)
        elif key == "voice_mode":
            if value not in ("record", "stream"):
                errors[field] = FieldError(ErrorCode.ONE_OF, "record or stream", choices=["record", "stream"])
            else:
                out[key] = value
        elif key == "transfer_timeout":
            if isinstance(value, bool) or not isinstance(value, int) or not 5 <= value <= 60:
                errors[field] = FieldError(ErrorCode.SECONDS_RANGE, "seconds, a whole number from 5 to 60", min=5, max=60)
            else:
                out[key] = value
        elif key == "providers":
            out[key] = _clean_providers(value, field, errors)
        elif key == "retention":
            out[key] = _clean_retention(value, field, errors)
        elif key == "stream_tuning":
            from server.services.voice.stream.turn_taking import clean_tuning
            out[key] = clean_tuning(value, field, errors)
        elif key == "caller_verification":
            from server.services.caller_verification import clean_policy
            out[key] = clean_policy(value, field, errors)
        elif key == "language":
            if value not in ("he", "he-IL", "en", "ar"):
                errors[field] = FieldError(ErrorCode.ONE_OF, "one of he, he-IL, en, ar", choices=["he", "he-IL", "en", "ar"])
            else:
                out[key] = value
        else:
            errors[field] = FieldError(ErrorCode.UNKNOWN_SETTING, "unknown setting")
    if errors:
        raise ValidationFailed(errors)
    return out


def _clean_retention(value: Any, field: str, errors: dict) -> Any:
    def days(v: Any) -> bool:
        return isinstance(v, int) and not isinstance(v, bool) and 1 <= v <= 36500

    if days(value):
        return value  # one period, in days, for everything kept
    if isinstance(value, dict) and value and all(k in RETENTION_KEYS and days(v) for k, v in value.items()):
        return dict(value)
    errors[field] = FieldError(ErrorCode.RETENTION, f"days (1..36500) or an object of {', '.join(RETENTION_KEYS)} in days",
                               min=1, max=36500, keys=list(RETENTION_KEYS))
    return None


SETTINGS_KEYS = ("greeting", "hours", "agent_name", "agent_instructions", "turn_limit", "recording_notice",
                 "recording_notice_text", "transfer_number", "transfer_timeout", "providers", "voice_mode",
                 "retention", "language", "stream_tuning", "caller_verification")
# Which voice providers a business may choose (the deployment's keys decide which work).
VOICE_PROVIDERS = {"asr": ("local", "openai"), "reply": ("offline", "openai"), "tts": ("espeak", "google", "openai")}


_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
_SPAN = re.compile(r"^([01]?\d|2[0-3]):[0-5]\d-([01]?\d|2[0-3]):[0-5]\d$")


def _clean_hours(value: dict, field: str, errors: dict) -> dict | None:
    """{"sun": "09:00-17:00", ..., "sat": null}: the agent says them and knows when it is open."""
    out = {}
    for day, span in value.items():
        if day not in _DAYS:
            errors[f"{field}.{day}"] = FieldError(ErrorCode.ONE_OF, f"one of {', '.join(_DAYS)}", choices=list(_DAYS))
        elif span is not None and not (isinstance(span, str) and _SPAN.match(span.strip())):
            errors[f"{field}.{day}"] = FieldError(ErrorCode.HOURS_SPAN, "HH:MM-HH:MM or null")
        else:
            out[day] = span.strip() if span else None
    return out


def _clean_providers(value: Any, field: str, errors: dict) -> dict | None:
    """{"asr": "local", "reply": "openai", "tts": "espeak"}: any subset; the rest follow the deployment."""
    if not isinstance(value, dict):
        errors[field] = FieldError(ErrorCode.NOT_OBJECT, "must be an object")
        return None
    out = {}
    for kind, name in value.items():
        if kind not in VOICE_PROVIDERS:
            errors[f"{field}.{kind}"] = FieldError(ErrorCode.UNKNOWN_PROVIDER_KIND, "unknown provider kind")
        elif name is not None and name not in VOICE_PROVIDERS[kind]:
            errors[f"{field}.{kind}"] = FieldError(ErrorCode.ONE_OF, f"one of {', '.join(VOICE_PROVIDERS[kind])}",
                                                   choices=list(VOICE_PROVIDERS[kind]))
        elif name is not None:
            out[kind] = name
    return out


def _clean_number(raw: Any, field: str) -> str | None:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    try:
        return normalize_phone(raw if isinstance(raw, str) else None)
    except InvalidPhone as exc:
        raise ValidationFailed({field: field_message(exc)}) from None


def _check_number_free(column, number: str | None, except_id: int | None, label: str, code: ErrorCode) -> None:
    if number is None:
        return
    query = select(Business.id).where(column == number)
    if except_id is not None:
        query = query.where(Business.id != except_id)
    if db.session.scalar(query) is not None:
        raise Conflict(f"{label} exists", code=code)


# ---- writing ----------------------------------------------------------------------------

def create_business(actor, data: dict) -> Business:
    """Platform admin only. 400 "name required", 409 "name exists" (the seed's contract)."""
    if not actor.is_platform_admin:
        raise Forbidden()
    name = _clean_name(data.get("name"), _NAME_REQUIRED)
    business = Business(name=name, domain=_clean_domain(data.get("domain")), settings={}, whatsapp_config={})
    _apply_channels(actor, business, data, except_id=None)
    if _name_taken(name):
        raise Conflict("name exists", code=ErrorCode.NAME_EXISTS)
    db.session.add(business)
    db.session.flush()
    audit.record("create", "business", business.id, business_id=business.id,
                 details={"fields": sorted(k for k in data if k != "settings")})
    db.session.commit()
    return business


def update_business(actor, business_id: int, data: dict) -> Business:
    """Platform admin: any business; business admin: its own. Only the given keys change."""
    business = get_business(actor, business_id)
    if actor.role != "admin":
        raise Forbidden()
    new_name = None
    if "name" in data:
        new_name = _clean_name(data["name"], _INVALID_NAME)
        if new_name != business.name and _name_taken(new_name, except_id=business.id):
            raise Conflict("name exists", code=ErrorCode.NAME_EXISTS)
    domain = _clean_domain(data["domain"]) if "domain" in data else business.domain
    settings_update = clean_settings(data["settings"]) if data.get("settings") is not None else {}
    _apply_channels(actor, business, data, except_id=business.id)
    if new_name is not None:
        business.name = new_name
    business.domain = domain
    changed = sorted(k for k in data if k != "settings") + [f"settings.{k}" for k in sorted(settings_update)]
    audit.record("update", "business", business.id, business_id=business.id, details={"fields": changed})
    if settings_update:
        merged = dict(business.settings or {})
        for key, value in settings_update.items():
            if value is None:
                merged.pop(key, None)
            else:
                merged[key] = value
        business.settings = merged  # a new dict, so the JSON column is seen as changed
    db.session.commit()
    return business


ROUTING_NUMBERS = (("voice_number", Business.voice_number, "voice number"),
                   ("whatsapp_number", Business.whatsapp_number, "whatsapp number"))


def _apply_channels(actor, business: Business, data: dict, except_id: int | None) -> None:
    """Voice/WhatsApp numbers (E.164, unique → 409; platform admin only → 403) and the WhatsApp transport.

    A business admin may send its numbers unchanged (the settings form sends every field), but
    any change is refused before anything is written: claiming an unassigned number would route
    its calls and messages, and their customers' details, to this business.
    """
    if "whatsapp_provider" in data:
        provider = data["whatsapp_provider"]
        if provider not in WHATSAPP_PROVIDERS:
            raise ValidationFailed({"whatsapp_provider": FieldError(
                ErrorCode.ONE_OF, f"one of {', '.join(WHATSAPP_PROVIDERS)}", choices=list(WHATSAPP_PROVIDERS))})
    numbers: dict[str, str | None] = {}
    for key, column, label in ROUTING_NUMBERS:
        if key in data:
            number = _clean_number(data[key], key)
            if number != getattr(business, key) and not actor.is_platform_admin:
                raise Forbidden(f"only the platform admin assigns the {label}", code=ErrorCode(f"{key}_admin_only"))
            _check_number_free(column, number, except_id, label, ErrorCode(f"{key}_exists"))
            numbers[key] = number
    if "whatsapp_provider" in data:
        business.whatsapp_provider = data["whatsapp_provider"]
    for key, number in numbers.items():
        setattr(business, key, number)


def set_business_active(actor, business_id: int, active: bool) -> Business:
    """Platform admin only. A deactivated business's users are refused at once (authz),
    and its open sockets are closed: no live event of it reaches a browser any more."""
    if not actor.is_platform_admin:
        raise Forbidden()
    business = get_business(actor, business_id)
    business.active = active
    audit.record("reactivate" if active else "deactivate", "business", business.id, business_id=business.id)
    db.session.commit()
    if not active:
        end_business_sockets(business.id)
    return business


def delete_business(actor, business_id: int) -> None:
    """Soft delete (platform admin only): inactive and gone from lists; its rows are kept."""
    if not actor.is_platform_admin:
        raise Forbidden()
    business = get_business(actor, business_id)
    business.active = False
    business.deleted_at = utcnow()
    # Its numbers stop routing calls and messages, and may be given to another business.
    business.voice_number = None
    business.whatsapp_number = None
    audit.record("delete", "business", business.id, business_id=business.id, details={"soft": True})
    db.session.commit()
    end_business_sockets(business.id)
