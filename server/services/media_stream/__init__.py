"""Realtime voice over Twilio bidirectional Media Streams (a per-business `voice_mode: stream`).

- `wants_stream(call)` / `connect_twiml(...)`: what incoming_call answers for such a business
- `serve(ws, app)`: the websocket conversation (session.StreamSession)
- `stream_ended(form)`: Twilio's <Connect action> request once the stream is over
- hooks: where summary, transfer and the recording notice plug in
"""
from __future__ import annotations

import logging

from sqlalchemy import func, select
from twilio.twiml.voice_response import Connect, VoiceResponse

from server.extensions import db
from server.models import Business, CallLog, CallTurn
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


def connect_twiml(host: str, form: dict, vr: VoiceResponse | None = None) -> VoiceResponse:
    """<Connect action=…><Stream url="wss://{HOST}/webhook/media_stream"> with the call's
    parameters (Twilio's start message carries the CallSid but not From/To)."""
    vr = vr or VoiceResponse()
    connect = Connect(action=ENDED_PATH, method="POST")
    stream = connect.stream(url=stream_url(host))
    for name in ("CallSid", "From", "To"):
        if form.get(name):
            stream.parameter(name=name, value=form[name])
    vr.append(connect)
    return vr


def serve(ws, app) -> None:
    from server.services.media_stream.session import StreamSession
    StreamSession(ws, app).run()


def _set_stream_state(call: CallLog, **values) -> None:
    state = dict(call.state or {})
    stream = dict(state.get("stream") or {})
    stream.update(values)
    state["stream"] = stream
    call.state = state


def begin_call(app, form: dict, stream_sid: str, vad) -> tuple[int | None, dict, int]:
    """The start message: the call (created if incoming_call never ran), its business settings
    and how many turns it already has."""
    from server.services import voice
    with app.app_context():
        try:
            call = voice.start_call(form) if form.get("CallSid") else None
            if call is None:
                return None, {}, 0
            _set_stream_state(call, voice_mode="stream", stream_sid=stream_sid, started_at=utcnow().isoformat(),
                              vad=vad.name, **({"vad_fallback": vad.fallback_reason} if vad.fallback_reason else {}))
            turns = db.session.scalar(select(func.count()).select_from(CallTurn).where(CallTurn.call_id == call.id))
            db.session.commit()
            return call.id, settings_of(call), turns or 0
        except Exception:  # noqa: BLE001 - the caller still gets an agent, just without a record
            log.exception("media stream %s: could not log the call", stream_sid)
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
    return hooks.stream_ended_twiml(call, stream.get("next"), lambda vr: connect_twiml(host, form, vr))
