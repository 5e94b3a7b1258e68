"""Retention: how long each business keeps recordings, transcripts, messages and callers'
numbers.

Set through the businesses API as `settings.retention`: one number of days for
everything, or an object with any of the keys below (1..36500 days each); whatever is
not set takes the default. A nightly job (server/tasks/privacy.py) purges exactly what is
older than that: the content goes, the record that a call or message happened stays.

| key               | purges                                                          | default |
| recordings_days   | recording and agent-audio links of calls, the audio files under | 90      |
|                   | MEDIA_DIR, and the recordings held at Twilio                    |         |
| transcripts_days  | call transcripts, agent replies, tool calls, call summaries     | 365     |
| messages_days     | WhatsApp message bodies, template variables, media links, error | 365     |
|                   | text and the person's number (the business's own number stays); |         |
|                   | attachments: their files, transcripts and file names            |         |
| calls_days        | the caller's number and the conversation state on call records  | 730     |
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select

from server import jobs
from server.config import current
from server.extensions import db
from server.models import Business, CallLog, CallTurn, WhatsAppMsg
from server.models.base import utcnow
from server.schemas.settings import MAX_RETENTION_DAYS, BusinessSettings, RetentionDays, as_settings
from server.services import audit
from server.services.privacy import media, scope
from server.services.whatsapp_media import erase_media, messages_with_media_before

log = logging.getLogger(__name__)

DEFAULTS = RetentionDays.model_construct().model_dump()  # the defaults live with the setting (schemas/settings)
MAX_DAYS = MAX_RETENTION_DAYS


def retention_days(settings: BusinessSettings | dict | None) -> dict[str, int]:
    """The business's periods from `settings.retention`; defaults fill anything unset or invalid
    (an invalid stored value is logged and ignored by the settings model)."""
    return as_settings(settings).retention_days


def _calls_before(business_id: int | None, cutoff: datetime):
    owner = CallLog.business_id.is_(None) if business_id is None else CallLog.business_id == business_id
    return select(CallLog).where(owner, CallLog.started_at < cutoff)


def purge_business(business_id: int | None, settings: BusinessSettings | dict | None,
                   now: datetime | None = None) -> dict:
    """Purge one business's expired content (None: calls and messages of no business). Commits."""
    now = now or utcnow()
    days = retention_days(settings)
    cutoff = {key: now - timedelta(days=value) for key, value in days.items()}
    counts = {"recordings": 0, "transcripts": 0, "messages": 0, "call_numbers": 0, "audio_files": 0}
    media_dir = current().app.media_dir

    calls = db.session.scalars(_calls_before(business_id, cutoff["recordings_days"])
                               .where(or_(CallLog.recording_url.is_not(None),
                                          CallLog.turns.any(or_(CallTurn.recording_url.is_not(None),
                                                                CallTurn.audio_url.is_not(None)))))).all()
    local_files, remote = media.call_audio(calls, media_dir)
    for call in calls:
        call.recording_url = None
        for turn in call.turns:
            if turn.recording_url or turn.audio_url:
                counts["recordings"] += 1
            turn.recording_url = None
            turn.audio_url = None

    calls = db.session.scalars(_calls_before(business_id, cutoff["transcripts_days"])
                               .where(or_(CallLog.summary.is_not(None),
                                          CallLog.turns.any(or_(CallTurn.transcript.is_not(None),
                                                                CallTurn.reply.is_not(None)))))).all()
    for call in calls:
        call.summary = None
        for turn in call.turns:
            if turn.transcript or turn.reply:
                counts["transcripts"] += 1
            turn.transcript = None
            turn.reply = None
            turn.tool_calls = []

    own_numbers = scope.business_numbers(db.session.get(Business, business_id) if business_id else None)
    keep = sorted(own_numbers) or [""]
    calls = db.session.scalars(_calls_before(business_id, cutoff["calls_days"]).where(or_(
        and_(CallLog.from_number.is_not(None), CallLog.from_number.not_in(keep)),
        and_(CallLog.to_number.is_not(None), CallLog.to_number.not_in(keep))))).all()
    for call in calls:
        changed = False
        for attr in ("from_number", "to_number"):
            number = getattr(call, attr)
            if number and number not in own_numbers:
                setattr(call, attr, None)
                changed = True
        if changed or call.state:
            call.state = {}
            counts["call_numbers"] += changed

    owner = WhatsAppMsg.business_id.is_(None) if business_id is None else WhatsAppMsg.business_id == business_id
    # The row stays (it counts on the dashboard and the timeline); what it says and who
    # it was with go: the person's number is personal data as much as the text.
    messages = db.session.scalars(select(WhatsAppMsg).where(
        owner, WhatsAppMsg.created_at < cutoff["messages_days"],
        or_(WhatsAppMsg.body.is_not(None), WhatsAppMsg.template_variables.is_not(None),
            WhatsAppMsg.error.is_not(None),
            and_(WhatsAppMsg.from_number.is_not(None), WhatsAppMsg.from_number.not_in(keep)),
            and_(WhatsAppMsg.to_number.is_not(None), WhatsAppMsg.to_number.not_in(keep))))).all()
    for message in messages:
        message.body = None
        message.template_variables = None
        message.error = None  # a provider's error text may quote the number
        message.flags = {k: v for k, v in (message.flags or {}).items() if k != "media"}
        for attr in ("from_number", "to_number"):
            if getattr(message, attr) not in own_numbers:
                setattr(message, attr, None)
        counts["messages"] += 1

    # Attachments (voice notes, photos, documents, transcripts) go with the message text.
    media_counts = erase_media(messages_with_media_before(business_id, cutoff["messages_days"]))
    if media_counts["media"]:
        counts["media"] = media_counts["media"]
        counts["media_files"] = media_counts["media_files"]

    db.session.flush()
    for _, path in local_files:
        try:
            if path.exists():
                path.unlink()
                counts["audio_files"] += 1
        except OSError as exc:
            log.warning("retention: could not delete an audio file (%s)", exc.__class__.__name__)
    if any(counts.values()):
        with audit.acting_as(None):
            audit.record("retention_purge", "business" if business_id else None, business_id,
                         business_id=business_id,
                         details={**counts, "remote_recordings": len(remote), "days": days})
        log.info("retention purge for business %s: %s", business_id, counts)
    db.session.commit()
    if remote:
        jobs.enqueue("privacy.delete_remote_recordings_task", business_id, None, [url for _, url in remote])
    return counts


def purge_all(now: datetime | None = None) -> dict:
    """Every business (deleted ones included: their data ages out too), then orphan rows."""
    from server.services.privacy.export import purge_expired_exports

    results = {}
    for business_id, settings in db.session.execute(select(Business.id, Business.settings).order_by(Business.id)):
        results[business_id] = purge_business(business_id, settings, now)
    results[None] = purge_business(None, None, now)
    results["exports_expired"] = purge_expired_exports(now)
    return results
