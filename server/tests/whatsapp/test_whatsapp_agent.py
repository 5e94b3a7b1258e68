"""Issue 18: the agent answers WhatsApp — through the real webhook, the job and the queue —
books after an explicit yes, hands over to a person, and answers each message exactly once."""
from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from sqlalchemy import select

from server.models import Conversation, Customer, WhatsAppMsg
from server.models.appointments import Appointment
from server.models.base import utcnow
from server.tests.appointments.conftest import salon  # noqa: F401 - the fixture
from server.tests.whatsapp.conftest import CUSTOMER_PHONE, TWILIO_NUMBER, post_twilio

_sids = itertools.count(1)
ALWAYS_OPEN = {d: "00:00-23:59" for d in ("sun", "mon", "tue", "wed", "thu", "fri", "sat")}


@pytest.fixture()
def shop(db, salon, fake_twilio):  # noqa: F811
    """The salon, on Twilio WhatsApp, with the agent answering."""
    business = salon.business
    business.whatsapp_number, business.whatsapp_provider = TWILIO_NUMBER, "twilio"
    business.settings = {**(business.settings or {}), "whatsapp_agent": "always"}
    salon.customer.phone = CUSTOMER_PHONE  # מיכל writes from her phone
    db.session.commit()
    return salon


def write(client, text: str, sender: str = CUSTOMER_PHONE):
    """The customer writes to the business: Twilio's signed inbound webhook."""
    sid = f"SM{next(_sids):032d}"
    form = {"MessageSid": sid, "SmsMessageSid": sid, "SmsSid": sid, "AccountSid": "AC" + "a1" * 16,
            "From": f"whatsapp:{sender}", "To": f"whatsapp:{TWILIO_NUMBER}", "Body": text, "NumMedia": "0",
            "ProfileName": "נועה", "WaId": sender.lstrip("+"), "SmsStatus": "received", "NumSegments": "1",
            "MessageType": "text", "ApiVersion": "2010-04-01"}
    assert post_twilio(client, form).status_code == 200
    return sid


def messages(db, business_id):
    db.session.expire_all()
    return list(db.session.scalars(select(WhatsAppMsg).where(WhatsAppMsg.business_id == business_id)
                                   .order_by(WhatsAppMsg.id)))


def replies(db, business_id):
    return [m for m in messages(db, business_id) if m.direction == "outbound"]


def set_mode(db, business, mode, hours=None):
    settings = {**(business.settings or {}), "whatsapp_agent": mode}
    if hours is not None:
        settings["hours"] = hours
    business.settings = settings
    db.session.commit()


def test_a_price_question_is_answered_from_the_price_list(client, db, shop):
    write(client, "היי, כמה עולה החלקה?")
    inbound, reply = messages(db, shop.business.id)
    assert inbound.agent_status == "answered" and inbound.direction == "inbound"
    assert reply.direction == "outbound" and reply.to_number == CUSTOMER_PHONE
    assert "650" in reply.body and "החלקה" in reply.body
    assert reply.flags["agent"]["provider"] == "offline" and "price" in reply.flags["agent"]["intents"]
    assert reply.idempotency_key == f"agent-{inbound.id}"


def test_a_booking_over_whatsapp_is_offered_then_made_only_after_yes(client, db, shop):
    write(client, "שלום, אפשר לקבוע תור לתספורת? הכי מוקדם שיש")
    [offer] = replies(db, shop.business.id)
    assert "לקבוע לך תספורת נשים" in offer.body and offer.body.rstrip().endswith("?")
    assert db.session.scalars(select(Appointment)).all() == []      # a question is no booking

    write(client, "כן, מעולה")
    [appointment] = db.session.scalars(select(Appointment)).all()
    assert appointment.source == "whatsapp" and appointment.service_id == shop.haircut.id
    assert appointment.customer_id == shop.customer.id                # the sender, by phone
    done = replies(db, shop.business.id)[-1]
    assert done.body.startswith("קבעתי לך") and done.flags["agent"]["appointments"] == [{"action": "book", "ok": True}]
    # The dialogue between the messages lives on the conversation row, and is done now.
    conversation = db.session.scalar(select(Conversation))
    assert conversation.customer_id == shop.customer.id and "offered" not in (conversation.dialog or {}).get("step", "")


