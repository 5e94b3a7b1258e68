"""Shared webhook plumbing: verify → parse → dispatch, used by every provider's handler.

Twilio signs the full public URL it called plus the POST form parameters
(X-Twilio-Signature, HMAC-SHA1 with the auth token). Behind a proxy the URL Flask sees
is not the one Twilio called, so it is rebuilt from HOST (or the forwarded headers that
ProxyFix already applied).

Production never accepts an unsigned webhook: without the provider's secret nothing can be
verified, so the webhook is refused (and config.validate_webhook_secrets refuses to start
when that provider is configured). Development and tests accept unsigned webhooks, so a
demo can post one by hand.
"""
from __future__ import annotations

import hashlib
import hmac
import logging

from flask import request

from server.config import current
from server.error_codes import ErrorCode
from server.errors import Forbidden

log = logging.getLogger(__name__)


def public_url() -> str:
    """The URL the provider called: HOST + path + query when HOST is set."""
    host = current().app.host
    if host:
        query = request.query_string.decode("latin-1")
        return host.rstrip("/") + request.path + (f"?{query}" if query else "")
    return request.url


def webhook_secret(key: str) -> str | None:
    """The secret that verifies a provider's webhooks; None means "accept unsigned" and is
    only ever answered outside production. Production without it refuses the request."""
    secret = current().value(key)
    if secret:
        return secret
    if current().app.production:
        log.error("rejected %s: %s is not set, so its signature cannot be verified", request.path, key)
        raise Forbidden("invalid signature", code=ErrorCode.INVALID_SIGNATURE)
    return None


def verify_twilio_signature() -> None:
    """403 for a forged or missing signature; without TWILIO_AUTH_TOKEN see webhook_secret."""
    token = webhook_secret("TWILIO_AUTH_TOKEN")
    if not token:
        return
    from twilio.request_validator import RequestValidator

    signature = request.headers.get("X-Twilio-Signature", "")
    params = request.form.to_dict(flat=True) if request.method == "POST" else {}
    if not signature or not RequestValidator(token).validate(public_url(), params, signature):
        log.warning("rejected %s: invalid Twilio signature", request.path)
        raise Forbidden("invalid signature", code=ErrorCode.INVALID_SIGNATURE)


def verify_meta_signature() -> None:
    """X-Hub-Signature-256 = sha256=HMAC-SHA256(raw body, META_APP_SECRET); see webhook_secret."""
    app_secret = webhook_secret("META_APP_SECRET")
    if not app_secret:
        return
    header = request.headers.get("X-Hub-Signature-256", "")
    expected = "sha256=" + hmac.new(app_secret.encode(), request.get_data(cache=True), hashlib.sha256).hexdigest()
    if not header or not hmac.compare_digest(header, expected):
        log.warning("rejected %s: invalid Meta signature", request.path)
        raise Forbidden("invalid signature", code=ErrorCode.INVALID_SIGNATURE)
