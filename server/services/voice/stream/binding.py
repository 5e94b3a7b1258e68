"""A Media Stream and its call (a per-business `voice_mode: stream`).

- `wants_stream(call)` / `stream_target(...)`: what incoming_call answers for such a business
- `claim_stream(...)`: the start message's one-time token → the call Twilio announced
- `begin_call` / `call_for` / `end_call`: the session's reads and writes of that call
- `stream_ended(form, host)`: what Twilio's <Connect action> request gets once the stream is over
"""
from __future__ import annotations

import hashlib
import logging
import secrets
from datetime import timedelta

from sqlalchemy import func, select, update

from server.extensions import db
from server.models import CallLog, CallTurn, StreamToken
from server.models.base import utcnow
from server.services.voice import calls, turns
from server.services.voice.policy import Action, Directive
from server.services.voice.twiml import StreamTarget, TurnOutcome

log = logging.getLogger(__name__)

STREAM_PATH = "/webhook/media_stream"
VOICE_MODES = ("record", "stream")


def wants_stream(call: CallLog | None) -> bool:
    return calls.business_settings(call).voice_mode == "stream"


def stream_url(host: str) -> str:
    """HOST (https://domain) → wss://domain/webhook/media_stream."""
    host = host.rstrip("/")
    if host.startswith("https://"):
        host = "wss://" + host[len("https://"):]
    elif host.startswith("http://"):
        host = "ws://" + host[len("http://"):]
    elif "://" not in host:
        host = "wss://" + host
    return host + STREAM_PATH


TOKEN_TTL_SECONDS = 120  # Twilio opens the stream as soon as it reads the TwiML


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def mint_stream_token(call: CallLog) -> str:
    """A one-time ticket for one stream of this call; only its hash is stored (committed by the caller)."""
    token = secrets.token_urlsafe(32)
    db.session.add(StreamToken(token_sha256=_token_hash(token), call_id=call.id,
                               expires_at=utcnow() + timedelta(seconds=TOKEN_TTL_SECONDS)))
    return token


def stream_target(host: str, call: CallLog) -> StreamTarget:
    """Where the <Connect><Stream> goes (wss://{HOST}/webhook/media_stream) and its one-time token.

    The websocket upgrade is signed with the same bytes for every stream (Twilio signs the
    bare URL), so it proves nothing about which call it is. Only a Twilio-signed webhook may
    announce a call: it answers this TwiML, and the token in it (delivered back to us in the
    start message's customParameters) binds the stream to that call. Business and caller come
    from the call, never from the start message.
    """
    target = StreamTarget(url=stream_url(host), call_sid=call.call_sid, token=mint_stream_token(call))
    db.session.commit()
    return target


def claim_stream(call_sid: str | None, token: str | None) -> CallLog | None:
    """The call this start message may stream, using its token up; None (refused) when the
    token is missing, unknown, expired, already used, or another call's."""
    if not isinstance(call_sid, str) or not isinstance(token, str) or not token or len(token) > 200:
        return None
    digest = _token_hash(token)
    call = db.session.scalar(select(CallLog).join(StreamToken, StreamToken.call_id == CallLog.id)
                             .where(StreamToken.token_sha256 == digest))
    if call is None or not secrets.compare_digest(call.call_sid, call_sid):
        return None
    # One UPDATE decides: of two sockets racing with the same token, exactly one gets rowcount 1.
    now = utcnow()
    used = db.session.execute(update(StreamToken)
                              .where(StreamToken.token_sha256 == digest, StreamToken.used_at.is_(None),
                                     StreamToken.expires_at > now)
                              .values(used_at=now))
    if used.rowcount != 1:
        db.session.rollback()
        return None
    return call


def _set_stream_state(call: CallLog, **values) -> None:
    state = dict(call.state or {})
    stream = dict(state.get("stream") or {})
    stream.update(values)
    state["stream"] = stream
    call.state = state


def begin_call(app, call_sid: str | None, token: str | None, stream_sid: str, vad) -> tuple[int | None, dict, int]:
    """The start message: the call its token was minted for, that call's business settings and
    how many turns it already has. (None, {}, 0) when the stream is refused: nothing is created."""
    with app.app_context():
        try:
            call = claim_stream(call_sid, token)
            if call is None:
                db.session.rollback()
                log.warning("media stream %s: refused, no valid one-time token for call %r", stream_sid,
                            (call_sid or "")[:64])
                return None, {}, 0
            _set_stream_state(call, voice_mode="stream", stream_sid=stream_sid, started_at=utcnow().isoformat(),
                              vad=vad.name, **({"vad_fallback": vad.fallback_reason} if vad.fallback_reason else {}))
            turns = db.session.scalar(select(func.count()).select_from(CallTurn).where(CallTurn.call_id == call.id))
            db.session.commit()
            return call.id, calls.business_settings(call).stored(), turns or 0  # as stored: the session types it
        except Exception:  # noqa: BLE001 - a stream we cannot bind to its call is not served
            log.exception("media stream %s: could not bind the stream to its call", stream_sid)
            db.session.rollback()
            return None, {}, 0


def call_for(app, call_id: int | None):
    """A detached snapshot of the call for the session (or None)."""
    if call_id is None:
        return None
    with app.app_context():
        call = db.session.get(CallLog, call_id)
        if call is not None:
            db.session.expunge(call)
        return call


def end_call(app, call_id: int | None, stream_sid: str | None, reason: str, stats: dict,
             directive: Directive | None) -> None:
    """Close the call's stream record. A stream that ends for good (not a transfer) ends the
    conversation: the directive says why (a stream closed by the caller or the network: "stream")."""
    if call_id is None:
        return
    with app.app_context():
        try:
            call = db.session.get(CallLog, call_id)
            if call is None:
                return
            _set_stream_state(call, ended_at=utcnow().isoformat(), end_reason=reason,
                              stats={k: v for k, v in stats.items()},
                              next=directive.next_step() if directive is not None else None)
            db.session.commit()
            if directive is None or directive.action is not Action.TRANSFER:
                calls.end_call(call, directive.reason.value if directive is not None else "stream")
            from server.services.realtime import publish
            publish(call.business_id, "call.updated", call.to_dict())
        except Exception:  # noqa: BLE001
            log.exception("media stream %s: could not close the call's record", stream_sid)
            db.session.rollback()


def stream_ended(form: dict, host: str) -> TurnOutcome:
    """Twilio asks what next once the stream is over (<Connect action>). A stream that never
    started (the websocket failed) falls back to the record path so the caller is still served."""
    call = calls.find_call((form.get("CallSid") or "").strip()) if form.get("CallSid") else None
    stream = ((call.state or {}).get("stream") or {}) if call is not None else {}
    if call is not None and not stream.get("stream_sid"):
        log.warning("call %s: the media stream never started; falling back to recording", call.call_sid)
        return TurnOutcome(next="listen")
    step = stream.get("next")  # Directive.next_step(), as the session stored it
    kind = step if isinstance(step, str) else (step or {}).get("type")
    if kind == "transfer" and call is not None:
        via = step.get("via", "key") if isinstance(step, dict) else "key"
        outcome = turns.transfer_outcome(call, calls.business_settings(call), via=via)
        if outcome.next == "transfer":
            if via != "key":
                outcome.say = None  # by speech the agent already said it
            return outcome
        # Nobody to transfer to: a callback task, and the conversation goes on over a new stream.
        outcome.next, outcome.stream = "stream", stream_target(host, call)
        return outcome
    closing = step.get("closing") if isinstance(step, dict) else None
    return TurnOutcome(next="hangup", closing=closing or None)