def test_the_customer_asking_for_a_person_hands_the_conversation_to_staff(client, db, shop, login_as):
    write(client, "אני רוצה לדבר עם נציג")
    [handover] = replies(db, shop.business.id)
    assert "העברתי את השיחה לצוות" in handover.body
    write(client, "כמה עולה החלקה?")
    assert len(replies(db, shop.business.id)) == 1                   # the agent stays quiet now
    assert messages(db, shop.business.id)[-1].flags["agent_skipped"] == "staff"

    login_as("staff", business=shop.business)
    state = client.get(f"/api/whatsapp/conversations/{shop.customer.id}").get_json()
    assert state["handler"] == "staff" and state["handed_over_reason"] == "customer"
    r = client.put(f"/api/whatsapp/conversations/{shop.customer.id}", json={"handler": "agent"})
    assert r.status_code == 200 and r.get_json()["handler"] == "agent"
    write(client, "כמה עולה החלקה?")
    assert "650" in replies(db, shop.business.id)[-1].body


def test_a_staff_reply_by_hand_takes_the_conversation_from_the_agent(client, db, shop, login_as):
    write(client, "שלום")
    login_as("staff", business=shop.business)
    r = client.post("/api/whatsapp/send", json={"to": "054-555-1234", "text": "היי, כאן שירה מהמספרה"})
    assert r.status_code == 200
    state = client.get(f"/api/whatsapp/conversations/{shop.customer.id}").get_json()
    assert (state["handler"], state["handed_over_reason"]) == ("staff", "staff")
    before = len(replies(db, shop.business.id))
    write(client, "תודה!")
    assert len(replies(db, shop.business.id)) == before


def test_agent_off_and_open_hours_leave_the_message_to_staff(client, db, shop):
    from server.services.reception.whatsapp_agent import answer_inbound
    set_mode(db, shop.business, "off")
    write(client, "כמה עולה החלקה?")
    assert replies(db, shop.business.id) == [] and messages(db, shop.business.id)[0].agent_status == "skipped"

    set_mode(db, shop.business, "outside_hours", hours=ALWAYS_OPEN)
    write(client, "כמה עולה החלקה?")
    assert replies(db, shop.business.id) == []
    assert messages(db, shop.business.id)[-1].flags["agent_skipped"] == "open hours"

    set_mode(db, shop.business, "outside_hours", hours={"sun": "09:00-10:00"})   # closed now, nearly always
    write(client, "כמה עולה החלקה?")
    last = messages(db, shop.business.id)[-1]
    if last.direction == "inbound":  # it is Sunday 09:00–10:00 in Israel right now: answer it as if at night
        last.agent_status = "pending"
        db.session.commit()
        night = utcnow().replace(hour=21)
        assert answer_inbound(last.id, now=night) == "answered"
    assert "650" in replies(db, shop.business.id)[-1].body


def test_each_message_is_answered_once_even_when_its_job_runs_again_or_dies(client, db, shop):
    from server.services.reception.whatsapp_agent import answer_inbound, due_answers
    set_mode(db, shop.business, "off")
    write(client, "כמה עולה החלקה?")
    [inbound] = messages(db, shop.business.id)
    set_mode(db, shop.business, "always")

    # A worker claimed it and died before answering: the lease runs out, the sweep finds it.
    inbound.agent_status, inbound.agent_claimed_at = "answering", utcnow()
    db.session.commit()
    assert answer_inbound(inbound.id) == "busy"                       # still leased to the dead worker
    later = utcnow() + timedelta(minutes=3)
    assert inbound.id in due_answers(now=later)
    assert answer_inbound(inbound.id, now=later) == "answered"
    assert answer_inbound(inbound.id, now=later) == "busy"            # done: a second job does nothing

    # A worker queued the reply and died before marking the message answered: the retry
    # finds the reply under its idempotency key and sends no second one.
    db.session.refresh(inbound)
    inbound.agent_status, inbound.agent_claimed_at = "answering", utcnow() - timedelta(minutes=5)
    db.session.commit()
    assert answer_inbound(inbound.id) == "answered"
    assert len(replies(db, shop.business.id)) == 1


def test_a_message_found_too_late_is_left_to_staff(db, shop, inbound_from):
    from server.services.reception.whatsapp_agent import due_answers
    old = inbound_from(shop.business, ago=timedelta(hours=2), text="כמה עולה החלקה?")
    old.customer_id, old.agent_status = shop.customer.id, "pending"
    db.session.commit()
    assert old.id not in due_answers()
    db.session.refresh(old)
    assert old.agent_status == "skipped" and replies(db, shop.business.id) == []


