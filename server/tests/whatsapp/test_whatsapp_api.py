"""POST /api/whatsapp/send and the read endpoints: contract, roles, validation, window, templates."""
from __future__ import annotations

import json
from datetime import timedelta

import pytest

from server.models import WhatsAppMsg
from server.tests.whatsapp.conftest import CUSTOMER_PHONE, META_PHONE_ID, TWILIO_NUMBER


def _messages(db):
    return db.session.query(WhatsAppMsg).order_by(WhatsAppMsg.id).all()


# ---- contract and roles ----------------------------------------------------------------

def test_send_answers_ok_and_id_and_stores_the_message(client, db, login_as, dev_business, make_customer):
    customer = make_customer(dev_business, name="דנה כהן", phone=CUSTOMER_PHONE)
    login_as("staff", business=dev_business)
    r = client.post("/api/whatsapp/send", json={"to": "054-555-1234", "text": "שלום דנה, התור שלך מחר ב-10"})
    assert r.status_code == 200
    body = r.get_json()
    assert body == {"ok": True, "id": body["id"]} and isinstance(body["id"], int)
    msg = db.session.get(WhatsAppMsg, body["id"])
    assert msg.direction == "outbound" and msg.to_number == CUSTOMER_PHONE
    assert msg.customer_id == customer.id and msg.body.startswith("שלום דנה")


def test_business_admin_can_send(client, login_as, dev_business):
    login_as("admin", business=dev_business)
    r = client.post("/api/whatsapp/send", json={"to": CUSTOMER_PHONE, "text": "היי"})
    assert r.status_code == 200 and r.get_json()["ok"] is True


def test_viewer_cannot_send_whatsapp(client, db, login_as, dev_business):
    login_as("viewer", business=dev_business)
    r = client.post("/api/whatsapp/send", json={"to": CUSTOMER_PHONE, "text": "היי"})
    assert r.status_code == 403 and r.get_json() == {"error": "forbidden", "code": "forbidden"}
    assert _messages(db) == []


def test_logged_out_cannot_send(client, db):
    r = client.post("/api/whatsapp/send", json={"to": CUSTOMER_PHONE, "text": "היי"})
    assert r.status_code == 401 and r.get_json() == {"error": "unauthorized", "code": "unauthorized"}
    assert _messages(db) == []


def test_platform_admin_must_name_the_business(client, db, login_as, dev_business):
    login_as("admin")
    r = client.post("/api/whatsapp/send", json={"to": CUSTOMER_PHONE, "text": "היי"})
    assert r.status_code == 422 and "business_id" in r.get_json()["fields"]
    r = client.post("/api/whatsapp/send", json={"to": CUSTOMER_PHONE, "text": "היי", "business_id": dev_business.id})
    assert r.status_code == 200
    assert db.session.get(WhatsAppMsg, r.get_json()["id"]).business_id == dev_business.id


@pytest.mark.parametrize("payload, field", [
    ({"to": "12", "text": "שלום"}, "to"),
    ({"to": "not a phone", "text": "שלום"}, "to"),
    ({"text": "שלום"}, "to"),
    ({"to": CUSTOMER_PHONE, "text": ""}, "text"),
    ({"to": CUSTOMER_PHONE, "text": "   "}, "text"),
    ({"to": CUSTOMER_PHONE, "text": "א" * 4097}, "text"),
    ({"to": CUSTOMER_PHONE}, "body"),
    ({"to": CUSTOMER_PHONE, "text": "שלום", "template": "reminder"}, "body"),
])
def test_bad_send_input_is_refused_and_nothing_is_stored(client, db, login_as, dev_business, payload, field):
    login_as("staff", business=dev_business)
    r = client.post("/api/whatsapp/send", json=payload)
    assert r.status_code == 422, r.get_json()
    assert r.get_json()["error"] == "validation" and field in r.get_json()["fields"]
    assert _messages(db) == []


def test_text_of_exactly_4096_characters_is_accepted(client, login_as, dev_business):
    login_as("staff", business=dev_business)
    assert client.post("/api/whatsapp/send", json={"to": CUSTOMER_PHONE, "text": "ש" * 4096}).status_code == 200


def test_non_json_send_is_a_clear_4xx(client, db, login_as, dev_business):
    login_as("staff", business=dev_business)
    r = client.post("/api/whatsapp/send", data="to=1", content_type="text/plain")
    assert r.status_code == 415 and "error" in r.get_json()
    r = client.post("/api/whatsapp/send", data="{bad", content_type="application/json")
    assert r.status_code == 400 and r.get_json() == {"error": "invalid json", "code": "invalid_json"}
    assert _messages(db) == []


