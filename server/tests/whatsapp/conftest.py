"""WhatsApp fixtures: fake Twilio / Meta servers, businesses on each transport, signing helpers."""
from __future__ import annotations

import hashlib
import hmac
import json
from datetime import timedelta

import pytest

from server.tests.whatsapp.fakes import FakeMeta, FakeTwilio

TWILIO_SID = "AC" + "a1" * 16
TWILIO_TOKEN = "twilio-test-auth-token-0001"
META_TOKEN = "meta-test-access-token-0001"
META_SECRET = "meta-test-app-secret-0001"
HOST = "https://kesher.example"

CUSTOMER_PHONE = "+972545551234"
TWILIO_NUMBER = "+97235551234"
META_NUMBER = "+97235557777"
META_PHONE_ID = "106540352242922"


@pytest.fixture(autouse=True)
def fast_delivery(app, monkeypatch):
    """Short retry delays and leases so retry and crash tests take seconds."""
    for key, value in {"WHATSAPP_RETRY_BASE_SECONDS": 0.2, "WHATSAPP_RETRY_MAX_SECONDS": 2.0,
                       "WHATSAPP_HTTP_TIMEOUT": 1.0, "WHATSAPP_SEND_LEASE_SECONDS": 2.0,
                       "WHATSAPP_RECONCILE_WAIT_SECONDS": 1.0, "WHATSAPP_MAX_ATTEMPTS": 5,
                       "HOST": HOST}.items():
        monkeypatch.setitem(app.config, key, value)


@pytest.fixture()
def wa_logs(caplog):
    """caplog at INFO for the WhatsApp modules.

    Alembic's fileConfig (run by the session's migrations) disables every logger that
    existed before it; re-enable ours so the test sees what production logs.
    """
    import logging
    for name in ("server.services.whatsapp", "server.routes.whatsapp_webhooks", "server.providers.whatsapp",
                 "server.providers.whatsapp.dev", "server.tasks.whatsapp"):
        logging.getLogger(name).disabled = False
    caplog.set_level(logging.INFO)
    return caplog


@pytest.fixture()
def fake_twilio(app, monkeypatch):
    fake = FakeTwilio(TWILIO_SID, TWILIO_TOKEN)
    monkeypatch.setitem(app.config, "TWILIO_ACCOUNT_SID", TWILIO_SID)
    monkeypatch.setitem(app.config, "TWILIO_AUTH_TOKEN", TWILIO_TOKEN)
    monkeypatch.setitem(app.config, "TWILIO_API_BASE", fake.url)
    yield fake
    fake.close()


@pytest.fixture()
def fake_meta(app, monkeypatch):
    fake = FakeMeta(META_TOKEN)
    monkeypatch.setitem(app.config, "META_ACCESS_TOKEN", META_TOKEN)
    monkeypatch.setitem(app.config, "META_GRAPH_BASE", fake.url)
    monkeypatch.setitem(app.config, "META_GRAPH_VERSION", "v21.0")
    yield fake
    fake.close()


@pytest.fixture()
def twilio_business(make_business, fake_twilio):
    return make_business("מספרת שושנה", whatsapp_number=TWILIO_NUMBER, whatsapp_provider="twilio")


@pytest.fixture()
def meta_business(make_business, fake_meta):
    return make_business("פלאפל הדר", whatsapp_number=META_NUMBER, whatsapp_provider="meta",
                         whatsapp_config={"phone_number_id": META_PHONE_ID})


@pytest.fixture()
def dev_business(make_business):
    return make_business("מוסך הגליל", whatsapp_number="+97246661234")


@pytest.fixture()
def inbound_from(db):
    """Record that the customer wrote to the business `ago` before now (opens the window)."""
    def make(business, phone: str = CUSTOMER_PHONE, ago: timedelta = timedelta(minutes=5), text: str = "שלום"):
        import uuid

        from server.models import WhatsAppMsg
        from server.models.base import utcnow
        when = utcnow() - ago
        msg = WhatsAppMsg(business_id=business.id, direction="inbound", status="delivered",
                          provider=business.whatsapp_provider, provider_message_id=f"in-{uuid.uuid4().hex}",
                          from_number=phone, to_number=business.whatsapp_number, body=text, flags={},
                          created_at=when, updated_at=when)
        db.session.add(msg)
        db.session.commit()
        return msg
    return make


def twilio_signature(url: str, params: dict, token: str = TWILIO_TOKEN) -> str:
    from twilio.request_validator import RequestValidator
    return RequestValidator(token).compute_signature(url, params)


def post_twilio(client, form: dict, query: str = "", token: str | None = TWILIO_TOKEN, signature: str | None = None,
                route: str = "/webhook/whatsapp/twilio"):
    """POST a Twilio webhook signed the way Twilio signs it (public URL + sorted params)."""
    path = route + (f"?{query}" if query else "")
    headers = {}
    if token is not None:
        headers["X-Twilio-Signature"] = signature or twilio_signature(HOST + path, form, token)
    return client.post(path, data=form, headers=headers)


def meta_signature(raw: bytes, secret: str = META_SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()


def post_meta(client, payload: dict, secret: str | None = META_SECRET, signature: str | None = None):
    raw = json.dumps(payload, ensure_ascii=False).encode()
    headers = {"Content-Type": "application/json"}
    if secret is not None or signature is not None:
        headers["X-Hub-Signature-256"] = signature or meta_signature(raw, secret)
    return client.post("/webhook/whatsapp/meta", data=raw, headers=headers)


def meta_inbound(wamid: str, text: str, sender: str = "972545551234", name: str = "דנה לוי",
                 to_display: str = "97235557777", phone_id: str = META_PHONE_ID) -> dict:
    return {"object": "whatsapp_business_account", "entry": [{"id": "102290129340398", "changes": [{
        "field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": to_display, "phone_number_id": phone_id},
            "contacts": [{"profile": {"name": name}, "wa_id": sender}],
            "messages": [{"from": sender, "id": wamid, "timestamp": "1764000000", "type": "text",
                          "text": {"body": text}}]}}]}]}


def meta_status(wamid: str, status: str, key: str | None = None, timestamp: int = 1764000100,
                error: dict | None = None, phone_id: str = META_PHONE_ID) -> dict:
    entry = {"id": wamid, "status": status, "timestamp": str(timestamp), "recipient_id": "972545551234"}
    if key:
        entry["biz_opaque_callback_data"] = key
    if error:
        entry["errors"] = [error]
    return {"object": "whatsapp_business_account", "entry": [{"id": "102290129340398", "changes": [{
        "field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "97235557777", "phone_number_id": phone_id},
            "statuses": [entry]}}]}]}
