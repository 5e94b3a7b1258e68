"""Twilio Voice webhooks (seed section 2): thin handlers; the TwiML is rendered by services/voice/twiml.py.

No login (Twilio calls them); every request must carry a valid X-Twilio-Signature, checked
before anything is stored (outside production, only once TWILIO_AUTH_TOKEN is set: server/webhooks.py).
"""
from __future__ import annotations

from flask import Blueprint, Response, request

from server.config import current
from server.services.voice import calls, turns, twiml
from server.services.voice.prompts import SAY_LAST_RESORT
from server.services.voice.stream import binding
from server.sqlite_locking import write_lock_first
from server.webhooks import verify_twilio_signature

twilio_bp = Blueprint("twilio", __name__, url_prefix="/webhook")

WELCOME_PATH = "/static/voice_responses/welcome.mp3"


def _twiml(xml: str) -> Response:
    return Response(xml, mimetype="text/xml", status=200)


def _base_url() -> str:
    """Where Twilio can fetch our audio: HOST, else the URL this request came in on."""
    return current().app.host or request.url_root.rstrip("/")


def _render(outcome: twiml.TurnOutcome) -> Response:
    return _twiml(twiml.render(outcome))


@twilio_bp.route("/incoming_call", methods=["POST"])
@write_lock_first
def incoming_call():
    verify_twilio_signature()
    call = calls.start_call(request.form.to_dict())
    notice, greeting = calls.greeting_for(call)
    host = current().app.host
    # voice_mode "stream" (issue 12): the conversation runs over a Media Stream websocket.
    if binding.wants_stream(call):
        return _render(twiml.TurnOutcome(next="stream", stream=binding.stream_target(host or request.host_url, call)))
    return _twiml(twiml.greeting(notice, greeting, f"{host}{WELCOME_PATH}" if host else None))


@twilio_bp.route("/handle_recording", methods=["POST"])
def handle_recording():
    verify_twilio_signature()
    return _render(turns.handle_recording(request.form.to_dict(), _base_url()))


@twilio_bp.route("/turn_result", methods=["POST", "GET"])
def turn_result():
    """<Redirect> target while a turn's answer is being prepared."""
    verify_twilio_signature()
    turn_id = request.args.get("turn", type=int)
    attempt = request.args.get("attempt", default=1, type=int)
    end = request.args.get("end") == "1"
    if turn_id is None:
        return _render(twiml.TurnOutcome(say=SAY_LAST_RESORT))
    return _render(turns.turn_result(request.values.to_dict(), turn_id, attempt, end, _base_url()))


@twilio_bp.route("/transfer_status", methods=["POST"])
def transfer_status():
    """<Dial action>: the person answered, or the caller leaves a message."""
    verify_twilio_signature()
    return _render(turns.transfer_status(request.form.to_dict()))


@twilio_bp.route("/transfer_message", methods=["POST"])
def transfer_message():
    verify_twilio_signature()
    return _render(turns.take_message(request.form.to_dict()))


@twilio_bp.route("/call_status", methods=["POST", "GET"])
@write_lock_first
def call_status():
    verify_twilio_signature()
    calls.update_status(request.values.to_dict())
    return ("", 200)
