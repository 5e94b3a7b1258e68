"""Phone calls: the CallLog of every call, and the conversation — turns (record → transcribe
→ answer → speak) with a visible fallback at every step (seed section 2), the deadline and
hold path, transfer to a person, the recording notice and the end of the call (issue 8).

Every step that fails is logged and kept on the turn (`fallbacks`), and the caller still
hears something: the seed's Hebrew prompts below are the contract.
"""
from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from server import jobs
from server.extensions import db
from server.models import CallLog, CallTurn
from server.models.base import utcnow
from server.phones import try_normalize_phone
from server.providers.errors import ProviderError
from server.services.agent_pipeline import REPLY_FALLBACK, SAY_LAST_RESORT, SAY_NOT_UNDERSTOOD, SAY_TRANSFER  # noqa: F401
from server.services.agent_pipeline import ms as _ms
from server.services.realtime import publish

log = logging.getLogger(__name__)

SAY_NO_RECORDING = "סליחה, לא קיבלתי הקלטה. איך אפשר לעזור?"
SAY_DOWNLOAD_FAILED = "תקלה זמנית בהורדת ההקלטה. כיצד לעזור?"
# The seed's other sentences (REPLY_FALLBACK, SAY_LAST_RESORT, SAY_NOT_UNDERSTOOD) live with
# the pipeline that says them, imported above.
# Multi-turn conversation (issue 8).
SAY_HOLD = "רגע אחד, אני בודק."
SAY_DELAYED = "סליחה, התשובה מתעכבת. אפשר לשאול שוב אחרי הצפצוף."
SAY_GOODBYE = "תודה שהתקשרת, יום טוב!"
SAY_TURN_LIMIT = "הגענו לסוף השיחה. תודה שהתקשרת, יום טוב!"
SAY_NO_PERSON = "אין כרגע נציג זמין. רשמתי בקשה שנחזור אליך בהקדם."
SAY_LEAVE_MESSAGE = "הנציג לא זמין כרגע. השאירו הודעה אחרי הצפצוף ונחזור אליכם."
SAY_MESSAGE_TAKEN = "תודה, ההודעה נשמרה ונחזור אליכם בהקדם. להתראות!"
RECORDING_NOTICE = "לידיעתך, השיחה מוקלטת לצורך שיפור השירות."
DEFAULT_TURN_LIMIT = 10
DEFAULT_TRANSFER_TIMEOUT = 20
# Keys that end a follow-up <Record>: * done speaking, 0 a person, # end the call.
KEY_PERSON, KEY_END = "0", "#"

FINAL_STATUSES = ("completed", "busy", "no-answer", "canceled", "failed")
STATUS_RANK = {"queued": 0, "initiated": 1, "ringing": 2, "in-progress": 3, **{s: 4 for s in FINAL_STATUSES}}


@dataclass
class TurnOutcome:
    """What the caller hears: a <Play> of `play_url`, else a <Say> of `say`; then `next`:
    record (the conversation goes on), hangup (after `closing`), transfer (<Dial>) or
    redirect (the answer is not ready yet: `redirect_url` plays it)."""
    say: str | None = None
    play_url: str | None = None
    turn_id: int | None = None
    fallbacks: list[dict] = field(default_factory=list)
    next: str = "record"
    closing: str | None = None
    redirect_url: str | None = None
    transfer_number: str | None = None
    transfer_timeout: int = DEFAULT_TRANSFER_TIMEOUT


# ---- the call log ----------------------------------------------------------------------

def _find_call(call_sid: str) -> CallLog | None:
    return db.session.scalar(select(CallLog).where(CallLog.call_sid == call_sid))


_CALL_SID = re.compile(r"[A-Za-z0-9_-]{1,64}")


def _safe_sid(form: dict) -> str | None:
    """The form's CallSid when it looks like one (Twilio's are CA + 32 hex): a forged,
    huge or undecodable value is never stored, logged or looked up."""
    call_sid = (form.get("CallSid") or "").strip()
    return call_sid if _CALL_SID.fullmatch(call_sid) else None


def _get_or_create_call(form: dict) -> CallLog | None:
    """The call by its CallSid, created (business by To, customer by From) on first sight."""
    from server.services.businesses import business_for_number
    from server.services.customers import find_customer_by_phone, find_or_create_lead

    call_sid = _safe_sid(form)
    if call_sid is None:
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
    """incoming_call: the CallLog is written before the caller hears anything. With the
    database down the call still goes on (None: not logged) — a 503 would make Twilio play
    its own English error and hang up; the turn's webhook retries the log."""
    try:
        call = _get_or_create_call(form)
        if call is None:
            log.warning("incoming_call without a usable CallSid: not logged")
            return None
        db.session.commit()
    except SQLAlchemyError as exc:
        db.session.rollback()
        log.error("incoming_call %s: database unavailable, call not logged (%s)",
                  _safe_sid(form), exc.__class__.__name__)
        return None
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
        if call.status in FINAL_STATUSES and call.turns:
            end_call(call, "caller")
    return call


