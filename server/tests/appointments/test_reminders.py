"""WhatsApp confirmations and reminders: a Hebrew notice on book, move and cancel, and one
reminder `reminder_hours` before the start — exactly once, never for a cancelled appointment,
a template outside the 24-hour window. On SQLite and on PostgreSQL (TEST_DATABASE_URL)."""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from server.models import WhatsAppMsg
from server.models.appointments import Appointment
from server.models.base import utcnow
from server.tests.appointments.conftest import il, ordinary_sunday

BUSINESS_NUMBER = "+97235550000"


@pytest.fixture()
def sunday():
    return ordinary_sunday()


@pytest.fixture()
def outbound(db, salon):
    def messages() -> list[WhatsAppMsg]:
        db.session.expire_all()
        return list(db.session.scalars(select(WhatsAppMsg).where(
            WhatsAppMsg.business_id == salon.business.id, WhatsAppMsg.direction == "outbound")
            .order_by(WhatsAppMsg.id)))
    return messages


def _book(salon, start, **kw):
    from server.services.appointments import booking
    return booking.book(salon.business.id, salon.customer.id, salon.haircut.id, start, salon.dana.id, **kw)


def _make_due(db, appointment_id: int, ago: timedelta = timedelta(minutes=1)) -> None:
    """The reminder's time has come (the appointment itself stays a week away)."""
    db.session.execute(update(Appointment).where(Appointment.id == appointment_id)
                       .values(reminder_due_at=utcnow() - ago))
    db.session.commit()


def _inbound(db, salon, text: str, customer=None):
    from server.providers.whatsapp.base import InboundMessage
    from server.services.whatsapp import record_inbound
    import uuid
    salon.business.whatsapp_number = BUSINESS_NUMBER
    db.session.commit()
    msg, _ = record_inbound(InboundMessage(provider="dev", provider_message_id=uuid.uuid4().hex,
                                           from_number=(customer or salon.customer).phone,
                                           to_number=BUSINESS_NUMBER, text=text))
    return msg


def test_a_booking_queues_a_hebrew_confirmation_with_the_reply_options(db, salon, sunday, outbound):
    appointment = _book(salon, il(sunday.year, sunday.month, sunday.day, 10, 30))
    [msg] = outbound()
    assert msg.to_number == salon.customer.phone and msg.customer_id == salon.customer.id
    assert msg.body == (f"שלום מיכל, נקבע לך תור לתספורת נשים במספרת שירה ביום ראשון "
                        f"{sunday.day}.{sunday.month}.{sunday.year} בשעה 10:30. השיבו 1 לאישור, 2 לביטול.")
    # No inbound message yet, no approved template: the development transport takes the text, flagged.
    assert msg.template_name is None and msg.flags.get("outside_window") is True
    db.session.refresh(appointment)
    assert appointment.notice_message_id == msg.id
    # 24 hours before is Shabbat: the salon closes on it, so the reminder goes on Friday at 13:00.
    friday = sunday - timedelta(days=2)
    assert appointment.reminder_due_at == il(friday.year, friday.month, friday.day, 13)
    assert appointment.reminder_sent_at is None and appointment.notice_pending is None


def test_a_seeded_booking_sends_nothing(db, salon, sunday, outbound):
    _book(salon, il(sunday.year, sunday.month, sunday.day, 10), notify=False)
    assert outbound() == []


def test_moving_sends_a_notice_and_the_reminder_follows_the_new_time(db, salon, sunday, outbound):
    from server.services.appointments import booking
    appointment = _book(salon, il(sunday.year, sunday.month, sunday.day, 10))
    _make_due(db, appointment.id)
    from server.services.appointments.reminders import send_reminder
    assert send_reminder(appointment.id) is not None
    monday = sunday + timedelta(days=1)
    new_start = il(monday.year, monday.month, monday.day, 14)
    booking.move(salon.business.id, appointment.id, start=new_start, fields={"start"})
    messages = outbound()
    assert len(messages) == 3  # confirmation, reminder, the move
    assert messages[-1].body.startswith("שלום מיכל, התור שלך לתספורת נשים במספרת שירה הועבר ליום שני")
    assert "בשעה 14:00" in messages[-1].body and "1 לאישור, 2 לביטול" in messages[-1].body
    db.session.refresh(appointment)
    assert appointment.reminder_sent_at is None  # a new time, a new reminder
    assert appointment.reminder_due_at == new_start - timedelta(hours=24)


def test_a_status_change_alone_sends_no_notice(db, salon, sunday, outbound):
    from server.services.appointments import booking
    appointment = _book(salon, il(sunday.year, sunday.month, sunday.day, 10))
    booking.move(salon.business.id, appointment.id, notes="מעדיפה את דנה", fields={"notes"})
    booking.move(salon.business.id, appointment.id, status="confirmed", fields={"status"})
    assert len(outbound()) == 1
    db.session.refresh(appointment)
    assert appointment.confirmed_at is not None


