"""Twilio Voice webhooks (seed section 2): TwiML built with the twilio library.

No login (Twilio calls them); with TWILIO_AUTH_TOKEN set every request must carry a valid
X-Twilio-Signature, checked before anything is stored.
"""
from __future__ import annotations

from flask import Blueprint, Response, current_app, request
from twilio.twiml.voice_response import VoiceResponse

from server.services import voice
from server.webhooks import verify_twilio_signature

twilio_bp = Blueprint("twilio", __name__, url_prefix="/webhook")

WELCOME_PATH = "/static/voice_responses/welcome.mp3"


def _twiml(vr: VoiceResponse) -> Response:
    return Response(str(vr), mimetype="text/xml", status=200)


def _say(text_he: str) -> Response:
    vr = VoiceResponse()
    vr.say(text_he, language="he-IL")
    return _twiml(vr)


def _base_url() -> str:
    """Where Twilio can fetch our audio: HOST, else the URL this request came in on."""
    return current_app.config.get("HOST") or request.url_root.rstrip("/")


@twilio_bp.route("/incoming_call", methods=["POST"])
def incoming_call():
    verify_twilio_signature()
    voice.start_call(request.form.to_dict())
    host = (current_app.config.get("HOST") or "").rstrip("/")
    vr = VoiceResponse()
    if host:
        vr.play(f"{host}{WELCOME_PATH}")
    vr.record(max_length=30, timeout=5, finish_on_key="*", play_beep=True,
              action="/webhook/handle_recording", method="POST", trim="do-not-trim")
    return _twiml(vr)


@twilio_bp.route("/handle_recording", methods=["POST"])
def handle_recording():
    verify_twilio_signature()
    outcome = voice.handle_recording(request.form.to_dict(), _base_url())
    if outcome.play_url:
        vr = VoiceResponse()
        vr.play(outcome.play_url)
        return _twiml(vr)
    return _say(outcome.say or voice.SAY_LAST_RESORT)


@twilio_bp.route("/call_status", methods=["POST", "GET"])
def call_status():
    verify_twilio_signature()
    voice.update_status(request.values.to_dict())
    return ("", 200)
