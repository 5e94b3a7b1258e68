"""WhatsApp webhooks: Twilio (messages + status callbacks) and Meta Cloud API.

Every provider goes through one helper: verify the signature → parse the body →
store what it says → answer. A forged request is refused (403) before anything is
parsed; a stored message is answered 200, however often the provider repeats it.
"""
from __future__ import annotations

import hmac
import logging
import time
from typing import Callable

from flask import Blueprint, Response, jsonify, request

from server import json_input
from server.config import current
from server.error_codes import ErrorCode
from server.errors import BadRequest, Forbidden
from server.services import whatsapp as service
from server.sqlite_locking import write_lock_first
from server.webhooks import verify_meta_signature, verify_twilio_signature

log = logging.getLogger(__name__)

whatsapp_webhooks_bp = Blueprint("whatsapp_webhooks", __name__, url_prefix="/webhook/whatsapp")

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


def _handle(provider: str, verify: Callable[[], None], read: Callable[[], object], answer: Callable[[], Response],
            strict: bool = False):
    started = time.perf_counter()
    verify()
    counts = service.ingest_webhook(provider, read(), request.args.to_dict(flat=True), strict=strict)
    log.info("webhook whatsapp/%s: %s in %.1f ms", provider,
             ", ".join(f"{k}={v}" for k, v in counts.items() if v) or "nothing to store",
             (time.perf_counter() - started) * 1000)
    return answer()


def _meta_json():
    # Not request.get_json, which refuses the whole body for one unstorable string: one
    # delivery batches many messages, and ingest_webhook keeps the good ones.
    try:
        data = json_input.loads(request.get_data(cache=True))
    except json_input.InvalidJSON as exc:
        raise BadRequest(str(exc), code=ErrorCode.JSON_TOO_DEEP if isinstance(exc, json_input.JSONTooDeep)
                         else ErrorCode.INVALID_JSON) from None
    if not isinstance(data, dict):
        raise BadRequest("invalid json", code=ErrorCode.INVALID_JSON)
    return data


def _twiml_ok() -> Response:
    return Response(EMPTY_TWIML, status=200, mimetype="text/xml")


@whatsapp_webhooks_bp.post("/twilio")
@write_lock_first
def twilio():
    """Twilio inbound WhatsApp message (or a status callback) — X-Twilio-Signature."""
    return _handle("twilio", verify_twilio_signature, lambda: request.form.to_dict(flat=True), _twiml_ok,
                   strict=True)


@whatsapp_webhooks_bp.post("/twilio/status")
@write_lock_first
def twilio_status():
    """Twilio message status callback (the StatusCallback URL of each message we send)."""
    return _handle("twilio", verify_twilio_signature, lambda: request.form.to_dict(flat=True), _twiml_ok,
                   strict=True)


@whatsapp_webhooks_bp.post("/meta")
@write_lock_first
def meta():
    """Meta Cloud API webhook: messages and statuses (X-Hub-Signature-256)."""
    return _handle("meta", verify_meta_signature, _meta_json,
                   lambda: (jsonify({"ok": True}), 200))


@whatsapp_webhooks_bp.get("/meta")
def meta_verify():
    """Meta's subscription handshake: echo hub.challenge when hub.verify_token matches."""
    expected = current().whatsapp.verify_token or ""
    given = request.args.get("hub.verify_token", "")
    if request.args.get("hub.mode") != "subscribe" or not expected or not hmac.compare_digest(given, expected):
        log.warning("rejected Meta webhook verification (wrong mode or token)")
        raise Forbidden("forbidden")
    return Response(request.args.get("hub.challenge", ""), status=200, mimetype="text/plain")
