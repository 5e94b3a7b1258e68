"""When an appointment's reminder is due: `reminder_hours` (the calendar policy) before its start.

Its own module, with no WhatsApp in it, so the calendar policy (settings.py) can move the due
times when the hours change; reminders.py sends them.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from server.extensions import db
from server.models.appointments import Appointment, CalendarPolicy
from server.models.base import utcnow

DEFAULT_REMINDER_HOURS = 24
ACTIVE = ("booked", "confirmed")


def reminder_hours(business_id: int) -> int:
    hours = db.session.scalar(select(CalendarPolicy.reminder_hours).where(CalendarPolicy.business_id == business_id))
    return DEFAULT_REMINDER_HOURS if hours is None else hours


def due_at(appointment: Appointment, hours: int) -> datetime | None:
    return appointment.start_at - timedelta(hours=hours) if hours > 0 else None


def reschedule(business_id: int, now: datetime | None = None) -> int:
    """The policy's reminder_hours changed: move the due time of every reminder still to come.

    One whose new time has already passed goes at the next sweep. No commit.
    """
    now = now or utcnow()
    hours = reminder_hours(business_id)
    rows = db.session.scalars(select(Appointment).where(
        Appointment.business_id == business_id, Appointment.status.in_(ACTIVE), Appointment.start_at > now,
        Appointment.reminder_sent_at.is_(None)))
    count = 0
    for row in rows:
        due = due_at(row, hours)
        row.reminder_due_at = max(due, now) if due is not None else None
        count += 1
    return count