# ---- one agent turn --------------------------------------------------------------------
#
# A turn is a CallTurn row written before the slow work starts (status pending). A thread
# of this process claims it (pending → working) and runs the stages while the webhook
# waits up to VOICE_TURN_DEADLINE. Late answers are not lost: the webhook says a hold line
# and <Redirect>s to /webhook/turn_result, which plays the turn when it is ready; a job in
# the queue (and any later redirect) takes over a claim that went stale because the
# process died, so every recorded turn is answered once.

PENDING = ("pending", "working")
FAILED_SAY = {"recording": SAY_NO_RECORDING, "download": SAY_DOWNLOAD_FAILED, "asr": SAY_NOT_UNDERSTOOD}


def business_settings(call: CallLog | None) -> dict:
    if call is None or call.business_id is None:
        return {}
    from server.models import Business
    business = db.session.get(Business, call.business_id)
    return dict(business.settings or {}) if business is not None else {}


def _history(call: CallLog, before_index: int | None = None) -> list[dict]:
    return [{"caller": t.transcript or "", "agent": t.reply or ""} for t in call.turns
            if (t.transcript or t.reply) and t.status not in PENDING
            and (before_index is None or t.index < before_index)]


def handle_recording(form: dict, base_url: str) -> TurnOutcome:
    """Run one turn; never raises: whatever breaks, the caller hears a Hebrew sentence."""
    try:
        return _handle_recording(form, base_url)
    except Exception:  # noqa: BLE001 - a database outage must still answer TwiML
        log.exception("handle_recording failed for call %s", _safe_sid(form))
        db.session.rollback()
        return TurnOutcome(say=SAY_LAST_RESORT, fallbacks=[{"stage": "server", "reason": "internal error"}])


def _new_turn(call: CallLog, **fields) -> CallTurn:
    index = db.session.scalar(select(func.count()).select_from(CallTurn).where(CallTurn.call_id == call.id)) or 0
    turn = CallTurn(call_id=call.id, index=index, **fields)
    db.session.add(turn)
    return turn


def _handle_recording(form: dict, base_url: str) -> TurnOutcome:
    from server.services.turn_runner import run_with_deadline, schedule_guard

    config = current_app.config
    started = time.perf_counter()
    call = _get_or_create_call(form)
    db.session.commit()  # the call exists before the slow work; no write lock is held meanwhile
    digits = (form.get("Digits") or "").strip()
    recording_url = (form.get("RecordingUrl") or "").strip()
    end_requested = digits in (KEY_END, "hangup")
    if call is not None and digits == KEY_PERSON:
        return transfer_outcome(call, business_settings(call), via="key")

    if call is None:
        # No CallSid (the seed's curl smoke test): one turn, answered inline, nothing kept.
        result = run_stages(config, recording_url, None, {}, base_url)
        return TurnOutcome(play_url=result.audio_url, say=None if result.audio_url else result.say,
                           fallbacks=result.fallbacks)

    if not recording_url:
        log.warning("call %s: recording fell back (no RecordingUrl)", call.call_sid)
        turn = _new_turn(call, status="failed", fallbacks=[{"stage": "recording", "reason": "no RecordingUrl"}],
                         latencies={"total_ms": _ms(started)})
        db.session.commit()
        publish(call.business_id, "call.updated", call.to_dict())
        return outcome_for(turn, end_requested)

    turn = _new_turn(call, recording_url=recording_url, status="pending")
    if not call.recording_url:
        call.recording_url = recording_url
    db.session.commit()
    turn_id = turn.id
    deadline = float(config.get("VOICE_TURN_DEADLINE") or 9)
    if not run_with_deadline(turn_id, base_url, started, deadline):
        log.info("call %s turn %s: not ready after %.1f s, holding", call.call_sid, turn_id, deadline)
        schedule_guard(turn_id, base_url)
        return hold_outcome(turn_id, 1, end_requested)
    db.session.expire_all()  # the runner thread wrote the turn
    return outcome_for(db.session.get(CallTurn, turn_id), end_requested)


