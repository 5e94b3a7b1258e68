"""The customer answers a confirmation or reminder on WhatsApp: 1/כן confirms, 2/ביטול cancels.

Each test stores a real inbound message (record_inbound, as the webhook does) and calls
handle_reply with it, as the WhatsApp agent's job will."""
from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from server.models import WhatsAppMsg
from server.models.audit import AuditEntry
from server.models.appointments import Appointment
from server.tests.appointments.conftest import il, ordinary_sunday

BUSINESS_NUMBER = "+97235550000"


@pytest.fixture(autouse=True)
def no_agent_job(monkeypatch):
    """These tests call handle_reply themselves; the agent's job (which calls it for real,
    server/tests/whatsapp/test_whatsapp_agent.py) would answer first."""
    monkeypatch.setattr("server.services.whatsapp.enqueue_answer", lambda message_id: None)


@pytest.fixture()
def booked(db, salon):
    """A booked appointment whose confirmation (with "1 לאישור, 2 לביטול") went out."""
    from server.services.appointments import booking
    salon.business.whatsapp_number = BUSINESS_NUMBER
    db.session.commit()
    day = ordinary_sunday()
    return booking.book(salon.business.id, salon.customer.id, salon.haircut.id, il(day.year, day.month, day.day, 10),
                        salon.dana.id)


def inbound(salon, text: str, phone: str | None = None) -> WhatsAppMsg:
    from server.providers.whatsapp.base import InboundMessage
    from server.services.whatsapp import record_inbound
    msg, _ = record_inbound(InboundMessage(provider="dev", provider_message_id=uuid.uuid4().hex,
                                           from_number=phone or salon.customer.phone, to_number=BUSINESS_NUMBER,
                                           text=text))
    return msg


def status_of(db, appointment) -> str:
    db.session.expire_all()
    return db.session.get(Appointment, appointment.id).status


def outbound(db, salon) -> list[WhatsAppMsg]:
    return list(db.session.scalars(select(WhatsAppMsg).where(WhatsAppMsg.business_id == salon.business.id,
                                                             WhatsAppMsg.direction == "outbound")
                                   .order_by(WhatsAppMsg.id)))


@pytest.mark.parametrize("text", ["1", " 1. ", "כן", "כֵּן!", "מאשר/ת", "מאשרת", "כן, מאשר"])
def test_an_answer_of_1_or_yes_confirms_and_is_acknowledged(db, salon, booked, text):
    from server.services.appointments.replies import handle_reply
    assert handle_reply(inbound(salon, text)) is True
    assert status_of(db, booked) == "confirmed"
    assert db.session.get(Appointment, booked.id).confirmed_at is not None
    ack = outbound(db, salon)[-1]
    assert ack.body.startswith("תודה מיכל! התור שלך לתספורת נשים ביום ראשון") and "מאושר" in ack.body
    assert not ack.flags.get("outside_window")  # the customer just wrote: free text is allowed


@pytest.mark.parametrize("text", ["2", "ביטול", "לבטל", "בִּיטּוּל", "2 - ביטול", "לבטל את התור"])
def test_an_answer_of_2_or_cancel_cancels_through_the_booking_service(db, salon, booked, text):
    from server.services.appointments.replies import handle_reply
    assert handle_reply(inbound(salon, text)) is True
    assert status_of(db, booked) == "cancelled"
    messages = outbound(db, salon)
    assert len(messages) == 2  # the confirmation and the acknowledgement; no separate cancel notice
    assert messages[-1].body.startswith("התור שלך לתספורת נשים ביום ראשון") and "בוטל" in messages[-1].body
    audit = db.session.scalars(select(AuditEntry).where(AuditEntry.entity_type == "appointment",
                                                      AuditEntry.entity_id == booked.id).order_by(AuditEntry.id)).all()
    assert [a.action for a in audit] == ["create", "update"]


def test_the_answer_works_after_the_reminder_too(db, salon, booked):
    from sqlalchemy import update

    from server.models.base import utcnow
    from server.services.appointments.reminders import send_reminder
    from server.services.appointments.replies import handle_reply
    db.session.execute(update(Appointment).where(Appointment.id == booked.id).values(reminder_due_at=utcnow()))
    db.session.commit()
    assert send_reminder(booked.id) is not None
    assert handle_reply(inbound(salon, "1")) is True
    assert status_of(db, booked) == "confirmed"


@pytest.mark.parametrize("text", ["מה השעה?", "3", "12", "כן אבל אפשר להזיז לשעה אחרת?", "", "אפשר לקבוע תור?"])
def test_anything_else_is_not_an_answer_and_changes_nothing(db, salon, booked, text):
    from server.services.appointments.replies import handle_reply
    before = len(outbound(db, salon))
    assert handle_reply(inbound(salon, text)) is False
    assert status_of(db, booked) == "booked"
    assert len(outbound(db, salon)) == before


def test_another_customers_answer_never_touches_the_appointment(db, salon, booked, make_customer):
    from server.services.appointments.replies import handle_reply
    make_customer(salon.business, name="רון", phone="+972509998877")
    assert handle_reply(inbound(salon, "2", phone="+972509998877")) is False
    assert status_of(db, booked) == "booked"


def test_an_answer_to_a_later_question_is_not_taken_for_the_appointment(db, salon, booked):
    """After the confirmation, the agent asked something else: "כן" answers that, not the appointment."""
    from server.services.appointments.replies import handle_reply
    from server.services.whatsapp import queue_message
    inbound(salon, "אפשר גם לקבוע לבעלי?")
    queue_message(salon.business.id, to=salon.customer.phone, text="בשמחה! לאיזה יום?")
    assert handle_reply(inbound(salon, "כן")) is False
    assert status_of(db, booked) == "booked"


def test_no_answer_for_a_cancelled_or_past_appointment(db, salon, booked):
    from server.services.appointments import booking
    from server.services.appointments.replies import handle_reply
    booking.cancel(salon.business.id, booked.id)
    assert handle_reply(inbound(salon, "1")) is False
    assert status_of(db, booked) == "cancelled"


def test_an_outbound_message_is_never_a_reply(db, salon, booked):
    from server.services.appointments.replies import handle_reply
    assert handle_reply(outbound(db, salon)[-1]) is False
