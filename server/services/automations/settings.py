"""A business's automation settings: read with their defaults, changed part by part (audited),
and the missed-call template they rely on outside the 24-hour window."""
from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from server.error_codes import ErrorCode
from server.errors import NotFound
from server.extensions import db
from server.models import AutomationRun, AutomationSetting, Business, WhatsAppTemplate
from server.schemas.automations import (MISSED_CALL_TEMPLATE, MISSED_CALL_TEMPLATE_BODY, AutomationSettings,
                                        AutomationSettingsUpdate)
from server.services import audit

log = logging.getLogger(__name__)
RECENT = 20


def _business(business_id: int) -> Business:
    business = db.session.get(Business, business_id)
    if business is None or business.deleted_at is not None:
        raise NotFound("business not found", code=ErrorCode.BUSINESS_NOT_FOUND)
    return business


def get_settings(business_id: int) -> AutomationSettings:
    row = db.session.get(AutomationSetting, business_id)
    return AutomationSettings.from_stored(row.values if row is not None else None)


def missed_call_template(business_id: int) -> WhatsAppTemplate | None:
    rows = db.session.scalars(select(WhatsAppTemplate).where(WhatsAppTemplate.business_id == business_id,
                                                             WhatsAppTemplate.name == MISSED_CALL_TEMPLATE)).all()
    return sorted(rows, key=lambda r: r.language != "he")[0] if rows else None


def ensure_missed_call_template(business_id: int) -> WhatsAppTemplate:
    """The business's missed-call template, seeded with the shipped wording when it has none
    (a Twilio business still needs its ContentSid set on it; a Meta business, its approval).
    Flushed, not committed: it goes with the caller's transaction."""
    row = missed_call_template(business_id)
    if row is not None:
        return row
    row = WhatsAppTemplate(business_id=business_id, name=MISSED_CALL_TEMPLATE, language="he",
                           body=MISSED_CALL_TEMPLATE_BODY, meta_template_name=MISSED_CALL_TEMPLATE)
    try:
        with db.session.begin_nested():
            db.session.add(row)
    except IntegrityError:  # seeded meanwhile by a concurrent call-end
        return missed_call_template(business_id)
    log.info("business %s: missed-call template seeded", business_id)
    return row


def describe(business_id: int) -> dict:
    _business(business_id)
    template = missed_call_template(business_id)
    recent = db.session.scalars(select(AutomationRun).where(AutomationRun.business_id == business_id)
                                .order_by(AutomationRun.id.desc()).limit(RECENT)).all()
    return {"business_id": business_id, "settings": get_settings(business_id).model_dump(),
            "missed_call_template": {"name": MISSED_CALL_TEMPLATE, "exists": template is not None,
                                     "twilio_content_sid": bool(template and template.twilio_content_sid)},
            "recent": recent}


def update_settings(business_id: int, body: AutomationSettingsUpdate) -> dict:
    _business(business_id)
    before = get_settings(business_id)
    merged = before.model_dump()
    for part, values in body.changes().items():
        merged[part].update(values)
    after = AutomationSettings.model_validate(merged)
    row = db.session.get(AutomationSetting, business_id)
    if row is None:
        row = AutomationSetting(business_id=business_id, values={})
        db.session.add(row)
    row.values = after.model_dump()
    if after.missed_call.enabled:
        ensure_missed_call_template(business_id)
    changed = sorted(f"{part}.{key}" for part, values in after.model_dump().items()
                     for key, value in values.items() if before.model_dump()[part][key] != value)
    # Which switches and texts changed; the texts themselves are the business's wording, not personal data.
    audit.record("update", "automation_settings", business_id, business_id=business_id,
                 details={"fields": changed, "enabled": {part: values["enabled"]
                                                         for part, values in after.model_dump().items()}})
    db.session.commit()
    return describe(business_id)
