"""Inbound messages and status callbacks from Twilio and Meta: storage, dedup, ordering, signatures."""
from __future__ import annotations

import itertools
import json
from datetime import timedelta
from urllib.parse import quote

import pytest

from server.models import Customer, WhatsAppMsg
from server.tests.whatsapp.conftest import (
    CUSTOMER_PHONE, META_PHONE_ID, META_SECRET, TWILIO_NUMBER, meta_inbound, meta_signature, meta_status, post_meta,
    post_twilio,
)


def _inbound_form(sid="SM" + "1" * 32, body="שלום, אפשר לקבוע תור?", name="דנה לוי", sender=CUSTOMER_PHONE,
                  to=TWILIO_NUMBER):
    return {"MessageSid": sid, "SmsMessageSid": sid, "SmsSid": sid, "AccountSid": "AC" + "a1" * 16,
            "From": f"whatsapp:{sender}", "To": f"whatsapp:{to}", "Body": body, "NumMedia": "0",
            "ProfileName": name, "WaId": sender.lstrip("+"), "SmsStatus": "received", "NumSegments": "1",
            "MessageType": "text", "ApiVersion": "2010-04-01"}


def _rows(db):
    return db.session.query(WhatsAppMsg).order_by(WhatsAppMsg.id).all()


# ---- inbound ---------------------------------------------------------------------------

def test_twilio_inbound_is_stored_and_an_unknown_sender_becomes_a_lead(client, db, twilio_business, wa_logs):
    r = post_twilio(client, _inbound_form())
    assert r.status_code == 200 and r.mimetype == "text/xml" and b"<Response>" in r.data
    [msg] = _rows(db)
    assert (msg.direction, msg.provider, msg.business_id) == ("inbound", "twilio", twilio_business.id)
    assert msg.body == "שלום, אפשר לקבוע תור?" and msg.from_number == CUSTOMER_PHONE
    lead = db.session.get(Customer, msg.customer_id)
    assert lead.name == "דנה לוי" and lead.phone == CUSTOMER_PHONE and lead.source == "whatsapp"
    assert any("inbound" in rec.getMessage() and "stored" in rec.getMessage() for rec in wa_logs.records)


def test_inbound_from_a_known_customer_is_attached_to_them(client, db, twilio_business, make_customer):
    customer = make_customer(twilio_business, name="משה כהן", phone=CUSTOMER_PHONE)
    post_twilio(client, _inbound_form(name="Moshe"))
    [msg] = _rows(db)
    assert msg.customer_id == customer.id
    assert db.session.query(Customer).count() == 1 and db.session.get(Customer, customer.id).name == "משה כהן"


def test_meta_inbound_is_stored_with_the_profile_name(client, db, meta_business, monkeypatch, app):
    monkeypatch.setitem(app.config, "META_APP_SECRET", META_SECRET)
    r = post_meta(client, meta_inbound("wamid.in1", "היי, אתם פתוחים היום?", name="רונית"))
    assert r.status_code == 200
    [msg] = _rows(db)
    assert (msg.provider, msg.business_id, msg.body) == ("meta", meta_business.id, "היי, אתם פתוחים היום?")
    assert db.session.get(Customer, msg.customer_id).name == "רונית"


def test_meta_inbound_is_routed_by_phone_number_id_when_the_display_number_is_unknown(client, db, meta_business):
    post_meta(client, meta_inbound("wamid.in2", "שלום", to_display="15550001111"), secret=None)
    [msg] = _rows(db)
    assert msg.business_id == meta_business.id


