"""Issue 16: production never accepts an unsigned webhook.

Without TWILIO_AUTH_TOKEN (or META_APP_SECRET) the signature checks used to be skipped, so
anyone could inject calls, messages and leads into any business. Production now refuses
every webhook it cannot verify (and refuses to start when the transport is configured:
test_config.py); development still accepts unsigned ones for hand-made demos.
"""
from __future__ import annotations

import pytest
from sqlalchemy import func, select
from twilio.request_validator import RequestValidator

from server.models import CallLog, Customer, WhatsAppMsg

BUSINESS_NUMBER = "+97235550001"
CALLER = "+972541112233"
UPGRADE = {"Connection": "Upgrade", "Upgrade": "websocket", "Sec-WebSocket-Version": "13",
           "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="}  # the Media Streams websocket
FORM = {"CallSid": "CA" + "5" * 32, "MessageSid": "SM" + "5" * 32, "AccountSid": "AC" + "0" * 32,
        "From": CALLER, "To": BUSINESS_NUMBER, "CallStatus": "ringing", "Body": "שלום", "NumMedia": "0",
        "MessageStatus": "delivered"}


def _webhook_routes(app) -> list[tuple[str, str]]:
    """Every provider-facing route and method; the Meta subscription handshake (GET) has its
    own secret, WHATSAPP_VERIFY_TOKEN, and is tested in whatsapp/test_whatsapp_webhooks.py."""
    routes = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/webhook/"):
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            if (rule.rule, method) != ("/webhook/whatsapp/meta", "GET"):
                routes.append((rule.rule, method))
    return routes


def _rows(db) -> tuple[int, int, int]:
    return tuple(db.session.scalar(select(func.count()).select_from(m)) for m in (CallLog, WhatsAppMsg, Customer))


@pytest.fixture
def production(app, monkeypatch):
    monkeypatch.setitem(app.config, "APP_ENV", "production")
    monkeypatch.setitem(app.config, "TWILIO_AUTH_TOKEN", None)
    monkeypatch.setitem(app.config, "META_APP_SECRET", None)
    return app


def test_every_webhook_route_is_covered(app):
    covered = {rule for rule, _ in _webhook_routes(app)}
    assert {"/webhook/incoming_call", "/webhook/handle_recording", "/webhook/call_status", "/webhook/media_stream",
            "/webhook/whatsapp/twilio", "/webhook/whatsapp/meta"} <= covered


def test_production_refuses_every_unsigned_webhook_without_its_secret(production, client, db, make_business):
    make_business(voice_number=BUSINESS_NUMBER, whatsapp_number=BUSINESS_NUMBER, whatsapp_provider="twilio")
    refused = {}
    for rule, method in _webhook_routes(production):
        if method == "GET":
            response = client.get(rule, query_string=FORM, headers=UPGRADE if rule.endswith("/media_stream") else {})
        elif rule.endswith("/meta"):
            response = client.post(rule, json={"object": "whatsapp_business_account", "entry": []})
        else:
            response = client.post(rule, data=FORM)
        refused[(rule, method)] = (response.status_code, response.get_json())
    assert refused == {key: (403, {"error": "invalid signature", "code": "invalid_signature"}) for key in refused}
    assert _rows(db) == (0, 0, 0)


def test_production_accepts_a_webhook_signed_with_the_configured_token(production, client, db, make_business,
                                                                      monkeypatch):
    make_business(voice_number=BUSINESS_NUMBER)
    monkeypatch.setitem(production.config, "TWILIO_AUTH_TOKEN", "twilio-auth-token")
    monkeypatch.setitem(production.config, "HOST", "https://kesher.example.co.il")
    form = {k: FORM[k] for k in ("CallSid", "AccountSid", "From", "To", "CallStatus")}
    signature = RequestValidator("twilio-auth-token").compute_signature(
        "https://kesher.example.co.il/webhook/incoming_call", form)
    response = client.post("/webhook/incoming_call", data=form, headers={"X-Twilio-Signature": signature})
    assert response.status_code == 200 and b"<Response>" in response.data
    assert _rows(db)[0] == 1


def test_development_still_accepts_an_unsigned_webhook(app, client, db, make_business):
    make_business(voice_number=BUSINESS_NUMBER)
    assert app.config["APP_ENV"] != "production" and not app.config["TWILIO_AUTH_TOKEN"]
    assert client.post("/webhook/incoming_call", data=FORM).status_code == 200
