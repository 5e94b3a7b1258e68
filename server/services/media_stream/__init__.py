"""Realtime voice over Twilio bidirectional Media Streams (a per-business `voice_mode: stream`).

- `wants_stream(call)` / `connect_twiml(...)`: what incoming_call answers for such a business
- `claim_stream(...)`: the start message's one-time token → the call Twilio announced
- `serve(ws, app)`: the websocket conversation (session.StreamSession)
- `stream_ended(form)`: Twilio's <Connect action> request once the stream is over
- hooks: where summary, transfer and the recording notice plug in
"""
from __future__ import annotations

import hashlib
import logging
import secrets
from datetime import timedelta

from sqlalchemy import func, select, update
from twilio.twiml.voice_response import Connect, VoiceResponse

from server.extensions import db
from server.models import Business, CallLog, CallTurn, StreamToken
from server.models.base import utcnow
from server.services.media_stream import hooks  # noqa: F401 - re-exported for the session

log = logging.getLogger(__name__)

STREAM_PATH = "/webhook/media_stream"
ENDED_PATH = "/webhook/media_stream/ended"
VOICE_MODES = ("record", "stream")


def settings_of(call: CallLog | None) -> dict:
    if call is None or call.business_id is None:
        return {}
    business = db.session.get(Business, call.business_id)
    return dict(business.settings or {}) if business else {}


def wants_stream(call: CallLog | None) -> bool:
    return settings_of(call).get("voice_mode") == "stream"


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


TOKEN_PARAMETER = "token"
TOKEN_TTL_SECONDS = 120  # Twilio opens the stream as soon as it reads the TwiML


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def mint_stream_token(call: CallLog) -> str:
    """A one-time ticket for one stream of this call; only its hash is stored (committed by the caller)."""
    token = secrets.token_urlsafe(32)
    db.session.add(StreamToken(token_sha256=_token_hash(token), call_id=call.id,
                               expires_at=utcnow() + timedelta(seconds=TOKEN_TTL_SECONDS)))
    return token


def connect_twiml(host: str, call: CallLog, vr: VoiceResponse | None = None) -> VoiceResponse:
    """<Connect action=…><Stream url="wss://{HOST}/webhook/media_stream"> with a one-time token.

    The websocket upgrade is signed with the same bytes for every stream (Twilio signs the
    bare URL), so it proves nothing about which call it is. Only a Twilio-signed webhook may
    announce a call: it answers this TwiML, and the token in it (delivered back to us in the
    start message's customParameters) binds the stream to that call. Business and caller come
    from the call, never from the start message.
    """
    vr = vr or VoiceResponse()
    connect = Connect(action=ENDED_PATH, method="POST")
    stream = connect.stream(url=stream_url(host))
    stream.parameter(name="CallSid", value=call.call_sid)
    stream.parameter(name=TOKEN_PARAMETER, value=mint_stream_token(call))
    db.session.commit()
    vr.append(connect)
    return vr


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


def serve(ws, app) -> None:
    from server.services.media_stream.session import StreamSession
    StreamSession(ws, app).run()


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
            return call.id, settings_of(call), turns or 0
        except Exception:  # noqa: BLE001 - a stream we cannot bind to its call is not served
            log.exception("media stream %s: could not bind the stream to its call", stream_sid)
            db.session.rollback()
            return None, {}, 0


def call_for(app, call_id: int | None):
    """A detached snapshot of the call for hooks (or None)."""
    if call_id is None:
        return None
    with app.app_context():
        call = db.session.get(CallLog, call_id)
        if call is not None:
            db.session.expunge(call)
        return call


def end_call(app, call_id: int | None, stream_sid: str | None, reason: str, stats: dict, directive) -> None:
    if call_id is None:
        return
    with app.app_context():
        try:
            call = db.session.get(CallLog, call_id)
            if call is None:
                return
            _set_stream_state(call, ended_at=utcnow().isoformat(), end_reason=reason,
                              stats={k: v for k, v in stats.items()},
                              next=directive if isinstance(directive, (str, dict)) else None)
            db.session.commit()
            hooks.on_stream_end(call, reason, directive)
            from server.services.realtime import publish
            publish(call.business_id, "call.updated", call.to_dict())
        except Exception:  # noqa: BLE001
            log.exception("media stream %s: could not close the call's record", stream_sid)
            db.session.rollback()


def stream_ended(form: dict, record_twiml, host: str) -> VoiceResponse:
    """Twilio asks what next once the stream is over (<Connect action>). A stream that never
    started (the websocket failed) falls back to the record path so the caller is still served."""
    from server.services import voice
    call = voice._find_call((form.get("CallSid") or "").strip()) if form.get("CallSid") else None
    stream = ((call.state or {}).get("stream") or {}) if call is not None else {}
    if call is not None and not stream.get("stream_sid"):
        log.warning("call %s: the media stream never started; falling back to recording", call.call_sid)
        return record_twiml()
    return hooks.stream_ended_twiml(call, stream.get("next"), lambda vr: connect_twiml(host, call, vr))
