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

from sqlalchemy import select

from server.error_codes import ErrorCode
from server.errors import BadRequest, Conflict, FieldError, Forbidden, NotFound, ValidationFailed
from server.extensions import db
from server.models import Business
from server.models.base import utcnow
from server.phones import try_normalize_phone
from server.schemas.settings import business_settings
from server.services import audit
from server.services.realtime import end_business_sockets

NAME_MAX = 160


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
    """The business as its admins see it: to_dict plus its settings (what was set; see schemas/settings)."""
    data = business.to_dict()
    data["settings"] = business_settings(business).stored()
    from server.services.appointments.ical import business_feed_url
    data["ical_url"] = business_feed_url(business.id)  # the business-wide appointments feed (issue 18)
    return data


# ---- validation -------------------------------------------------------------------------

_NAME_REQUIRED = FieldError(ErrorCode.NAME_REQUIRED, "name required")
_INVALID_NAME = FieldError(ErrorCode.INVALID_NAME, "invalid name")


def invalid_name() -> BadRequest:
    """The seed's 400 for a name that is not text (raised by the request model, too)."""
    return BadRequest(_INVALID_NAME, code=_INVALID_NAME.code)


def _clean_name(raw: str | None, missing: FieldError) -> str:
    if raw is None:
        raise BadRequest(missing, code=missing.code)
    name = raw.strip()
    if not name:
        raise BadRequest(missing, code=missing.code)
    if len(name) > NAME_MAX:
        raise BadRequest(_INVALID_NAME, code=_INVALID_NAME.code)
    return name


def _clean_domain(raw: str | None) -> str | None:
    if raw is None:
        return None
    domain = raw.strip().lower() or None
    if domain and (len(domain) > 160 or not re.fullmatch(r"[a-z0-9\u0590-\u05ff.-]+(:\d+)?", domain)):
        raise ValidationFailed({"domain": FieldError(ErrorCode.INVALID_DOMAIN, "invalid domain")})
    return domain


def _name_taken(name: str, except_id: int | None = None) -> bool:
    query = select(Business.id).where(Business.name == name)
    if except_id is not None:
        query = query.where(Business.id != except_id)
    return db.session.scalar(query) is not None


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
    settings_update = data["settings"].changes() if data.get("settings") is not None else {}
    _apply_channels(actor, business, data, except_id=business.id)
    if new_name is not None:
        business.name = new_name
    business.domain = domain
    changed = sorted(k for k in data if k != "settings") + [f"settings.{k}" for k in sorted(settings_update)]
    audit.record("update", "business", business.id, business_id=business.id, details={"fields": changed})
    if settings_update:
        # What was set and still holds (a legacy key or value ignored on read is dropped here).
        merged = business_settings(business).stored()
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
    numbers: dict[str, str | None] = {}
    for key, column, label in ROUTING_NUMBERS:
        if key in data:
            number = data[key]  # E.164 or None (the request model parsed it)
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
