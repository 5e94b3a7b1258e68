"""Twilio Voice webhooks (seed section 2): TwiML built with the twilio library.

No login (Twilio calls them); every request must carry a valid X-Twilio-Signature, checked
before anything is stored (outside production, only once TWILIO_AUTH_TOKEN is set: server/webhooks.py).
"""
from __future__ import annotations

from flask import Blueprint, Response, current_app, request
from twilio.twiml.voice_response import VoiceResponse

from server.services import media_stream, voice
from server.sqlite_locking import write_lock_first
from server.webhooks import verify_twilio_signature

twilio_bp = Blueprint("twilio", __name__, url_prefix="/webhook")

WELCOME_PATH = "/static/voice_responses/welcome.mp3"
RECORD = dict(max_length=30, timeout=5, play_beep=True, action="/webhook/handle_recording", method="POST",
              trim="do-not-trim")


def _twiml(vr: VoiceResponse) -> Response:
    return Response(str(vr), mimetype="text/xml", status=200)


def _base_url() -> str:
    """Where Twilio can fetch our audio: HOST, else the URL this request came in on."""
    return current_app.config.get("HOST") or request.url_root.rstrip("/")


def _render(outcome: voice.TurnOutcome) -> Response:
    """The answer (<Play> or <Say>), then what the conversation does next."""
    vr = VoiceResponse()
    if outcome.play_url:
        vr.play(outcome.play_url)
    elif outcome.say:
        vr.say(outcome.say, language="he-IL")
    if outcome.next == "redirect":
        vr.redirect(outcome.redirect_url, method="POST")
    elif outcome.next == "transfer":
        vr.dial(outcome.transfer_number, timeout=outcome.transfer_timeout, action="/webhook/transfer_status",
                method="POST")
    elif outcome.next == "message":
        vr.record(max_length=120, timeout=5, finish_on_key="*", play_beep=True, action="/webhook/transfer_message",
                  method="POST", trim="do-not-trim")
    elif outcome.next == "hangup":
        if outcome.closing:
            vr.say(outcome.closing, language="he-IL")
        vr.hangup()
    else:
        # The conversation goes on: * ends the answer, 0 asks for a person, # ends the call.
        vr.record(finish_on_key="*0#", **RECORD)
    return _twiml(vr)


@twilio_bp.route("/incoming_call", methods=["POST"])
@write_lock_first
def incoming_call():
    verify_twilio_signature()
    call = voice.start_call(request.form.to_dict())
    notice, greeting = voice.greeting_for(call)
    host = (current_app.config.get("HOST") or "").rstrip("/")
    # voice_mode "stream" (issue 12): the conversation runs over a Media Stream websocket.
    if media_stream.wants_stream(call):
        return _twiml(media_stream.connect_twiml(host or request.host_url, call))
    vr = VoiceResponse()
    if notice:
        vr.say(notice, language="he-IL")
    if greeting:
        vr.say(greeting, language="he-IL")
    elif host:
        vr.play(f"{host}{WELCOME_PATH}")
    vr.record(finish_on_key="*", **RECORD)
    return _twiml(vr)


@twilio_bp.route("/handle_recording", methods=["POST"])
def handle_recording():
    verify_twilio_signature()
    return _render(voice.handle_recording(request.form.to_dict(), _base_url()))


@twilio_bp.route("/turn_result", methods=["POST", "GET"])
def turn_result():
    """<Redirect> target while a turn's answer is being prepared."""
    verify_twilio_signature()
    turn_id = request.args.get("turn", type=int)
    attempt = request.args.get("attempt", default=1, type=int)
    end = request.args.get("end") == "1"
    if turn_id is None:
        return _render(voice.TurnOutcome(say=voice.SAY_LAST_RESORT))
    return _render(voice.turn_result(request.values.to_dict(), turn_id, attempt, end, _base_url()))


@twilio_bp.route("/transfer_status", methods=["POST"])
def transfer_status():
    """<Dial action>: the person answered, or the caller leaves a message."""
    verify_twilio_signature()
    return _render(voice.transfer_status(request.form.to_dict()))


@twilio_bp.route("/transfer_message", methods=["POST"])
def transfer_message():
    verify_twilio_signature()
    return _render(voice.take_message(request.form.to_dict()))


@twilio_bp.route("/call_status", methods=["POST", "GET"])
@write_lock_first
def call_status():
    verify_twilio_signature()
    voice.update_status(request.values.to_dict())
    return ("", 200)