# ---- the development transport ---------------------------------------------------------

def test_dev_transport_accepts_and_says_it_delivered_nothing(client, db, login_as, dev_business, wa_logs):
    login_as("staff", business=dev_business)
    r = client.post("/api/whatsapp/send", json={"to": CUSTOMER_PHONE, "text": "בדיקה"})
    assert r.headers["X-WhatsApp-Transport"] == "dev"
    msg = db.session.get(WhatsAppMsg, r.get_json()["id"])
    assert msg.provider == "dev" and msg.status == "sent" and msg.delivered_at is None
    assert msg.flags["dev_transport"] is True and msg.flags["not_delivered"] is True
    assert any("DEV" in rec.getMessage() and "NOT delivered" in rec.getMessage() for rec in wa_logs.records)
    state = client.get("/api/whatsapp/transport").get_json()
    assert state["provider"] == "dev" and state["delivers"] is False and "not delivered" in state["warning"]


def test_twilio_without_credentials_falls_back_visibly(client, db, login_as, make_business):
    business = make_business(whatsapp_number=TWILIO_NUMBER, whatsapp_provider="twilio")
    login_as("staff", business=business)
    r = client.post("/api/whatsapp/send", json={"to": CUSTOMER_PHONE, "text": "בדיקה"})
    msg = db.session.get(WhatsAppMsg, r.get_json()["id"])
    assert msg.provider == "dev" and "TWILIO_ACCOUNT_SID" in msg.flags["fallback"]
    state = client.get("/api/whatsapp/transport").get_json()
    assert state == {**state, "configured": "twilio", "provider": "dev", "delivers": False}
    assert "twilio not configured" in state["fallback"]


# ---- the 24-hour window ----------------------------------------------------------------

def test_free_text_outside_window_is_refused_on_a_real_transport(client, db, login_as, twilio_business,
                                                                inbound_from, fake_twilio):
    inbound_from(twilio_business, ago=timedelta(hours=25))
    login_as("staff", business=twilio_business)
    r = client.post("/api/whatsapp/send", json={"to": CUSTOMER_PHONE, "text": "מבצע!"})
    assert r.status_code == 409 and r.get_json() == {"error": "outside 24h window", "code": "outside_24h_window"}
    assert [m.direction for m in _messages(db)] == ["inbound"]
    assert fake_twilio.deliveries == []


def test_free_text_to_a_number_that_never_wrote_is_outside_the_window(client, login_as, meta_business, fake_meta):
    login_as("staff", business=meta_business)
    r = client.post("/api/whatsapp/send", json={"to": CUSTOMER_PHONE, "text": "שלום"})
    assert r.status_code == 409 and r.get_json() == {"error": "outside 24h window", "code": "outside_24h_window"}
    assert fake_meta.deliveries == []


def test_free_text_inside_window_goes_through_twilio(client, db, login_as, twilio_business, inbound_from,
                                                     fake_twilio):
    inbound_from(twilio_business, ago=timedelta(hours=23, minutes=50))
    login_as("staff", business=twilio_business)
    r = client.post("/api/whatsapp/send", json={"to": "0545551234", "text": "נתראה מחר"})
    assert r.status_code == 200
    msg = db.session.get(WhatsAppMsg, r.get_json()["id"])
    assert msg.status == "sent" and msg.provider == "twilio"
    [delivery] = fake_twilio.deliveries
    assert msg.provider_message_id == delivery["sid"]
    form = delivery["form"]
    assert form["To"] == f"whatsapp:{CUSTOMER_PHONE}" and form["From"] == f"whatsapp:{TWILIO_NUMBER}"
    assert form["Body"] == "נתראה מחר"
    assert form["StatusCallback"] == f"https://kesher.example/webhook/whatsapp/twilio/status?key={msg.idempotency_key}"


def test_free_text_inside_window_goes_through_meta(client, db, login_as, meta_business, inbound_from, fake_meta):
    inbound_from(meta_business)
    login_as("staff", business=meta_business)
    r = client.post("/api/whatsapp/send", json={"to": CUSTOMER_PHONE, "text": "ההזמנה מוכנה"})
    msg = db.session.get(WhatsAppMsg, r.get_json()["id"])
    [delivery] = fake_meta.deliveries
    assert delivery["phone_number_id"] == META_PHONE_ID
    assert delivery["payload"] == {"messaging_product": "whatsapp", "recipient_type": "individual",
                                   "to": "972545551234", "type": "text",
                                   "text": {"preview_url": False, "body": "ההזמנה מוכנה"},
                                   "biz_opaque_callback_data": msg.idempotency_key}
    assert msg.status == "sent" and msg.provider_message_id == delivery["id"]