def run_stages(config: dict, recording_url: str, call: CallLog | None, settings: dict, base_url: str):
    """download → transcribe → answer → speak for one recording (see agent_pipeline)."""
    from server.providers.recordings import download_recording
    from server.services import agent_pipeline as pipeline
    from server.services.agent_context import apply_actions, build_context

    label = f"call {call.call_sid}" if call is not None else "call"
    result = pipeline.TurnResult()
    if not recording_url:
        pipeline.add_fallback(result, "recording", "no RecordingUrl", label)
        result.failed, result.say = True, SAY_NO_RECORDING
        return result
    t = time.perf_counter()
    try:
        audio = download_recording(recording_url, config)
    except ProviderError as exc:
        result.latencies["download_ms"] = _ms(t)
        pipeline.add_fallback(result, "download", exc.reason, label)
        result.failed, result.say = True, SAY_DOWNLOAD_FAILED
        return result
    result.latencies["download_ms"] = _ms(t)
    names = pipeline.provider_names(config, settings)
    if not pipeline.transcribe(config, audio, result, names, label=label):
        return result
    if call is not None:
        try:
            ctx = build_context(call, _history(call, before_index=_current_index(call)), result.transcript)
        except Exception as exc:  # noqa: BLE001 - a database error: the seed's reply, still spoken
            log.exception("%s: cannot read the caller's CRM context", label)
            db.session.rollback()
            pipeline.add_fallback(result, "reply", f"context: {exc.__class__.__name__}", label)
            pipeline.fixed_reply(result)
            pipeline.speak(config, result.reply, result, names, base_url, label)
            return result
        pipeline.respond(config, result.transcript, ctx, settings, result, names, base_url, label,
                         apply=lambda actions: apply_actions(call, actions))
    else:
        from server.providers.reply import CallerContext
        pipeline.respond(config, result.transcript, CallerContext(), settings, result, names, base_url, label)
    return result


def _current_index(call: CallLog) -> int | None:
    pending = [t.index for t in call.turns if t.status in PENDING]
    return max(pending) if pending else None


def process_turn(turn_id: int, base_url: str, started: float | None = None) -> bool:
    """Claim the turn and run it; False when another runner holds a live claim or it is done."""
    from server.services.turn_runner import claim_turn

    if not claim_turn(turn_id):
        return False
    started = started if started is not None else time.perf_counter()
    turn = db.session.get(CallTurn, turn_id)
    call = turn.call
    try:
        result = run_stages(current_app.config, turn.recording_url or "", call, business_settings(call), base_url)
    except Exception:  # noqa: BLE001 - the caller must hear something, and the turn must not stay pending
        log.exception("call %s turn %s failed", call.call_sid, turn_id)
        db.session.rollback()
        from server.services.agent_pipeline import TurnResult
        result = TurnResult(failed=True, say=SAY_LAST_RESORT, fallbacks=[{"stage": "server", "reason": "internal error"}])
        turn = db.session.get(CallTurn, turn_id)
        call = turn.call
    turn.transcript = result.transcript
    turn.reply = result.reply
    turn.audio_url = result.audio_url
    turn.asr_provider = result.providers.get("asr")
    turn.reply_provider = result.providers.get("reply")
    turn.tts_provider = result.providers.get("tts")
    turn.latencies = {**result.latencies, "total_ms": _ms(started)}
    # A redirect that gave up waiting left its own note: keep it.
    turn.fallbacks = [f for f in (turn.fallbacks or []) if f.get("stage") == "deadline"] + result.fallbacks
    turn.intents = result.intents
    turn.tool_calls = result.tool_calls
    turn.status = "failed" if result.failed else "ready"
    db.session.commit()
    publish(call.business_id, "call.updated", call.to_dict())
    return True


# ---- what the caller hears next ---------------------------------------------------------

def _say_for(turn: CallTurn) -> str:
    if turn.status == "failed":
        for fallback in turn.fallbacks or []:
            if fallback.get("stage") in FAILED_SAY:
                return FAILED_SAY[fallback["stage"]]
        return SAY_LAST_RESORT
    return turn.reply or SAY_LAST_RESORT


def _is_farewell(intents: list[str]) -> bool:
    return "goodbye" in intents and set(intents) <= {"goodbye", "greeting"}