def test_cancelling_sends_a_notice_and_no_reminder_ever_goes(db, salon, sunday, outbound):
    from server.services.appointments import booking
    from server.services.appointments.reminders import due_reminders, send_reminder
    appointment = _book(salon, il(sunday.year, sunday.month, sunday.day, 10))
    _make_due(db, appointment.id)
    booking.cancel(salon.business.id, appointment.id)
    messages = outbound()
    assert len(messages) == 2
    assert messages[-1].body == (f"שלום מיכל, התור שלך לתספורת נשים במספרת שירה ביום ראשון "
                                 f"{sunday.day}.{sunday.month}.{sunday.year} בשעה 10:00 בוטל. "
                                 "לקביעת מועד חדש אפשר לכתוב לנו כאן.")
    assert appointment.id not in [a for a, _ in due_reminders()]
    assert send_reminder(appointment.id) is None
    assert len(outbound()) == 2


@pytest.mark.parametrize("status", ["no_show", "done"])
def test_no_reminder_for_a_no_show_or_a_done_appointment(db, salon, sunday, outbound, status):
    from server.services.appointments import booking
    from server.services.appointments.reminders import send_reminder
    appointment = _book(salon, il(sunday.year, sunday.month, sunday.day, 10))
    booking.move(salon.business.id, appointment.id, status=status, fields={"status"})
    _make_due(db, appointment.id)
    assert send_reminder(appointment.id) is None
    assert len(outbound()) == 1


def test_no_reminder_once_the_appointment_has_started(db, salon, outbound):
    from server.services.appointments.reminders import due_reminders, send_reminder
    start = utcnow() - timedelta(minutes=5)
    end = start + timedelta(minutes=45)
    row = Appointment(business_id=salon.business.id, customer_id=salon.customer.id, service_id=salon.haircut.id,
                      staff_id=salon.dana.id, start_at=start, end_at=end, blocked_until=end, status="booked",
                      source="web", reminder_due_at=start - timedelta(hours=24))
    db.session.add(row)
    db.session.commit()
    assert due_reminders() == [] and send_reminder(row.id) is None
    assert outbound() == []


def test_the_reminder_comes_reminder_hours_before_and_only_once(db, client, login_as, salon, sunday, outbound):
    from server.services.appointments.reminders import due_reminders, send_reminder
    login_as("admin", salon.business)
    assert client.get("/api/calendar-policy").get_json()["reminder_hours"] == 24
    assert client.put("/api/calendar-policy", json={"reminder_hours": 3}).get_json()["reminder_hours"] == 3
    start = il(sunday.year, sunday.month, sunday.day, 11)
    appointment = _book(salon, start)
    due = start - timedelta(hours=3)
    db.session.refresh(appointment)
    assert appointment.reminder_due_at == due
    assert due_reminders(now=due - timedelta(minutes=2)) == []
    assert send_reminder(appointment.id, now=due - timedelta(minutes=2)) is None  # too early
    assert [a for a, _ in due_reminders(now=due - timedelta(seconds=30))] == [appointment.id]
    message_id = send_reminder(appointment.id, now=due)
    assert message_id is not None
    assert send_reminder(appointment.id, now=due + timedelta(minutes=1)) is None
    assert due_reminders(now=due) == []
    reminder = outbound()[-1]
    assert reminder.id == message_id
    assert reminder.body.startswith("שלום מיכל, תזכורת: מחכה לך תור לתספורת נשים במספרת שירה ביום ראשון")
    assert "בשעה 11:00" in reminder.body and reminder.body.endswith("השיבו 1 לאישור, 2 לביטול.")
    db.session.refresh(appointment)
    assert appointment.reminder_sent_at == due and appointment.notice_message_id == message_id


def test_changing_reminder_hours_moves_the_reminders_still_to_come(db, client, login_as, salon, sunday):
    start = il(sunday.year, sunday.month, sunday.day, 11)
    appointment = _book(salon, start)
    login_as("admin", salon.business)
    client.put("/api/calendar-policy", json={"reminder_hours": 48})
    db.session.refresh(appointment)
    assert appointment.reminder_due_at == start - timedelta(hours=48)
    client.put("/api/calendar-policy", json={"reminder_hours": 0})
    db.session.refresh(appointment)
    assert appointment.reminder_due_at is None


@pytest.mark.parametrize("value", [-1, 169, None, 1.5, "כל יום"])
def test_reminder_hours_is_0_to_168(client, login_as, value):
    login_as("admin", platform=False)
    r = client.put("/api/calendar-policy", json={"reminder_hours": value})
    assert r.status_code == 422 and "reminder_hours" in r.get_json()["fields"]
    assert client.get("/api/calendar-policy").get_json()["reminder_hours"] == 24


