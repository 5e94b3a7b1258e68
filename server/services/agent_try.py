"""Try the agent without a phone: one turn through the same stages a call uses
(POST /api/agent/try, `flask agent say|listen`).

The caller is looked up by `from` (any Israeli format) in the business's customers, as a
call would be; nothing is written: no lead, no CallLog, and a callback the reply asks
for is reported in `actions` instead of becoming a task.
"""
from __future__ import annotations

import time
from types import SimpleNamespace

from sqlalchemy import select

from server.config import current
from server.error_codes import ErrorCode
from server.errors import FieldError, ValidationFailed
from server.extensions import db
from server.models import Business, Customer
from server.phones import try_normalize_phone
from server.schemas.settings import business_settings
from server.services.voice import pipeline

MAX_TEXT = 1000


def try_turn(business_id: int, base_url: str, text: str | None = None, audio: bytes | None = None,
             filename: str = "recording.wav", from_phone: str | None = None) -> dict:
    from server.services.voice.context import build_context
    from server.services.customers.crud import find_customer_by_phone

    errors = {}
    if audio is None:
        if not isinstance(text, str) or not text.strip():
            errors["text"] = FieldError(ErrorCode.TEXT_OR_AUDIO_REQUIRED, "text or audio required")
        elif len(text) > MAX_TEXT:
            errors["text"] = FieldError(ErrorCode.TOO_LONG, f"at most {MAX_TEXT} characters", max=MAX_TEXT)
    elif not audio:
        errors["audio"] = FieldError(ErrorCode.EMPTY_RECORDING, "empty recording")
    caller = try_normalize_phone(from_phone) if isinstance(from_phone, str) else None
    if from_phone not in (None, "") and caller is None:
        errors["from"] = FieldError(ErrorCode.INVALID_PHONE, "invalid phone number")
    if errors:
        raise ValidationFailed(errors)

    config = current()
    started = time.perf_counter()
    business = db.session.get(Business, business_id)
    settings = business_settings(business)
    customer = (find_customer_by_phone(business_id, caller) or db.session.scalar(
        select(Customer).where(Customer.business_id == business_id, Customer.phone == caller))) if caller else None
    # build_context reads only these fields of a call: the try needs no CallLog row.
    call = SimpleNamespace(business_id=business_id, customer_id=customer.id if customer else None, state={})
    ctx = build_context(call, transcript=text if audio is None else None, dry_run=True)
    names = pipeline.provider_names(config, settings)
    result = pipeline.TurnResult()
    if audio is not None:
        if not pipeline.transcribe(config, audio, result, names, filename=filename, label="try"):
            result.reply = result.say
    else:
        result.transcript = text.strip()
    if result.transcript:
        pipeline.respond(config, result.transcript, ctx, settings, result, names, base_url, label="try")
    result.latencies["total_ms"] = pipeline.ms(started)
    data = result.to_dict()
    data["timings"] = data["latencies"]
    data["actions"] = result.actions
    data["customer"] = {"id": customer.id, "name": customer.name} if customer else None
    return data