def test_the_phone_number_id_routes_only_to_a_live_meta_business_and_reads_a_stored_number_too(client, db,
                                                                                               make_business):
    """The lookup is one query on the JSON column: a deleted or non-Meta business with the same id
    is passed over, and an id stored as a JSON number still matches the webhook's text."""
    from server.models.base import utcnow
    make_business("סגור", whatsapp_provider="meta", whatsapp_config={"phone_number_id": META_PHONE_ID},
                  deleted_at=utcnow())
    make_business("טוויליו", whatsapp_provider="twilio", whatsapp_config={"phone_number_id": META_PHONE_ID})
    live = make_business("פתוח", whatsapp_provider="meta", whatsapp_config={"phone_number_id": int(META_PHONE_ID)})
    post_meta(client, meta_inbound("wamid.num", "שלום", to_display="15550001111"), secret=None)
    [msg] = _rows(db)
    assert msg.business_id == live.id


@pytest.mark.parametrize("provider", ["twilio", "meta"])
def test_same_inbound_delivered_ten_times_is_stored_once(client, db, twilio_business, meta_business, provider):
    for _ in range(10):
        if provider == "twilio":
            r = post_twilio(client, _inbound_form())
        else:
            r = post_meta(client, meta_inbound("wamid.same", "פעם אחת בלבד"), secret=None)
        assert r.status_code == 200
    assert len(_rows(db)) == 1
    assert db.session.query(Customer).count() == 1


def test_twilio_inbound_to_an_unknown_number_is_refused_and_not_stored(client, db, fake_twilio, wa_logs):
    r = post_twilio(client, _inbound_form(to="+97239998888"))
    assert r.status_code == 400 and r.get_json() == {"error": "unknown business number", "code": "unknown_business_number"}
    assert _rows(db) == [] and db.session.query(Customer).count() == 0
    assert any("no business has this number" in rec.getMessage() for rec in wa_logs.records)


def test_twilio_inbound_from_something_that_is_no_phone_is_refused(client, db, twilio_business):
    r = post_twilio(client, _inbound_form(sender="not-a-phone"))
    assert r.status_code == 400 and r.get_json() == {"error": "invalid sender", "code": "invalid_sender"}
    assert _rows(db) == []


def test_meta_inbound_for_an_unknown_number_is_skipped_but_the_rest_of_the_batch_is_kept(client, db, meta_business):
    payload = meta_inbound("wamid.ours", "שלום")
    stranger = meta_inbound("wamid.theirs", "לא שלנו", to_display="15550001111", phone_id="999")
    payload["entry"] += stranger["entry"]
    assert post_meta(client, payload, secret=None).status_code == 200
    assert [m.provider_message_id for m in _rows(db)] == ["wamid.ours"]


FUZZ = [
    ("empty form", b"", "application/x-www-form-urlencoded"),
    ("not json", b"{not json", "application/json"),
    ("json array", b"[1,2,3]", "application/json"),
    ("json null", b"null", "application/json"),
    ("deep json", b"[" * 5000 + b"]" * 5000, "application/json"),
    ("wrong types", b'{"object": 5, "entry": "x"}', "application/json"),
    ("entry junk", b'{"entry": [{"changes": [{"value": {"messages": [{"from": null}], "statuses": [7]}}]}, 3]}',
     "application/json"),
    ("id of a wrong type", b'{"entry": [{"changes": [{"value": {"messages": [{"id": {"a": 1}, "from": "972545551234"}],'
                           b' "metadata": {"display_phone_number": "97235557777"}}}]}]}', "application/json"),
    ("non-utf8 form", b"From=%FF%FE%FD&Body=%C3%28&MessageSid=\xff\xfe", "application/x-www-form-urlencoded"),
    ("raw bytes", bytes(range(256)) * 8, "application/x-www-form-urlencoded"),
    ("form no sid", b"From=whatsapp%3A%2B972545551234&Body=hi", "application/x-www-form-urlencoded"),
    ("form repeated keys", b"&".join([b"MessageSid=SM1"] * 2000), "application/x-www-form-urlencoded"),
    ("nul bytes", b"MessageSid=SM%00%00&Body=%00", "application/x-www-form-urlencoded"),
    ("xml", b"<?xml version='1.0'?><a><b/></a>", "text/xml"),
]