def outcome_for(turn: CallTurn, end_requested: bool = False) -> TurnOutcome:
    """The ready turn's answer, then: transfer, hang up (farewell, end key, turn limit) or record again."""
    call = turn.call
    outcome = TurnOutcome(turn_id=turn.id, fallbacks=list(turn.fallbacks or []))
    if turn.audio_url:
        outcome.play_url = turn.audio_url
    else:
        outcome.say = _say_for(turn)
    intents = list(turn.intents or [])
    settings = business_settings(call)
    if "transfer" in intents:
        return _dial(call, settings, outcome)
    limit = int(settings.get("turn_limit") or current_app.config.get("VOICE_TURN_LIMIT") or DEFAULT_TURN_LIMIT)
    if end_requested or _is_farewell(intents):
        outcome.next = "hangup"
        outcome.closing = None if _is_farewell(intents) and turn.reply else SAY_GOODBYE
        end_call(call, "key" if end_requested else "farewell")
    elif turn.index + 1 >= limit:
        outcome.next, outcome.closing = "hangup", SAY_TURN_LIMIT
        end_call(call, "turn_limit")
    return outcome


def hold_outcome(turn_id: int, attempt: int, end_requested: bool) -> TurnOutcome:
    url = f"/webhook/turn_result?turn={turn_id}&attempt={attempt}" + ("&end=1" if end_requested else "")
    return TurnOutcome(say=SAY_HOLD, turn_id=turn_id, next="redirect", redirect_url=url)


def turn_result(form: dict, turn_id: int, attempt: int, end_requested: bool, base_url: str) -> TurnOutcome:
    """The <Redirect> target: the turn's answer when ready, another hold while it is working
    (up to VOICE_REDIRECT_LIMIT), then an apology and the conversation goes on."""
    try:
        return _turn_result(form, turn_id, attempt, end_requested, base_url)
    except Exception:  # noqa: BLE001
        log.exception("turn_result failed for turn %s", turn_id)
        db.session.rollback()
        return TurnOutcome(say=SAY_LAST_RESORT, fallbacks=[{"stage": "server", "reason": "internal error"}])


def _turn_result(form: dict, turn_id: int, attempt: int, end_requested: bool, base_url: str) -> TurnOutcome:
    from server.services.turn_runner import is_stale, run_with_deadline, wait_for_turn

    config = current_app.config
    turn = db.session.get(CallTurn, turn_id)
    if turn is None or turn.call.call_sid != (form.get("CallSid") or "").strip():
        return TurnOutcome(say=SAY_LAST_RESORT)
    if turn.status in PENDING:
        wait = float(config.get("VOICE_HOLD_WAIT") or config.get("VOICE_TURN_DEADLINE") or 9)
        if turn.status == "pending" or is_stale(turn):
            # Nobody is working on it (the process that took the call died): run it here.
            log.warning("call %s turn %s: taken over by the redirect", turn.call.call_sid, turn_id)
            run_with_deadline(turn_id, base_url, time.perf_counter(), wait)
        else:
            wait_for_turn(turn_id, wait)
        db.session.expire_all()
        turn = db.session.get(CallTurn, turn_id)
    if turn.status in PENDING:
        limit = int(config.get("VOICE_REDIRECT_LIMIT") or 3)
        if attempt < limit:
            return hold_outcome(turn_id, attempt + 1, end_requested)
        turn.fallbacks = list(turn.fallbacks or []) + [
            {"stage": "deadline", "reason": f"no answer after {attempt} redirects"}]
        db.session.commit()
        log.warning("call %s turn %s: gave up after %d redirects", turn.call.call_sid, turn_id, attempt)
        return TurnOutcome(say=SAY_DELAYED, turn_id=turn_id, next="hangup" if end_requested else "record",
                           fallbacks=list(turn.fallbacks))
    return outcome_for(turn, end_requested)


# ---- a person on the line -----------------------------------------------------------------

def _dial(call: CallLog, settings: dict, outcome: TurnOutcome) -> TurnOutcome:
    outcome.next = "transfer"
    outcome.transfer_number = settings.get("transfer_number")
    outcome.transfer_timeout = int(settings.get("transfer_timeout") or DEFAULT_TRANSFER_TIMEOUT)
    call.state = {**(call.state or {}), "transfer": "dialing"}
    db.session.commit()
    return outcome


def transfer_outcome(call: CallLog, settings: dict, via: str) -> TurnOutcome:
    """DTMF 0: <Dial> the business's transfer number; without one, a callback task instead."""
    from server.services.agent_context import apply_actions

    if not settings.get("transfer_number"):
        done = apply_actions(call, [{"type": "callback", "note": "המתקשר ביקש לדבר עם נציג"}])
        call.state = {**(call.state or {}), "transfer": "no_number", "transfer_tasks": [d["task_id"] for d in done]}
        db.session.commit()
        log.info("call %s asked for a person (%s); no transfer number: callback task", call.call_sid, via)
        return TurnOutcome(say=SAY_NO_PERSON)
    log.info("call %s: transfer to a person (%s)", call.call_sid, via)
    return _dial(call, settings, TurnOutcome(say=SAY_TRANSFER))