def test_dev_transport_accepts_outside_window_and_flags_it(client, db, login_as, dev_business):
    login_as("staff", business=dev_business)
    r = client.post("/api/whatsapp/send", json={"to": CUSTOMER_PHONE, "text": "שלום"})
    assert r.status_code == 200
    assert db.session.get(WhatsAppMsg, r.get_json()["id"]).flags["outside_window"] is True


def test_window_endpoint_says_open_and_until_when(client, login_as, twilio_business, make_customer, inbound_from):
    customer = make_customer(twilio_business, phone=CUSTOMER_PHONE)
    login_as("viewer", business=twilio_business)
    closed = client.get(f"/api/whatsapp/window?customer_id={customer.id}").get_json()
    assert closed["open"] is False and closed["until"] is None and closed["enforced"] is True
    last = inbound_from(twilio_business, ago=timedelta(hours=2))
    opened = client.get(f"/api/whatsapp/window?customer_id={customer.id}").get_json()
    assert opened["open"] is True
    assert opened["until"] == (last.created_at + timedelta(hours=24)).isoformat()


def test_window_of_another_business_customer_is_not_found(client, login_as, dev_business, make_business,
                                                          make_customer):
    other = make_customer(make_business("עסק אחר"), phone=CUSTOMER_PHONE)
    login_as("staff", business=dev_business)
    r = client.get(f"/api/whatsapp/window?customer_id={other.id}")
    assert r.status_code == 404 and r.get_json() == {"error": "customer not found", "code": "customer_not_found"}


# ---- templates -------------------------------------------------------------------------

TEMPLATE = {"name": "appointment_reminder", "language": "he",
            "body": "שלום {{1}}, מזכירים את התור שלך ב-{{2}}",
            "twilio_content_sid": "HX" + "b2" * 16, "meta_template_name": "appointment_reminder"}


def test_templates_crud_by_business_admin(client, login_as, dev_business):
    login_as("admin", business=dev_business)
    r = client.post("/api/whatsapp/templates", json=TEMPLATE)
    assert r.status_code == 201
    created = r.get_json()
    assert created["name"] == "appointment_reminder" and created["language"] == "he"
    assert client.post("/api/whatsapp/templates", json=TEMPLATE).status_code == 409
    r = client.put(f"/api/whatsapp/templates/{created['id']}", json={"body": "היי {{1}}, נתראה ב-{{2}}"})
    assert r.status_code == 200 and r.get_json()["body"].startswith("היי")
    assert [t["id"] for t in client.get("/api/whatsapp/templates").get_json()["items"]] == [created["id"]]
    assert client.delete(f"/api/whatsapp/templates/{created['id']}").status_code == 200
    assert client.get("/api/whatsapp/templates").get_json()["items"] == []


def test_staff_cannot_change_templates_but_can_read_them(client, login_as, dev_business):
    login_as("staff", business=dev_business)
    assert client.post("/api/whatsapp/templates", json=TEMPLATE).status_code == 403
    assert client.get("/api/whatsapp/templates").status_code == 200


def test_bad_template_is_refused(client, login_as, dev_business):
    login_as("admin", business=dev_business)
    r = client.post("/api/whatsapp/templates", json={**TEMPLATE, "name": "תזכורת"})
    assert r.status_code == 422 and "name" in r.get_json()["fields"]
    r = client.post("/api/whatsapp/templates", json={**TEMPLATE, "twilio_content_sid": "nope"})
    assert r.status_code == 422 and "twilio_content_sid" in r.get_json()["fields"]


def _add_template(db, business, **fields):
    from server.models import WhatsAppTemplate
    row = WhatsAppTemplate(business_id=business.id, **{**TEMPLATE, **fields})
    db.session.add(row)
    db.session.commit()
    return row