def test_with_reminder_hours_zero_there_is_no_reminder(db, client, login_as, salon, sunday):
    login_as("admin", salon.business)
    client.put("/api/calendar-policy", json={"reminder_hours": 0})
    appointment = _book(salon, il(sunday.year, sunday.month, sunday.day, 11))
    db.session.refresh(appointment)
    assert appointment.reminder_due_at is None


def test_a_reminder_already_due_at_booking_time_is_not_sent(db, salon, outbound):
    """Booked for soon: the confirmation itself asks for the answer; no second message."""
    from server.services.appointments import reminders
    start = utcnow() + timedelta(hours=2)
    appointment = Appointment(business_id=salon.business.id, customer_id=salon.customer.id,
                              service_id=salon.haircut.id, status="booked", start_at=start)
    assert reminders.track(appointment, None) == "booked"
    assert appointment.reminder_due_at is None


def test_outside_the_window_the_approved_template_goes_and_inside_it_text(db, salon, sunday, outbound):
    from server.services.appointments.reminders import send_reminder
    from server.services.demo import seed_demo_templates
    seed_demo_templates(salon.business.id)
    appointment = _book(salon, il(sunday.year, sunday.month, sunday.day, 12))
    confirmation = outbound()[-1]
    assert confirmation.template_name == "appointment_confirmation"
    assert confirmation.template_variables == {
        "name": "מיכל", "service": "תספורת נשים", "business": "מספרת שירה", "day": "יום ראשון",
        "date": f"{sunday.day}.{sunday.month}.{sunday.year}", "time": "12:00"}
    assert not confirmation.flags.get("outside_window")
    assert "נקבע לך תור לתספורת נשים" in confirmation.body
    _make_due(db, appointment.id)
    send_reminder(appointment.id)
    assert outbound()[-1].template_name == "appointment_reminder"
    # The customer writes: the window opens, and the next notice is plain text.
    _inbound(db, salon, "תודה")
    from server.services.appointments import booking
    booking.cancel(salon.business.id, appointment.id)
    notice = outbound()[-1]
    assert notice.template_name is None and "בוטל" in notice.body and not notice.flags.get("outside_window")


def test_two_concurrent_sweeps_send_one_reminder(app, db, salon, sunday, outbound):
    from server.tasks.appointments import sweep_reminders
    appointments = [_book(salon, il(sunday.year, sunday.month, sunday.day, hour)) for hour in (10, 11, 12)]
    for appointment in appointments:
        _make_due(db, appointment.id)
    before = len(outbound())
    barrier = threading.Barrier(2)
    errors: list = []

    def sweep() -> None:
        try:
            with app.app_context():
                barrier.wait()
                sweep_reminders()
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    reminders = [m for m in outbound()[before:] if "תזכורת" in m.body]
    assert len(reminders) == 3 and len(outbound()) == before + 3
    db.session.expire_all()
    assert all(db.session.get(Appointment, a.id).reminder_sent_at is not None for a in appointments)
    sweep_reminders()  # a later sweep finds nothing to do
    assert len(outbound()) == before + 3


def test_a_customer_without_a_phone_gets_no_message_and_the_reminder_is_not_retried(db, salon, sunday, outbound,
                                                                                      make_customer):
    from server.services.appointments import booking
    from server.services.appointments.reminders import due_reminders, send_reminder
    walk_in = make_customer(salon.business, name="לקוח ללא טלפון", phone=None)
    appointment = booking.book(salon.business.id, walk_in.id, salon.haircut.id,
                               il(sunday.year, sunday.month, sunday.day, 10), salon.dana.id)
    assert outbound() == []
    _make_due(db, appointment.id)
    assert send_reminder(appointment.id) is None
    assert due_reminders() == []  # claimed: not tried every minute
    assert outbound() == []


def test_the_demo_salon_has_the_approved_templates_its_reminders_use(db):
    from server.models import WhatsAppTemplate
    from server.services.appointments.reminders import TEMPLATES
    from server.services.demo import seed_demo
    business_id = seed_demo("development")["business_id"]
    names = set(db.session.scalars(select(WhatsAppTemplate.name).where(WhatsAppTemplate.business_id == business_id)))
    assert names >= set(TEMPLATES.values())
    upcoming = db.session.scalars(select(Appointment).where(Appointment.business_id == business_id,
                                                            Appointment.start_at > utcnow())).all()
    assert upcoming and all(a.reminder_due_at is not None or a.start_at - utcnow() < timedelta(hours=24)
                            for a in upcoming)
    # Seeded, not booked by the customers: no confirmations went out (the demo's one WhatsApp
    # exchange is a lead's price question and the agent's answer).
    sent = db.session.scalars(select(WhatsAppMsg).where(WhatsAppMsg.business_id == business_id,
                                                        WhatsAppMsg.direction == "outbound")).all()
    assert [m.flags.get("agent", {}).get("intents") for m in sent] == [["price"]]
    assert not any(m.template_name for m in sent)