@pytest.mark.parametrize("route", ["/webhook/whatsapp/twilio", "/webhook/whatsapp/twilio/status",
                                   "/webhook/whatsapp/meta"])
def test_malformed_webhooks_answer_4xx_or_200_and_store_nothing(client, db, meta_business, route):
    for label, body, content_type in FUZZ:
        r = client.post(route, data=body, headers={"Content-Type": content_type})
        assert r.status_code in (200, 400, 415), (label, r.status_code, r.data[:200])
        assert r.is_json or r.mimetype == "text/xml"
    assert _rows(db) == [] and db.session.query(Customer).count() == 0


def test_inbound_opens_the_24h_window(client, db, login_as, twilio_business):
    login_as("staff", business=twilio_business)
    assert client.post("/api/whatsapp/send", json={"to": CUSTOMER_PHONE, "text": "שלום"}).status_code == 409
    post_twilio(client, _inbound_form())
    r = client.post("/api/whatsapp/send", json={"to": CUSTOMER_PHONE, "text": "שלום"})
    assert r.status_code == 200


# ---- signatures ------------------------------------------------------------------------

def test_forged_twilio_signature_is_refused_and_nothing_stored(client, db, twilio_business):
    r = post_twilio(client, _inbound_form(), signature="bm90IGEgc2lnbmF0dXJl")
    assert r.status_code == 403 and r.get_json() == {"error": "invalid signature", "code": "invalid_signature"}
    r = post_twilio(client, _inbound_form(), token="some-other-token")
    assert r.status_code == 403
    r = post_twilio(client, _inbound_form(), token=None)  # no header at all
    assert r.status_code == 403
    assert _rows(db) == [] and db.session.query(Customer).count() == 0


def test_twilio_signature_covers_the_body(client, db, twilio_business):
    from server.tests.whatsapp.conftest import HOST, twilio_signature
    signed = twilio_signature(HOST + "/webhook/whatsapp/twilio", _inbound_form(body="מקורי"))
    r = post_twilio(client, _inbound_form(body="זויף"), signature=signed)
    assert r.status_code == 403 and _rows(db) == []


def test_forged_meta_signature_is_refused_and_nothing_stored(client, db, meta_business, monkeypatch, app):
    monkeypatch.setitem(app.config, "META_APP_SECRET", META_SECRET)
    assert post_meta(client, meta_inbound("wamid.f1", "זיוף"), secret="wrong-secret").status_code == 403
    assert post_meta(client, meta_inbound("wamid.f2", "זיוף"), secret=None).status_code == 403
    assert post_meta(client, meta_inbound("wamid.f3", "זיוף"), signature="sha256=" + "0" * 64).status_code == 403
    assert _rows(db) == [] and db.session.query(Customer).count() == 0
    assert post_meta(client, meta_inbound("wamid.ok", "אמיתי")).status_code == 200
    assert len(_rows(db)) == 1


def test_meta_verification_handshake(client, app, monkeypatch):
    monkeypatch.setitem(app.config, "WHATSAPP_VERIFY_TOKEN", "verify-me-please")
    ok = client.get("/webhook/whatsapp/meta?hub.mode=subscribe&hub.verify_token=verify-me-please&hub.challenge=1158201444")
    assert ok.status_code == 200 and ok.data == b"1158201444" and ok.mimetype == "text/plain"
    bad = client.get("/webhook/whatsapp/meta?hub.mode=subscribe&hub.verify_token=guess&hub.challenge=1")
    assert bad.status_code == 403 and bad.get_json() == {"error": "forbidden", "code": "forbidden"}


def test_meta_verification_is_refused_when_no_token_is_configured(client, app, monkeypatch):
    monkeypatch.setitem(app.config, "WHATSAPP_VERIFY_TOKEN", None)
    r = client.get("/webhook/whatsapp/meta?hub.mode=subscribe&hub.verify_token=&hub.challenge=1")
    assert r.status_code == 403