def test_template_outside_window_goes_through_twilio_content_api(client, db, login_as, twilio_business,
                                                                 fake_twilio):
    _add_template(db, twilio_business)
    fake_twilio.content[TEMPLATE["twilio_content_sid"]] = "שלום {{1}}, מזכירים את התור שלך ב-{{2}}"
    login_as("staff", business=twilio_business)
    r = client.post("/api/whatsapp/send", json={"to": CUSTOMER_PHONE, "template": "appointment_reminder",
                                                "variables": {"1": "דנה", "2": "10:30"}})
    assert r.status_code == 200, r.get_json()
    msg = db.session.get(WhatsAppMsg, r.get_json()["id"])
    [delivery] = fake_twilio.deliveries
    form = delivery["form"]
    assert form["ContentSid"] == TEMPLATE["twilio_content_sid"] and "Body" not in form
    assert json.loads(form["ContentVariables"]) == {"1": "דנה", "2": "10:30"}
    assert delivery["body"] == msg.body == "שלום דנה, מזכירים את התור שלך ב-10:30"
    assert msg.status == "sent" and msg.template_name == "appointment_reminder"


def test_template_outside_window_goes_through_meta_template_message(client, db, login_as, meta_business,
                                                                    fake_meta):
    _add_template(db, meta_business, body="שלום {{name}}, ההזמנה {{order}} מוכנה",
                  meta_template_name="order_ready", name="order_ready")
    login_as("staff", business=meta_business)
    r = client.post("/api/whatsapp/send", json={"to": CUSTOMER_PHONE, "template": "order_ready",
                                                "variables": {"order": 1234, "name": "יוסי"}})
    assert r.status_code == 200, r.get_json()
    [delivery] = fake_meta.deliveries
    payload = delivery["payload"]
    assert payload["type"] == "template" and "text" not in payload
    assert payload["template"] == {"name": "order_ready", "language": {"code": "he"}, "components": [
        {"type": "body", "parameters": [{"type": "text", "text": "יוסי", "parameter_name": "name"},
                                        {"type": "text", "text": "1234", "parameter_name": "order"}]}]}
    assert db.session.get(WhatsAppMsg, r.get_json()["id"]).body == "שלום יוסי, ההזמנה 1234 מוכנה"


def test_template_send_needs_every_variable_and_a_known_template(client, db, login_as, twilio_business):
    _add_template(db, twilio_business)
    login_as("staff", business=twilio_business)
    r = client.post("/api/whatsapp/send", json={"to": CUSTOMER_PHONE, "template": "appointment_reminder",
                                                "variables": {"1": "דנה"}})
    assert r.status_code == 422 and r.get_json()["fields"] == {"variables": "missing: 2"}
    r = client.post("/api/whatsapp/send", json={"to": CUSTOMER_PHONE, "template": "no_such"})
    assert r.status_code == 422 and r.get_json()["fields"] == {"template": "unknown template"}
    assert _messages(db) == []


# ---- conversation ----------------------------------------------------------------------

def test_messages_lists_a_conversation_newest_first_and_paged(client, login_as, dev_business, make_customer):
    customer = make_customer(dev_business, phone=CUSTOMER_PHONE)
    login_as("staff", business=dev_business)
    ids = [client.post("/api/whatsapp/send", json={"to": CUSTOMER_PHONE, "text": f"הודעה {i}"}).get_json()["id"]
           for i in range(5)]
    page1 = client.get(f"/api/whatsapp/messages?customer_id={customer.id}&limit=2").get_json()
    page3 = client.get(f"/api/whatsapp/messages?customer_id={customer.id}&limit=2&page=3").get_json()
    assert page1["total"] == 5 and [m["id"] for m in page1["items"]] == ids[::-1][:2]
    assert [m["id"] for m in page3["items"]] == [ids[0]]
    assert page1["items"][0]["text"] == "הודעה 4" and page1["items"][0]["flags"]["dev_transport"] is True


def test_the_inbox_names_known_customers_and_leaves_strangers_as_numbers(client, login_as, dev_business,
                                                                         make_customer):
    make_customer(dev_business, name="דָּנָה כֹּהֵן", phone=CUSTOMER_PHONE)
    login_as("staff", business=dev_business)
    client.post("/api/whatsapp/send", json={"to": CUSTOMER_PHONE, "text": "שלום דנה"})
    client.post("/api/whatsapp/send", json={"to": "052-765-4321", "text": "שלום"})
    items = client.get("/api/whatsapp/messages").get_json()["items"]
    assert [(m["text"], m["customer_name"]) for m in items] == [("שלום", None), ("שלום דנה", "דָּנָה כֹּהֵן")]


def test_messages_of_another_business_are_not_found(client, login_as, dev_business, make_business, make_customer):
    other = make_customer(make_business("עסק אחר"), phone=CUSTOMER_PHONE)
    login_as("viewer", business=dev_business)
    assert client.get(f"/api/whatsapp/messages?customer_id={other.id}").status_code == 404
    assert client.get("/api/whatsapp/messages?limit=0").status_code == 422
