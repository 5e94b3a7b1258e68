"""A booking's notice survives a process that dies after the commit (the row keeps it pending
and the sweep sends it, exactly once), and reminders keep Shabbat and the holidays for a
business that closes on them. On SQLite and on PostgreSQL (TEST_DATABASE_URL)."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from server.models import WhatsAppMsg
from server.models.appointments import Appointment, CalendarPolicy
from server.models.base import utcnow
from server.tests.appointments.conftest import il, ordinary_sunday


@pytest.fixture()
def outbound(db, salon):
    def messages() -> list[WhatsAppMsg]:
        db.session.expire_all()
        return list(db.session.scalars(select(WhatsAppMsg).where(
            WhatsAppMsg.business_id == salon.business.id, WhatsAppMsg.direction == "outbound")
            .order_by(WhatsAppMsg.id)))
    return messages


@pytest.fixture()
def died_after_commit(monkeypatch):
    """The web process dies right after the booking's commit: after_commit never runs."""
    from server.services.appointments import reminders
    monkeypatch.setattr(reminders, "after_commit", lambda appointment_id, kind: None)


def _book(salon, start):
    from server.services.appointments import booking
    return booking.book(salon.business.id, salon.customer.id, salon.haircut.id, start, salon.dana.id)


def _later(seconds: int):
    return utcnow() + timedelta(seconds=seconds)


def test_a_notice_left_by_a_dead_process_is_sent_by_the_sweep_once(db, salon, outbound, died_after_commit):
    from server.services.appointments.reminders import pending_notices, send_notice
    sunday = ordinary_sunday()
    appointment = _book(salon, il(sunday.year, sunday.month, sunday.day, 10, 30))
    assert outbound() == []
    db.session.refresh(appointment)
    assert appointment.notice_pending == "booked" and appointment.notice_pending_since is not None
    # The request may still be queueing it: the sweep leaves it alone for a grace period.
    assert pending_notices() == []
    assert pending_notices(now=_later(31)) == [appointment.id]
    message_id = send_notice(appointment.id)
    [msg] = outbound()
    assert msg.id == message_id and "נקבע לך תור לתספורת נשים" in msg.body
    assert send_notice(appointment.id) is None  # a second sweep, or a job run twice
    assert pending_notices(now=_later(31)) == [] and len(outbound()) == 1
    db.session.refresh(appointment)
    assert appointment.notice_pending is None and appointment.notice_message_id == msg.id


def test_the_sweep_job_sends_what_is_pending(db, salon, outbound, died_after_commit):
    from server.tasks.appointments import sweep_notices
    sunday = ordinary_sunday()
    appointment = _book(salon, il(sunday.year, sunday.month, sunday.day, 12))
    db.session.execute(Appointment.__table__.update().where(Appointment.id == appointment.id)
                       .values(notice_pending_since=utcnow() - timedelta(minutes=2)))
    db.session.commit()
    assert sweep_notices.call_local() == 1
    assert sweep_notices.call_local() == 0
    assert ["נקבע לך תור" in m.body for m in outbound()] == [True]


def test_a_move_before_the_notice_went_sends_one_confirmation_with_the_new_time(db, salon, outbound,
                                                                                   died_after_commit):
    from server.services.appointments import booking
    from server.services.appointments.reminders import send_notice
    sunday = ordinary_sunday()
    appointment = _book(salon, il(sunday.year, sunday.month, sunday.day, 10))
    scope = salon.business.id
    booking.move(scope, appointment.id, start=il(sunday.year, sunday.month, sunday.day, 12), fields={"start"})
    db.session.refresh(appointment)
    assert appointment.notice_pending == "booked"
    send_notice(appointment.id)
    [msg] = outbound()
    assert "נקבע לך תור" in msg.body and "בשעה 12:00" in msg.body


def test_a_cancel_before_the_notice_went_sends_nothing(db, salon, outbound, died_after_commit):
    from server.services.appointments import booking
    from server.services.appointments.reminders import pending_notices
    sunday = ordinary_sunday()
    appointment = _book(salon, il(sunday.year, sunday.month, sunday.day, 10))
    booking.cancel(salon.business.id, appointment.id)
    db.session.refresh(appointment)
    assert appointment.notice_pending is None
    assert pending_notices(now=_later(31)) == [] and outbound() == []


