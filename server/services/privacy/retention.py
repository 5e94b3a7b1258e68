"""Retention: how long each business keeps recordings, transcripts and WhatsApp texts.

Per-business settings (Business.settings), in days; a missing or invalid value means the
default below. A nightly job (server/tasks/privacy.py) purges exactly what is older than
that: the content goes, the record that a call or message happened stays.

| key                            | purges                                                     | default |
| retention_days_recordings      | recording links and agent audio links of calls, the audio  | 90      |
|                                | files under MEDIA_DIR, and the recordings held at Twilio   |         |
| retention_days_transcripts     | call transcripts, agent replies, tool calls, call summaries| 365     |
| retention_days_messages        | WhatsApp message bodies and template variables             | 365     |
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import or_, select

from server.extensions import db
from server.models import Business, CallLog, CallTurn, WhatsAppMsg
from server.models.base import utcnow
from server.services import audit
from server.services.privacy import media

log = logging.getLogger(__name__)

DEFAULTS = {
    "retention_days_recordings": 90,
    "retention_days_transcripts": 365,
    "retention_days_messages": 365,
}
MAX_DAYS = 3650


def retention_days(settings: dict | None) -> dict[str, int]:
    """The business's periods, defaults filling anything missing or not a whole number of days ≥ 1."""
    settings = settings or {}
    days = {}
    for key, default in DEFAULTS.items():
        value = settings.get(key)
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_DAYS:
            if value is not None:
                log.warning("retention: invalid %s=%r, using the default %s days", key, value, default)
            value = default
        days[key] = value
    return days


def _calls_before(business_id: int | None, cutoff: datetime):
    owner = CallLog.business_id.is_(None) if business_id is None else CallLog.business_id == business_id
    return select(CallLog).where(owner, CallLog.started_at < cutoff)


def purge_business(business_id: int | None, settings: dict | None, now: datetime | None = None) -> dict:
    """Purge one business's expired content (None: calls and messages of no business). Commits."""
    now = now or utcnow()
    days = retention_days(settings)
    cutoff = {key: now - timedelta(days=value) for key, value in days.items()}
    counts = {"recordings": 0, "transcripts": 0, "messages": 0, "audio_files": 0}
    media_dir = current_app.config["MEDIA_DIR"]

    calls = db.session.scalars(_calls_before(business_id, cutoff["retention_days_recordings"])
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

    calls = db.session.scalars(_calls_before(business_id, cutoff["retention_days_transcripts"])
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

    owner = WhatsAppMsg.business_id.is_(None) if business_id is None else WhatsAppMsg.business_id == business_id
    messages = db.session.scalars(select(WhatsAppMsg).where(
        owner, WhatsAppMsg.created_at < cutoff["retention_days_messages"],
        or_(WhatsAppMsg.body.is_not(None), WhatsAppMsg.template_variables.is_not(None)))).all()
    for message in messages:
        message.body = None
        message.template_variables = None
        counts["messages"] += 1

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
        from server.tasks.privacy import delete_remote_recordings_task
        delete_remote_recordings_task(business_id, None, [url for _, url in remote])
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