def transfer_status(form: dict) -> TurnOutcome:
    """<Dial action>: answered → the call ends when the person hangs up; otherwise a message."""
    call = _find_call((form.get("CallSid") or "").strip())
    status = (form.get("DialCallStatus") or "").strip().lower()
    answered = status in ("completed", "answered")
    if call is not None:
        call.state = {**(call.state or {}), "transfer": "answered" if answered else "unanswered",
                      "dial_status": status[:32]}
        db.session.commit()
        publish(call.business_id, "call.updated", call.to_dict())
    if answered:
        if call is not None:
            end_call(call, "transferred")
        return TurnOutcome(next="hangup")
    return TurnOutcome(say=SAY_LEAVE_MESSAGE, next="message")


def take_message(form: dict) -> TurnOutcome:
    """The caller's message after an unanswered transfer becomes a callback task and a turn
    of the call (so retention and erasure treat its recording and transcript like any
    other); a job transcribes it, since a message may be long."""
    from server.models import Task

    call = _find_call((form.get("CallSid") or "").strip())
    recording_url = (form.get("RecordingUrl") or "").strip()
    if call is not None and call.customer_id and call.business_id:
        task = Task(business_id=call.business_id, customer_id=call.customer_id, title="הודעה מהמתקשר: לחזור ללקוח",
                    description="הודעה קולית שהושארה אחרי העברה לנציג שלא נענתה.", status="open", source="call",
                    call_id=call.id)
        db.session.add(task)
        turn = _new_turn(call, status="ready", recording_url=recording_url or None, reply=SAY_MESSAGE_TAKEN,
                         intents=["message"])
        db.session.flush()
        call.state = {**(call.state or {}), "message": {"task_id": task.id, "turn_id": turn.id}}
        db.session.commit()
        if recording_url:
            jobs.enqueue("voice.transcribe_message", turn.id, task.id)
        end_call(call, "message")
    return TurnOutcome(say=SAY_MESSAGE_TAKEN, next="hangup")


def transcribe_message(turn_id: int, task_id: int) -> str | None:
    """Job body: the message's transcript on its turn and in the task (fallbacks on the turn)."""
    from server.models import Task
    from server.providers.recordings import download_recording
    from server.services import agent_pipeline as pipeline

    turn = db.session.get(CallTurn, turn_id)
    task = db.session.get(Task, task_id)
    if turn is None or task is None or not turn.recording_url:
        return None
    config = current_app.config
    started = time.perf_counter()
    result = pipeline.TurnResult()
    t = time.perf_counter()
    try:
        audio = download_recording(turn.recording_url, config)
        result.latencies["download_ms"] = _ms(t)
        pipeline.transcribe(config, audio, result, pipeline.provider_names(config, business_settings(turn.call)),
                            label="message")
    except ProviderError as exc:
        pipeline.add_fallback(result, "download", exc.reason, "message")
    turn.transcript = result.transcript
    turn.asr_provider = result.providers.get("asr")
    turn.latencies = {**result.latencies, "total_ms": _ms(started)}
    turn.fallbacks = result.fallbacks
    task.description = (f"הודעה מהשיחה: {result.transcript}" if result.transcript
                        else "הודעה קולית שלא הצלחנו לתמלל; ההקלטה שמורה בשיחה.")
    db.session.commit()
    publish(turn.call.business_id, "call.updated", turn.call.to_dict())
    return result.transcript


# ---- the end of a call: summary and intent ----------------------------------------------

def end_call(call: CallLog, reason: str) -> None:
    """The agent ended the call (or handed it over): remember why, and summarise it."""
    if not (call.state or {}).get("ended_by"):
        call.state = {**(call.state or {}), "ended_by": reason}
        db.session.commit()
    try:
        jobs.enqueue("voice.summarize_call_task", call.id)
    except Exception:  # noqa: BLE001 - a queue outage must not cost the caller the goodbye
        log.exception("call %s: could not queue the summary", call.call_sid)


def recording_notice(settings: dict) -> str | None:
    """The Hebrew notice said before the first beep: on by default, per business."""
    flag = settings.get("recording_notice", True)
    if flag is False:
        return None
    if isinstance(flag, str) and flag.strip():
        return flag.strip()
    return (settings.get("recording_notice_text") or "").strip() or RECORDING_NOTICE


def greeting_for(call: CallLog | None) -> tuple[str | None, str | None]:
    """(recording notice, custom greeting) for a business's call; nothing for an unknown number."""
    if call is None or call.business_id is None:
        return None, None
    settings = business_settings(call)
    return recording_notice(settings), (settings.get("greeting") or "").strip() or None



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
