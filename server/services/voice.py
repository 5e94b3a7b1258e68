"""Phone calls: the CallLog of every call, and one agent turn (record → transcribe →
answer → speak) with a visible fallback at every step (seed section 2).

Every step that fails is logged and kept on the turn (`fallbacks`), and the caller still
hears something: the seed's Hebrew prompts below are the contract.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from server.extensions import db
from server.models import CallLog, CallTurn
from server.models.base import utcnow
from server.phones import try_normalize_phone
from server.providers.errors import ProviderError
from server.services.realtime import publish

log = logging.getLogger(__name__)

SAY_NO_RECORDING = "סליחה, לא קיבלתי הקלטה. איך אפשר לעזור?"
SAY_DOWNLOAD_FAILED = "תקלה זמנית בהורדת ההקלטה. כיצד לעזור?"
SAY_NOT_UNDERSTOOD = "לא הצלחתי להבין את ההקלטה. איך לעזור?"
REPLY_FALLBACK = "קיבלתי את הבקשה. לבצע כעת?"
SAY_LAST_RESORT = "אוקיי. רשמתי לפני. איך עוד לעזור?"

FINAL_STATUSES = ("completed", "busy", "no-answer", "canceled", "failed")
STATUS_RANK = {"queued": 0, "initiated": 1, "ringing": 2, "in-progress": 3, **{s: 4 for s in FINAL_STATUSES}}


@dataclass
class TurnOutcome:
    """What the caller hears: a <Play> of `play_url`, else a <Say> of `say`."""
    say: str | None = None
    play_url: str | None = None
    turn_id: int | None = None
    fallbacks: list[dict] = field(default_factory=list)


# ---- the call log ----------------------------------------------------------------------

def _find_call(call_sid: str) -> CallLog | None:
    return db.session.scalar(select(CallLog).where(CallLog.call_sid == call_sid))


def _get_or_create_call(form: dict) -> CallLog | None:
    """The call by its CallSid, created (business by To, customer by From) on first sight."""
    from server.services.businesses import business_for_number
    from server.services.customers import find_customer_by_phone, find_or_create_lead

    call_sid = (form.get("CallSid") or "").strip()
    if not call_sid or len(call_sid) > 64:
        return None
    call = _find_call(call_sid)
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
        return _find_call(call_sid)
    return call


def start_call(form: dict) -> CallLog | None:
    """incoming_call: the CallLog is written before the caller hears anything."""
    call = _get_or_create_call(form)
    if call is None:
        log.warning("incoming_call without a usable CallSid: not logged")
        return None
    db.session.commit()
    publish(call.business_id, "call.updated", call.to_dict())
    log.info("call %s started (business=%s customer=%s)", call.call_sid, call.business_id, call.customer_id)
    return call


def update_status(values: dict) -> CallLog | None:
    """call_status: idempotent; a finished call never moves back to an earlier status."""
    status = (values.get("CallStatus") or "").strip().lower()
    call = _get_or_create_call(values)
    if call is None:
        return None
    changed = False
    if status in STATUS_RANK:
        current = STATUS_RANK.get(call.status, 0)
        if call.status not in FINAL_STATUSES and STATUS_RANK[status] > current:
            call.status = status
            changed = True
            if status in FINAL_STATUSES:
                call.ended_at = utcnow()
    duration = (values.get("CallDuration") or "").strip()
    if duration.isdigit() and call.duration_seconds is None and call.status in FINAL_STATUSES:
        call.duration_seconds = int(duration)
        changed = True
    db.session.commit()
    if changed:
        publish(call.business_id, "call.updated", call.to_dict())
    return call


# ---- one agent turn --------------------------------------------------------------------

def _ms(started: float) -> int:
    return int(round((time.perf_counter() - started) * 1000))


def _fallback(fallbacks: list, stage: str, reason: str, call_sid: str | None) -> None:
    fallbacks.append({"stage": stage, "reason": reason})
    log.warning("call %s: %s fell back (%s)", call_sid, stage, reason)


def _history(call: CallLog) -> list[dict]:
    return [{"caller": t.transcript or "", "agent": t.reply or ""} for t in call.turns if t.transcript or t.reply]


def handle_recording(form: dict, base_url: str) -> TurnOutcome:
    """Run one turn; never raises: whatever breaks, the caller hears a Hebrew sentence."""
    try:
        return _handle_recording(form, base_url)
    except Exception:  # noqa: BLE001 - a database outage must still answer TwiML
        log.exception("handle_recording failed for call %s", form.get("CallSid"))
        db.session.rollback()
        return TurnOutcome(say=SAY_LAST_RESORT, fallbacks=[{"stage": "server", "reason": "internal error"}])


def _handle_recording(form: dict, base_url: str) -> TurnOutcome:
    from server.providers.asr import get_asr
    from server.providers.recordings import download_recording
    from server.providers.reply import get_reply
    from server.providers.reply.offline import OfflineResponder
    from server.providers.storage import save_audio
    from server.providers.tts import get_tts
    from server.services.agent_context import apply_actions, build_context

    config = current_app.config
    started = time.perf_counter()
    call = _get_or_create_call(form)
    call_sid = call.call_sid if call else None
    db.session.commit()  # the call exists before the slow work; no write lock is held meanwhile

    recording_url = (form.get("RecordingUrl") or "").strip()
    latencies: dict[str, int] = {}
    fallbacks: list[dict] = []
    turn = CallTurn(recording_url=recording_url or None, status="ready")
    outcome = TurnOutcome()

    def finish() -> TurnOutcome:
        latencies["total_ms"] = _ms(started)
        turn.latencies = latencies
        turn.fallbacks = fallbacks
        outcome.fallbacks = fallbacks
        if call is not None:
            turn.call_id = call.id
            turn.index = (db.session.scalar(select(func.count()).select_from(CallTurn)
                                            .where(CallTurn.call_id == call.id)) or 0)
            if recording_url and not call.recording_url:
                call.recording_url = recording_url
            db.session.add(turn)
            db.session.commit()
            outcome.turn_id = turn.id
            publish(call.business_id, "call.updated", call.to_dict())
        return outcome

    if not recording_url:
        _fallback(fallbacks, "recording", "no RecordingUrl", call_sid)
        turn.status = "failed"
        outcome.say = SAY_NO_RECORDING
        return finish()

    t = time.perf_counter()
    try:
        audio = download_recording(recording_url, config)
    except ProviderError as exc:
        latencies["download_ms"] = _ms(t)
        _fallback(fallbacks, "download", exc.reason, call_sid)
        turn.status = "failed"
        outcome.say = SAY_DOWNLOAD_FAILED
        return finish()
    latencies["download_ms"] = _ms(t)

    t = time.perf_counter()
    try:
        asr = get_asr(config)
        turn.asr_provider = asr.name
        transcript = asr.transcribe(audio, filename="recording.mp3").text
        if not transcript.strip():
            raise ProviderError(asr.name, "nothing intelligible")
    except ProviderError as exc:
        latencies["asr_ms"] = _ms(t)
        _fallback(fallbacks, "asr", exc.reason, call_sid)
        turn.status = "failed"
        outcome.say = SAY_NOT_UNDERSTOOD
        return finish()
    latencies["asr_ms"] = _ms(t)
    turn.transcript = transcript

    t = time.perf_counter()
    ctx = build_context(call, _history(call)) if call is not None else None
    if ctx is None:
        from server.providers.reply import CallerContext
        ctx = CallerContext()
    reply_text = None
    try:
        generator = get_reply(config)
        turn.reply_provider = generator.name
        result = generator.reply(transcript, ctx)
        reply_text = result.text
    except ProviderError as exc:
        _fallback(fallbacks, "reply", exc.reason, call_sid)
        result = None
        if turn.reply_provider != "offline":
            # The offline responder needs no network: it answers when the cloud cannot.
            try:
                result = OfflineResponder(config).reply(transcript, ctx)
                reply_text = result.text
                turn.reply_provider = "offline"
            except Exception as inner:  # noqa: BLE001
                _fallback(fallbacks, "reply", f"offline: {inner.__class__.__name__}", call_sid)
        if result is None:
            reply_text = REPLY_FALLBACK
            turn.reply_provider = "fixed"
    latencies["reply_ms"] = _ms(t)
    if result is not None:
        turn.intents = result.intents
        if call is not None and result.actions:
            turn.tool_calls = [{"name": "create_callback_task", "result": done}
                               for done in apply_actions(call, result.actions)]
    turn.reply = reply_text

    t = time.perf_counter()
    try:
        tts = get_tts(config)
        turn.tts_provider = tts.name
        spoken = tts.synthesize(reply_text)
        stored = save_audio(config, spoken.data, spoken.ext, base_url)
        turn.audio_url = stored.url
        outcome.play_url = stored.url
    except (ProviderError, OSError) as exc:
        reason = exc.reason if isinstance(exc, ProviderError) else f"storage: {exc.__class__.__name__}"
        _fallback(fallbacks, "tts", reason, call_sid)
        # Twilio's own <Say> speaks the reply; the seed's sentence only if there is none.
        outcome.say = reply_text or SAY_LAST_RESORT
    latencies["tts_ms"] = _ms(t)
    return finish()


# ---- shipped prompts and stored audio --------------------------------------------------

WELCOME_TEXT = "שלום, הגעתם למענה הקולי. אחרי הצפצוף ספרו לנו במה אפשר לעזור, ובסיום הקישו כוכבית."


def make_welcome(path: str, text: str = WELCOME_TEXT, provider: str | None = None) -> int:
    """Write the greeting Twilio plays before the first <Record>, with the project's own TTS."""
    from pathlib import Path

    from server.providers.tts import get_tts
    from server.providers.tts.espeak import wav_to_mp3

    spoken = get_tts(current_app.config, provider).synthesize(text)
    data = spoken.data if spoken.ext == "mp3" else wav_to_mp3(spoken.data)
    if not data:
        raise RuntimeError("MP3 encoding needs ffmpeg (apt-get install ffmpeg)")
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    return len(data)


def cleanup_audio() -> int:
    from server.providers.storage import cleanup
    removed = cleanup(current_app.config)
    log.info("removed %d voice audio files past retention", removed)
    return removed