def test_meta_webhook_with_a_broken_body_is_a_400(client, db):
    r = client.post("/webhook/whatsapp/meta", data=b"{not json", headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and r.get_json() == {"error": "invalid json", "code": "invalid_json"}


# ---- statuses --------------------------------------------------------------------------

def _sent_message(db, business, provider_message_id: str, status: str = "sent") -> WhatsAppMsg:
    import uuid
    msg = WhatsAppMsg(business_id=business.id, direction="outbound", status=status, provider=business.whatsapp_provider,
                      provider_message_id=provider_message_id, idempotency_key=uuid.uuid4().hex,
                      from_number=business.whatsapp_number, to_number=CUSTOMER_PHONE, body="שלום", flags={})
    db.session.add(msg)
    db.session.commit()
    return msg


def _twilio_status(sid: str, status: str, error_code: str | None = None) -> dict:
    form = {"MessageSid": sid, "SmsSid": sid, "MessageStatus": status, "SmsStatus": status,
            "AccountSid": "AC" + "a1" * 16, "From": f"whatsapp:{TWILIO_NUMBER}", "To": f"whatsapp:{CUSTOMER_PHONE}",
            "ChannelPrefix": "whatsapp", "ApiVersion": "2010-04-01"}
    if error_code:
        form["ErrorCode"] = error_code
    return form


ORDERS = list(itertools.permutations(["sent", "delivered", "read"]))


@pytest.mark.parametrize("order", ORDERS, ids=["-".join(o) for o in ORDERS])
def test_every_order_of_twilio_status_callbacks_ends_read(client, db, twilio_business, order):
    msg = _sent_message(db, twilio_business, "SM" + "9" * 32)
    for status in order:
        assert post_twilio(client, _twilio_status(msg.provider_message_id, status)).status_code == 200
    db.session.refresh(msg)
    assert msg.status == "read"
    assert msg.sent_at and msg.delivered_at and msg.read_at


@pytest.mark.parametrize("order", ORDERS, ids=["-".join(o) for o in ORDERS])
def test_every_order_of_meta_statuses_ends_read_with_the_same_times(client, db, meta_business, order):
    msg = _sent_message(db, meta_business, "wamid.order")
    times = {"sent": 1764000100, "delivered": 1764000160, "read": 1764000220}
    for status in order:
        assert post_meta(client, meta_status(msg.provider_message_id, status, timestamp=times[status]),
                         secret=None).status_code == 200
    db.session.refresh(msg)
    assert msg.status == "read"
    assert [int(t.timestamp()) for t in (msg.sent_at, msg.delivered_at, msg.read_at)] == list(times.values())


@pytest.mark.parametrize("order", list(itertools.permutations(["queued", "sent", "undelivered"])))
def test_every_order_of_a_failing_message_ends_failed_with_the_error(client, db, twilio_business, order):
    msg = _sent_message(db, twilio_business, "SM" + "8" * 32, status="queued")
    for status in order:
        post_twilio(client, _twilio_status(msg.provider_message_id, status,
                                           "63016" if status == "undelivered" else None))
    db.session.refresh(msg)
    assert msg.status == "failed" and msg.error_code == "63016"


def test_late_sent_never_overwrites_delivered(client, db, twilio_business):
    msg = _sent_message(db, twilio_business, "SM" + "7" * 32)
    post_twilio(client, _twilio_status(msg.provider_message_id, "delivered"))
    post_twilio(client, _twilio_status(msg.provider_message_id, "sent"))
    post_twilio(client, _twilio_status(msg.provider_message_id, "queued"))
    db.session.refresh(msg)
    assert msg.status == "delivered"


def test_meta_failed_status_records_the_provider_error(client, db, meta_business):
    msg = _sent_message(db, meta_business, "wamid.fail")
    error = {"code": 131047, "title": "Re-engagement message",
             "message": "Re-engagement message", "error_data": {"details": "Message failed to send because more "
                                                                "than 24 hours have passed"}}
    post_meta(client, meta_status("wamid.fail", "failed", error=error), secret=None)
    db.session.refresh(msg)
    assert msg.status == "failed" and msg.error_code == "131047"
    assert msg.error.startswith("Re-engagement message") and "24 hours" in msg.error


def test_status_that_outruns_the_worker_is_matched_by_our_key(client, db, meta_business):
    """Meta's status webhook can arrive before the worker records the message id."""
    msg = _sent_message(db, meta_business, None, status="sending")
    post_meta(client, meta_status("wamid.early", "delivered", key=msg.idempotency_key), secret=None)
    db.session.refresh(msg)
    assert msg.status == "delivered" and msg.provider_message_id == "wamid.early"


def test_twilio_status_callback_matched_by_the_key_in_its_url(client, db, twilio_business):
    msg = _sent_message(db, twilio_business, None, status="sending")
    post_twilio(client, _twilio_status("SM" + "6" * 32, "sent"), query=f"key={msg.idempotency_key}",
                route="/webhook/whatsapp/twilio/status")
    db.session.refresh(msg)
    assert msg.status == "sent" and msg.provider_message_id == "SM" + "6" * 32


def test_status_for_an_unknown_message_is_answered_and_ignored(client, db, twilio_business):
    r = post_twilio(client, _twilio_status("SM" + "5" * 32, "delivered"))
    assert r.status_code == 200 and _rows(db) == []


def test_messages_appear_in_the_conversation_api(client, db, login_as, twilio_business):
    post_twilio(client, _inbound_form())
    [msg] = _rows(db)
    login_as("viewer", business=twilio_business)
    items = client.get(f"/api/whatsapp/messages?customer_id={msg.customer_id}").get_json()["items"]
    assert [(m["direction"], m["text"]) for m in items] == [("inbound", "שלום, אפשר לקבוע תור?")]
    window = client.get(f"/api/whatsapp/window?customer_id={msg.customer_id}").get_json()
    assert window["open"] is True


def test_inbound_window_is_counted_from_receipt(db, twilio_business, client):
    from server.services.whatsapp import window_for_phone
    post_twilio(client, _inbound_form())
    [msg] = _rows(db)
    later = msg.created_at + timedelta(hours=24, seconds=1)
    assert window_for_phone(twilio_business.id, CUSTOMER_PHONE)["open"] is True
    assert window_for_phone(twilio_business.id, CUSTOMER_PHONE, now=later)["open"] is False
    assert META_PHONE_ID  # imported for the routing test above


def test_conversation_appears_on_the_customer_timeline(client, db, login_as, twilio_business, fake_twilio):
    post_twilio(client, _inbound_form(body="מתי אתם פתוחים?"))
    [inbound] = _rows(db)
    login_as("staff", business=twilio_business)
    r = client.post("/api/whatsapp/send", json={"to": CUSTOMER_PHONE, "text": "עד 19:00"})
    assert r.status_code == 200
    items = client.get(f"/api/customers/{inbound.customer_id}/timeline").get_json()
    whatsapp = [item for item in items if item["type"] == "whatsapp"]
    assert [(i["data"]["direction"], i["data"]["text"]) for i in whatsapp] == [
        ("outbound", "עד 19:00"), ("inbound", "מתי אתם פתוחים?")]


def test_inbound_text_with_nul_characters_is_stored_without_them(client, db, meta_business):
    r = post_meta(client, meta_inbound("wamid.nul", "שלום\x00 עולם", name="דנה\x00"), secret=None)
    assert r.status_code == 200
    [msg] = _rows(db)
    assert msg.body == "שלום עולם" and db.session.get(Customer, msg.customer_id).name == "דנה"


# ---- hostile text in a delivery --------------------------------------------------------

def _three_messages(middle_text: str, middle_id: str = "wamid.two") -> dict:
    payload = meta_inbound("wamid.one", "ראשונה")
    messages = payload["entry"][0]["changes"][0]["value"]["messages"]
    second, third = dict(messages[0]), dict(messages[0])
    second.update(id=middle_id, text={"body": middle_text})
    third.update(id="wamid.three", text={"body": "שלישית"})
    messages += [second, third]
    return payload


@pytest.mark.parametrize("middle", [{"middle_text": "שלום \ud800"}, {"middle_text": "x", "middle_id": "wamid.\udc00"},
                                    {"middle_text": "x", "middle_id": "wamid.\x00"}])
def test_meta_delivery_with_one_unstorable_message_keeps_the_others_and_answers_200(
        client, db, app, monkeypatch, meta_business, wa_logs, middle):
    monkeypatch.setitem(app.config, "META_APP_SECRET", META_SECRET)
    # ensure_ascii: the lone surrogate travels as the six characters \ud800, as Meta would send it.
    raw = json.dumps(_three_messages(**middle)).encode()
    r = client.post("/webhook/whatsapp/meta", data=raw,
                    headers={"Content-Type": "application/json", "X-Hub-Signature-256": meta_signature(raw)})
    assert r.status_code == 200 and r.get_json() == {"ok": True}
    assert [(m.provider_message_id, m.body) for m in _rows(db)] == [("wamid.one", "ראשונה"),
                                                                    ("wamid.three", "שלישית")]
    [rejected] = [rec.getMessage() for rec in wa_logs.records if "event 2 of 3 rejected" in rec.getMessage()]
    assert "cannot be stored" in rejected
    assert "שלום" not in rejected and "wamid" not in rejected  # no content in the log
    # Meta's retry of the same delivery stores nothing twice and still answers 200.
    r = client.post("/webhook/whatsapp/meta", data=raw,
                    headers={"Content-Type": "application/json", "X-Hub-Signature-256": meta_signature(raw)})
    assert r.status_code == 200 and len(_rows(db)) == 2


def test_meta_delivery_nested_too_deep_is_a_400_and_stores_nothing(client, db, meta_business):
    r = client.post("/webhook/whatsapp/meta", data=b'{"entry": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
                    headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and r.get_json() == {"error": "invalid json: nested too deep", "code": "json_too_deep"}
    assert _rows(db) == []


def test_twilio_message_with_invalid_utf8_is_stored_as_text_not_a_500(client, db, twilio_business):
    # A form cannot carry a lone surrogate: Werkzeug keeps percent-escapes that are no UTF-8
    # (here a surrogate's bytes) as the literal text, so the message is kept and answered 200.
    form = _inbound_form()
    raw = "&".join(f"{k}={quote(v)}" for k, v in form.items() if k != "Body") + "&Body=" + quote("שלום ") + "%ED%A0%80"
    decoded = dict(form, Body="שלום %ED%A0%80")
    from server.tests.whatsapp.conftest import HOST, twilio_signature
    r = client.post("/webhook/whatsapp/twilio", data=raw, content_type="application/x-www-form-urlencoded",
                    headers={"X-Twilio-Signature": twilio_signature(HOST + "/webhook/whatsapp/twilio", decoded)})
    assert r.status_code == 200, r.data
    [msg] = _rows(db)
    assert msg.body == "שלום %ED%A0%80"


def test_every_registered_transport_reads_its_webhooks_without_credentials_and_survives_garbage():
    from server.providers.whatsapp import NotConfigured, TRANSPORTS, transport_class
    assert set(TRANSPORTS) == {"dev", "twilio", "meta"}
    for name in TRANSPORTS:
        for garbage in ({}, {"entry": 5}, {"MessageSid": ""}, {"entry": [{"changes": [{"value": []}]}]}):
            assert transport_class(name).parse_webhook(garbage, {}) == [], (name, garbage)
    [event] = transport_class("twilio").parse_webhook(_inbound_form(), {})
    assert (event.provider, event.text) == ("twilio", "שלום, אפשר לקבוע תור?")
    assert [transport_class(n).needs_content_sid for n in ("dev", "twilio", "meta")] == [False, True, False]
    with pytest.raises(NotConfigured):
        transport_class("telegram")
