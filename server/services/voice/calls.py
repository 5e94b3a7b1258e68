"""A phone call's CallLog: created when Twilio announces the call (business by To, customer by
From), its status callbacks, the business's settings for it, and its end (the summary job).
Also the shipped welcome recording and the hourly cleanup of reply audio.
"""
from __future__ import annotations

import logging
import re

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from server import jobs
from server.config import current
from server.extensions import db
from server.models import CallLog
from server.models.base import utcnow
from server.phones import try_normalize_phone
from server.schemas.settings import BusinessSettings
from server.services.realtime import publish
from server.services.voice import policy
from server.services.voice.prompts import WELCOME_TEXT

log = logging.getLogger(__name__)

FINAL_STATUSES = ("completed", "busy", "no-answer", "canceled", "failed")
STATUS_RANK = {"queued": 0, "initiated": 1, "ringing": 2, "in-progress": 3, **{s: 4 for s in FINAL_STATUSES}}


# ---- the call log ----------------------------------------------------------------------

def find_call(call_sid: str) -> CallLog | None:
    return db.session.scalar(select(CallLog).where(CallLog.call_sid == call_sid))


_CALL_SID = re.compile(r"[A-Za-z0-9_-]{1,64}")


def safe_sid(form: dict) -> str | None:
    """The form's CallSid when it looks like one (Twilio's are CA + 32 hex): a forged,
    huge or undecodable value is never stored, logged or looked up."""
    call_sid = (form.get("CallSid") or "").strip()
    return call_sid if _CALL_SID.fullmatch(call_sid) else None


def get_or_create_call(form: dict) -> CallLog | None:
    """The call by its CallSid, created (business by To, customer by From) on first sight."""
    from server.services.businesses import business_for_number
    from server.services.customers.crud import find_customer_by_phone, find_or_create_lead

    call_sid = safe_sid(form)
    if call_sid is None:
        return None
    call = find_call(call_sid)
    if call is not None:
        return call
    from_e164 = try_normalize_phone(form.get("From"))
    to_e164 = try_normalize_phone(form.get("To"))
    business = business_for_number("voice", form.get("To"))
    call = CallLog(call_sid=call_sid, from_number=from_e164 or (form.get("From") or None),
                   to_number=to_e164 or (form.get("To") or None), direction=form.get("Direction") or "inbound",
                   status="in-progress", started_at=utcnow(), state={})
    if business is not None:
        call.business_id = business.id
        customer = find_customer_by_phone(business.id, from_e164) if from_e164 else None
        if customer is None and from_e164:
            customer = find_or_create_lead(business.id, from_e164, None, source="call")
            call.state = {"new_lead": True}
        if customer is not None:
            call.customer_id = customer.id
    try:
        with db.session.begin_nested():
            db.session.add(call)
    except IntegrityError:  # Twilio retried and the first request won the race
        return find_call(call_sid)
    return call


def start_call(form: dict) -> CallLog | None:
    """incoming_call: the CallLog is written before the caller hears anything. With the
    database down the call still goes on (None: not logged) — a 503 would make Twilio play
    its own English error and hang up; the turn's webhook retries the log."""
    try:
        call = get_or_create_call(form)
        if call is None:
            log.warning("incoming_call without a usable CallSid: not logged")
            return None
        db.session.commit()
    except SQLAlchemyError as exc:
        db.session.rollback()
        log.error("incoming_call %s: database unavailable, call not logged (%s)",
                  safe_sid(form), exc.__class__.__name__)
        return None
    publish(call.business_id, "call.updated", call.to_dict())
    log.info("call %s started (business=%s customer=%s)", call.call_sid, call.business_id, call.customer_id)
    return call


def update_status(values: dict) -> CallLog | None:
    """call_status: idempotent; a finished call never moves back to an earlier status."""
    status = (values.get("CallStatus") or "").strip().lower()
    call = get_or_create_call(values)
    if call is None:
        return None
    changed = ended = False
    if status in STATUS_RANK:
        current = STATUS_RANK.get(call.status, 0)
        if call.status not in FINAL_STATUSES and STATUS_RANK[status] > current:
            call.status = status
            changed = True
            if status in FINAL_STATUSES:
                call.ended_at = utcnow()
                ended = True
    duration = (values.get("CallDuration") or "").strip()
    if duration.isdigit() and call.duration_seconds is None and call.status in FINAL_STATUSES:
        call.duration_seconds = int(duration)
        changed = True
    db.session.commit()
    if changed:
        publish(call.business_id, "call.updated", call.to_dict())
        if call.status in FINAL_STATUSES and call.turns:
            end_call(call, "caller")
    if ended and call.business_id is not None:
        _queue_follow_up(call)
    return call


def _queue_follow_up(call: CallLog) -> None:
    """The missed-call automation decides in its job whether this call had a conversation."""
    try:
        jobs.enqueue("automations.missed_call_task", call.id)
    except Exception:  # noqa: BLE001 - a queue outage must not fail Twilio's status callback
        log.exception("call %s: could not queue the missed-call follow-up", call.call_sid)


def business_settings(call: CallLog | None) -> BusinessSettings:
    """The typed settings of the call's business (every default for a call of no business)."""
    if call is None or call.business_id is None:
        return BusinessSettings()
    from server.models import Business
    return BusinessSettings.from_stored(getattr(db.session.get(Business, call.business_id), "settings", None))


# ---- the end of a call ------------------------------------------------------------------

def end_call(call: CallLog, reason: str) -> None:
    """The agent ended the call (or handed it over): remember why, and summarise it."""
    if not (call.state or {}).get("ended_by"):
        call.state = {**(call.state or {}), "ended_by": reason}
        db.session.commit()
    try:
        jobs.enqueue("voice.summarize_call_task", call.id)
    except Exception:  # noqa: BLE001 - a queue outage must not cost the caller the goodbye
        log.exception("call %s: could not queue the summary", call.call_sid)


def greeting_for(call: CallLog | None) -> tuple[str | None, str | None]:
    """(recording notice, custom greeting) for a business's call; nothing for an unknown number."""
    if call is None or call.business_id is None:
        return None, None
    settings = business_settings(call)
    return policy.recording_notice(settings), policy.greeting(settings)


# ---- shipped prompts and stored audio --------------------------------------------------

def make_welcome(path: str, text: str = WELCOME_TEXT, provider: str | None = None) -> int:
    """Write the greeting Twilio plays before the first <Record>, with the project's own TTS."""
    from pathlib import Path

    from server.providers.tts import get_tts
    from server.providers.tts.espeak import wav_to_mp3

    spoken = get_tts(current(), provider).synthesize(text)
    data = spoken.data if spoken.ext == "mp3" else wav_to_mp3(spoken.data)
    if not data:
        raise RuntimeError("MP3 encoding needs ffmpeg (apt-get install ffmpeg)")
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    return len(data)


def cleanup_audio() -> int:
    from server.providers.storage import cleanup
    removed = cleanup(current())
    log.info("removed %d voice audio files past retention", removed)
    return removed