def test_a_notice_that_fails_to_queue_stays_pending_for_the_sweep(db, salon, outbound, monkeypatch):
    from server.services import whatsapp
    from server.services.appointments.reminders import send_notice
    sunday = ordinary_sunday()
    real = whatsapp.queue_message

    def broken(*args, **kwargs):
        raise ConnectionError("database went away")
    monkeypatch.setattr(whatsapp, "queue_message", broken)
    appointment = _book(salon, il(sunday.year, sunday.month, sunday.day, 10))  # the booking stands
    db.session.refresh(appointment)
    assert appointment.status == "booked" and appointment.notice_pending == "booked"
    monkeypatch.setattr(whatsapp, "queue_message", real)
    assert send_notice(appointment.id) is not None and len(outbound()) == 1


# ---- Shabbat and the holidays ----------------------------------------------------------

def _due(salon, start, now=None):
    from server.services.appointments.reminder_times import due_at
    row = Appointment(business_id=salon.business.id, start_at=start)
    return due_at(row, 24, True, now or il(2026, 1, 1))


def test_quiet_periods_span_the_eve_afternoon_to_the_night_after():
    from server.services.appointments.reminder_times import quiet_period
    assert quiet_period(il(2026, 12, 10, 20)) is None                       # Thursday evening
    assert quiet_period(il(2026, 12, 11, 13, 59)) is None                   # Friday before 14:00
    assert quiet_period(il(2026, 12, 11, 14)) == (il(2026, 12, 11, 14), il(2026, 12, 12, 20, 30))
    assert quiet_period(il(2026, 12, 12, 20, 29)) == (il(2026, 12, 11, 14), il(2026, 12, 12, 20, 30))
    assert quiet_period(il(2026, 12, 12, 20, 30)) is None                   # Motzei Shabbat
    # Rosh Hashana 5787 (Sat 12 – Sun 13 Sept 2026) joined to Shabbat: one period, Friday to Sunday night.
    assert quiet_period(il(2026, 9, 13, 9)) == (il(2026, 9, 11, 14), il(2026, 9, 13, 20, 30))
    # Yom Kippur 5787 falls on Monday 21 Sept 2026: from Sunday afternoon.
    assert quiet_period(il(2026, 9, 20, 15)) == (il(2026, 9, 20, 14), il(2026, 9, 21, 20, 30))


def test_a_reminder_due_on_shabbat_goes_on_friday_at_13_or_after_shabbat():
    class Salon:  # due_at needs only the start
        class business:
            id = 0
    assert _due(Salon, il(2026, 12, 13, 10)) == il(2026, 12, 11, 13)                  # Sunday 10:00
    assert _due(Salon, il(2026, 12, 14, 10)) == il(2026, 12, 13, 10)                  # Monday: Sunday 10:00
    # Booked on Friday evening for Sunday morning: Friday 13:00 has passed, so Saturday 20:30.
    assert _due(Salon, il(2026, 12, 13, 10), now=il(2026, 12, 11, 18)) == il(2026, 12, 12, 20, 30)
    # Booked on Friday evening for Saturday night 21:00 (open after Shabbat): right after it ends.
    assert _due(Salon, il(2026, 12, 12, 21), now=il(2026, 12, 11, 18)) == il(2026, 12, 12, 20, 30)
    # ... and for Saturday night 20:30 exactly there is no time left: no reminder.
    assert _due(Salon, il(2026, 12, 12, 20, 30), now=il(2026, 12, 11, 18)) is None


def test_a_business_open_on_shabbat_gets_its_reminder_24_hours_before(db, salon):
    from server.services.appointments import booking
    from server.services.appointments.settings import new_token
    db.session.add(CalendarPolicy(business_id=salon.business.id, closed_on_holidays=False, closures=[],
                                  ical_token=new_token()))
    db.session.commit()
    sunday = ordinary_sunday()
    start = il(sunday.year, sunday.month, sunday.day, 10, 30)
    appointment = booking.book(salon.business.id, salon.customer.id, salon.haircut.id, start, salon.dana.id)
    db.session.refresh(appointment)
    assert appointment.reminder_due_at == start - timedelta(hours=24)


def test_changing_reminder_hours_keeps_shabbat(db, client, login_as, salon):
    sunday = ordinary_sunday()
    start = il(sunday.year, sunday.month, sunday.day, 16)
    appointment = _book(salon, start)
    login_as("admin", salon.business)
    assert client.put("/api/calendar-policy", json={"reminder_hours": 6}).status_code == 200
    db.session.refresh(appointment)
    assert appointment.reminder_due_at == il(sunday.year, sunday.month, sunday.day, 10)
    assert client.put("/api/calendar-policy", json={"reminder_hours": 30}).status_code == 200
    db.session.refresh(appointment)  # 30 hours before Sunday 16:00 is Saturday 10:00
    friday = sunday - timedelta(days=2)
    assert appointment.reminder_due_at == il(friday.year, friday.month, friday.day, 13)
