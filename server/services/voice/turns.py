"""The record path of a phone call: turns (record → transcribe → answer → speak) with a visible
fallback at every step (seed section 2), the deadline and hold path, transfer to a person and
the message left after an unanswered transfer (issue 8).

Every step that fails is logged and kept on the turn (`fallbacks`), and the caller still
hears something: the seed's Hebrew sentences (prompts.py) are the contract. What follows a
turn (go on, hang up, transfer) is the policy's answer (policy.py), rendered by twiml.py.
"""
from __future__ import annotations

import logging
import time

from sqlalchemy import func, select

from server import jobs
from server.config import KesherConfig, current
from server.extensions import db
from server.models import CallLog, CallTurn
from server.providers.errors import ProviderError
from server.schemas.settings import BusinessSettings
from server.services.realtime import publish
from server.services.voice import context, pipeline, policy, runner
from server.services.voice.calls import business_settings, end_call, find_call, get_or_create_call, safe_sid
from server.services.voice.pipeline import ms as _ms
from server.services.voice.policy import Action
from server.services.voice.prompts import (
    SAY_DELAYED, SAY_DOWNLOAD_FAILED, SAY_HOLD, SAY_LAST_RESORT, SAY_LEAVE_MESSAGE, SAY_MESSAGE_TAKEN,
    SAY_NO_PERSON, SAY_NO_RECORDING, SAY_NOT_UNDERSTOOD, SAY_TRANSFER,
)
from server.services.voice.twiml import TurnOutcome

log = logging.getLogger(__name__)


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


def _history(call: CallLog, before_index: int | None = None) -> list[dict]:
    return [{"caller": t.transcript or "", "agent": t.reply or ""} for t in call.turns
            if (t.transcript or t.reply) and t.status not in PENDING
            and (before_index is None or t.index < before_index)]


def handle_recording(form: dict, base_url: str) -> TurnOutcome:
    """Run one turn; never raises: whatever breaks, the caller hears a Hebrew sentence."""
    try:
        return _handle_recording(form, base_url)
    except Exception:  # noqa: BLE001 - a database outage must still answer TwiML
        log.exception("handle_recording failed for call %s", safe_sid(form))
        db.session.rollback()
        return TurnOutcome(say=SAY_LAST_RESORT, fallbacks=[{"stage": "server", "reason": "internal error"}])


def _new_turn(call: CallLog, **fields) -> CallTurn:
    index = db.session.scalar(select(func.count()).select_from(CallTurn).where(CallTurn.call_id == call.id)) or 0
    turn = CallTurn(call_id=call.id, index=index, **fields)
    db.session.add(turn)
    return turn


def _handle_recording(form: dict, base_url: str) -> TurnOutcome:
    config = current()
    started = time.perf_counter()
    call = get_or_create_call(form)
    db.session.commit()  # the call exists before the slow work; no write lock is held meanwhile
    key = policy.on_key(form.get("Digits"))
    recording_url = (form.get("RecordingUrl") or "").strip()
    end_requested = key is not None and key.action is Action.HANGUP
    if call is not None and key is not None and key.action is Action.TRANSFER:
        return transfer_outcome(call, business_settings(call), via=key.reason.value)

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
    deadline = config.voice.turn_deadline
    if not runner.run_with_deadline(turn_id, started, deadline, _runs(turn_id, base_url, started)):
        log.info("call %s turn %s: not ready after %.1f s, holding", call.call_sid, turn_id, deadline)
        runner.schedule_guard(turn_id, base_url)
        return hold_outcome(turn_id, 1, end_requested)
    db.session.expire_all()  # the runner thread wrote the turn
    return outcome_for(db.session.get(CallTurn, turn_id), end_requested)


def run_stages(config: KesherConfig, recording_url: str, call: CallLog | None, settings: BusinessSettings, base_url: str):
    """download → transcribe → answer → speak for one recording (see pipeline.py)."""
    from server.providers.recordings import download_recording

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
            ctx = context.build_context(call, _history(call, before_index=_current_index(call)), result.transcript)
        except Exception as exc:  # noqa: BLE001 - a database error: the seed's reply, still spoken
            log.exception("%s: cannot read the caller's CRM context", label)
            db.session.rollback()
            pipeline.add_fallback(result, "reply", f"context: {exc.__class__.__name__}", label)
            pipeline.fixed_reply(result)
            pipeline.speak(config, result.reply, result, names, base_url, label)
            return result
        pipeline.respond(config, result.transcript, ctx, settings, result, names, base_url, label,
                         apply=lambda actions: context.apply_actions(call, actions))
        context.keep_dialog(call, ctx)
    else:
        from server.providers.reply import CallerContext
        pipeline.respond(config, result.transcript, CallerContext(), settings, result, names, base_url, label)
    return result