def test_another_business_cannot_read_or_take_the_conversation(client, db, shop, login_as, make_business):
    write(client, "שלום")
    login_as("admin", business=make_business("מוסך אחר"))
    assert client.get(f"/api/whatsapp/conversations/{shop.customer.id}").status_code == 404
    r = client.put(f"/api/whatsapp/conversations/{shop.customer.id}", json={"handler": "staff"})
    assert r.status_code == 404
    assert db.session.scalar(select(Conversation)).handler == "agent"


def test_viewers_read_the_conversation_state_but_cannot_change_it(client, db, shop, login_as):
    login_as("viewer", business=shop.business)
    state = client.get(f"/api/whatsapp/conversations/{shop.customer.id}").get_json()
    assert state == {"customer_id": shop.customer.id, "handler": "agent", "handed_over_at": None,
                     "handed_over_reason": None, "agent_setting": "always"}
    assert client.put(f"/api/whatsapp/conversations/{shop.customer.id}", json={"handler": "staff"}).status_code == 403
    r = client.put(f"/api/whatsapp/conversations/{shop.customer.id}", json={"handler": "robot"})
    assert r.status_code in (403, 422)


def test_erasing_the_customer_removes_the_conversation_state(client, db, shop, login_as):
    write(client, "אפשר לקבוע תור לתספורת? הכי מוקדם שיש")
    assert db.session.scalar(select(Conversation)).dialog
    login_as("admin", business=shop.business)
    customer = db.session.scalar(select(Customer).where(Customer.phone == CUSTOMER_PHONE))
    r = client.post(f"/api/crm/customers/{customer.id}/erase", json={"reason": "בקשת מחיקה"})
    assert r.status_code == 200, r.get_json()
    assert db.session.scalars(select(Conversation)).all() == []


def test_before_the_agent_a_reminder_answer_and_an_opt_out_are_handled(client, db, shop):
    from server.services.appointments import booking
    from server.tests.appointments.conftest import il, ordinary_sunday
    day = ordinary_sunday()
    write(client, "שלום")                                             # the window is open
    appointment = booking.book(shop.business.id, shop.customer.id, shop.haircut.id,
                               il(day.year, day.month, day.day, 10), shop.dana.id)
    confirmation = replies(db, shop.business.id)[-1]
    assert "1 לאישור" in confirmation.body
    write(client, "1")
    db.session.expire_all()
    assert db.session.get(Appointment, appointment.id).status == "confirmed"
    assert messages(db, shop.business.id)[-2].flags["agent_skipped"] == "handled:appointment_reply"
    assert "מאושר" in replies(db, shop.business.id)[-1].body           # the acknowledgement, not the agent
    before = len(replies(db, shop.business.id))
    write(client, "הסר")
    assert len(replies(db, shop.business.id)) == before               # no answer to an opt-out
    assert db.session.get(Customer, shop.customer.id).whatsapp_opted_out_at is not None


def test_with_the_agent_off_a_closed_business_sends_its_away_message(client, db, shop):
    from server.services.automations.settings import update_settings
    from server.schemas.automations import AutomationSettingsUpdate
    set_mode(db, shop.business, "off", hours={"sun": "00:00-00:01"})  # closed at any time we run
    update_settings(shop.business.id, AutomationSettingsUpdate.model_validate(
        {"away_message": {"enabled": True, "text": "סגורים עכשיו, נחזור אלייך"}}))
    write(client, "כמה עולה החלקה?")
    [away] = replies(db, shop.business.id)
    assert away.body == "סגורים עכשיו, נחזור אלייך" and away.flags["automation"] == "away_message"
    assert messages(db, shop.business.id)[0].flags.get("away_message") is True


def test_when_the_cloud_agent_fails_the_offline_one_answers_and_says_so(client, db, shop, app, monkeypatch):
    from server.tests.voice.conftest import serving
    with serving() as cloud:
        cloud.route("POST", "/v1/chat/completions", status=500, body={"error": {"message": "boom"}})
        for key, value in {"REPLY_PROVIDER": "openai", "OPENAI_API_KEY": "sk-test-not-a-real-key",
                           "OPENAI_BASE_URL": f"{cloud.url}/v1", "PROVIDER_TIMEOUT": 2}.items():
            monkeypatch.setitem(app.config, key, value)
        write(client, "כמה עולה החלקה?")
        assert [r.path for r in cloud.requests] == ["/v1/chat/completions"]
    [reply] = replies(db, shop.business.id)
    assert "650" in reply.body
    assert reply.flags["agent"]["provider"] == "offline" and reply.flags["agent"]["fallback"].startswith("openai")
