"""Twilio Media Streams: the websocket at /webhook/media_stream and <Connect action>.

The websocket is served by flask-sock (simple-websocket), which works under the dev server
(`make run`, Werkzeug) and under gunicorn's gthread workers alike. Twilio signs the upgrade
request: X-Twilio-Signature over the wss:// URL it opened (no parameters); a missing or
forged signature gets 403 before the upgrade (production always checks: server/webhooks.py).
"""
from __future__ import annotations

import logging

from flask import Blueprint, Response, current_app, request
from flask_sock import Sock

from server.config import current
from server.error_codes import ErrorCode
from server.errors import Forbidden
from server.services.voice import twiml
from server.services.voice.stream import binding, session
from server.webhooks import public_url, verify_twilio_signature, webhook_secret

log = logging.getLogger(__name__)

media_stream_bp = Blueprint("media_stream", __name__, url_prefix="/webhook")
sock = Sock()


@media_stream_bp.record_once
def _websocket_options(state) -> None:
    # Twilio's messages are small (a 20 ms frame is ~250 bytes of JSON); anything huge is not Twilio.
    state.app.config.setdefault("SOCK_SERVER_OPTIONS", {"max_message_size": 64 * 1024})


def _ws_urls() -> list[str]:
    """The URL Twilio signed: the public URL with ws(s):// (https:// is accepted too)."""
    url = public_url()
    if url.startswith("https://"):
        return ["wss://" + url[len("https://"):], url]
    if url.startswith("http://"):
        return ["ws://" + url[len("http://"):], url]
    return [url]


def verify_stream_signature() -> None:
    token = webhook_secret("TWILIO_AUTH_TOKEN")
    if not token:
        return
    from twilio.request_validator import RequestValidator
    signature = request.headers.get("X-Twilio-Signature", "")
    validator = RequestValidator(token)
    if not signature or not any(validator.validate(url, {}, signature) for url in _ws_urls()):
        log.warning("rejected %s: invalid Twilio signature on the websocket upgrade", request.path)
        raise Forbidden("invalid signature", code=ErrorCode.INVALID_SIGNATURE)


@media_stream_bp.before_request
def _authenticate_upgrade() -> None:
    if request.endpoint == "media_stream.media_stream":
        verify_stream_signature()


@sock.route("/media_stream", bp=media_stream_bp)
def media_stream(ws):
    session.serve(ws, current_app._get_current_object())


@media_stream_bp.route("/media_stream/ended", methods=["POST"])
def stream_ended():
    verify_twilio_signature()
    host = current().app.host or request.host_url
    outcome = binding.stream_ended(request.form.to_dict(), host)
    return Response(twiml.render(outcome), mimetype="text/xml", status=200)