def _current_index(call: CallLog) -> int | None:
    pending = [t.index for t in call.turns if t.status in PENDING]
    return max(pending) if pending else None


def _runs(turn_id: int, base_url: str, started: float):
    """The work a runner thread does for this turn (runner.py knows nothing of turns)."""
    return lambda: process_turn(turn_id, base_url, started)


def process_turn(turn_id: int, base_url: str, started: float | None = None) -> bool:
    """Claim the turn and run it; False when another runner holds a live claim or it is done."""
    if not runner.claim_turn(turn_id):
        return False
    started = started if started is not None else time.perf_counter()
    turn = db.session.get(CallTurn, turn_id)
    call = turn.call
    try:
        result = run_stages(current(), turn.recording_url or "", call, business_settings(call), base_url)
    except Exception:  # noqa: BLE001 - the caller must hear something, and the turn must not stay pending
        log.exception("call %s turn %s failed", call.call_sid, turn_id)
        db.session.rollback()
        result = pipeline.TurnResult(failed=True, say=SAY_LAST_RESORT, fallbacks=[{"stage": "server", "reason": "internal error"}])
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


def outcome_for(turn: CallTurn, end_requested: bool = False) -> TurnOutcome:
    """The ready turn's answer, then: transfer, hang up (farewell, end key, turn limit) or record again."""
    call = turn.call
    outcome = TurnOutcome(turn_id=turn.id, fallbacks=list(turn.fallbacks or []))
    if turn.audio_url:
        outcome.play_url = turn.audio_url
    else:
        outcome.say = _say_for(turn)
    settings = business_settings(call)
    directive = policy.after_turn(turn.intents, turn.index + 1,
                                  policy.turn_limit(settings, current().voice.turn_limit),
                                  end_requested=end_requested, replied=bool(turn.reply))
    if directive is None:
        return outcome
    if directive.action is Action.TRANSFER:
        return _dial(call, settings, outcome)
    outcome.next, outcome.closing = "hangup", directive.closing
    end_call(call, directive.reason.value)
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
    config = current()
    turn = db.session.get(CallTurn, turn_id)
    if turn is None or turn.call.call_sid != (form.get("CallSid") or "").strip():
        return TurnOutcome(say=SAY_LAST_RESORT)
    if turn.status in PENDING:
        wait = config.voice.hold_wait
        if turn.status == "pending" or runner.is_stale(turn):
            # Nobody is working on it (the process that took the call died): run it here.
            log.warning("call %s turn %s: taken over by the redirect", turn.call.call_sid, turn_id)
            started = time.perf_counter()
            runner.run_with_deadline(turn_id, started, wait, _runs(turn_id, base_url, started))
        else:
            runner.wait_for_turn(turn_id, wait)
        db.session.expire_all()
        turn = db.session.get(CallTurn, turn_id)
    if turn.status in PENDING:
        limit = config.voice.redirect_limit
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

def _dial(call: CallLog, settings: BusinessSettings, outcome: TurnOutcome) -> TurnOutcome:
    outcome.next = "transfer"
    outcome.transfer_number = settings.transfer_number
    outcome.transfer_timeout = settings.transfer_timeout
    call.state = {**(call.state or {}), "transfer": "dialing"}
    db.session.commit()
    return outcome


def transfer_outcome(call: CallLog, settings: BusinessSettings, via: str) -> TurnOutcome:
    """A person (key 0, or asked for in speech): <Dial> the business's transfer number;
    without one, a callback task instead."""
    if not settings.transfer_number:
        done = context.apply_actions(call, [{"type": "callback", "note": "המתקשר ביקש לדבר עם נציג"}])
        call.state = {**(call.state or {}), "transfer": "no_number", "transfer_tasks": [d["task_id"] for d in done]}
        db.session.commit()
        log.info("call %s asked for a person (%s); no transfer number: callback task", call.call_sid, via)
        return TurnOutcome(say=SAY_NO_PERSON)
    log.info("call %s: transfer to a person (%s)", call.call_sid, via)
    return _dial(call, settings, TurnOutcome(say=SAY_TRANSFER))


def transfer_status(form: dict) -> TurnOutcome:
    """<Dial action>: answered → the call ends when the person hangs up; otherwise a message."""
    call = find_call((form.get("CallSid") or "").strip())
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

    call = find_call((form.get("CallSid") or "").strip())
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

    turn = db.session.get(CallTurn, turn_id)
    task = db.session.get(Task, task_id)
    if turn is None or task is None or not turn.recording_url:
        return None
    config = current()
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


