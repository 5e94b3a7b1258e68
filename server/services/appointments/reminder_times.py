"""When an appointment's reminder is due: `reminder_hours` (the calendar policy) before its start,
moved out of Shabbat and the holidays for a business that closes on them.

Its own module, with no WhatsApp in it, so the calendar policy (settings.py) can move the due
times when the hours change; reminders.py sends them.

The quiet period of a run of closed days (Shabbat, a holiday, or a holiday next to Shabbat)
runs from 14:00 on its eve to 20:30 on its last day, Israel time: candle lighting is between
about 16:00 and 19:15 over the year and Shabbat ends between about 17:00 and 20:15, so these
fixed bounds cover every week without an astronomical table. A reminder that would fall in it
goes an hour before it starts (Friday 13:00), or, when that has already passed (the appointment
was booked on Friday evening), when it ends — if that is still before the appointment.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from server.extensions import db
from server.models.appointments import Appointment, CalendarPolicy
from server.models.base import utcnow
from server.services.appointments.holy_days import day_kind

DEFAULT_REMINDER_HOURS = 24
ACTIVE = ("booked", "confirmed")
ISRAEL = ZoneInfo("Asia/Jerusalem")
QUIET_FROM = time(14, 0)   # on the eve
QUIET_UNTIL = time(20, 30)  # on the last closed day
BEFORE_QUIET = timedelta(hours=1)


def reminder_hours(business_id: int) -> int:
    hours = db.session.scalar(select(CalendarPolicy.reminder_hours).where(CalendarPolicy.business_id == business_id))
    return DEFAULT_REMINDER_HOURS if hours is None else hours


def observes_rest_days(business_id: int) -> bool:
    """The business closes on Shabbat and the holidays (the calendar policy; the default)."""
    closed = db.session.scalar(select(CalendarPolicy.closed_on_holidays)
                               .where(CalendarPolicy.business_id == business_id))
    return True if closed is None else closed


def _closed(day: date) -> bool:
    return day_kind(day).closed_reason is not None


def quiet_period(moment: datetime) -> tuple[datetime, datetime] | None:
    """The quiet period (start, end; aware) that `moment` falls in, or None."""
    local = moment.astimezone(ISRAEL)
    day = local.date()
    if _closed(day):
        first = day
    elif _closed(day + timedelta(days=1)) and local.time() >= QUIET_FROM:
        first = day + timedelta(days=1)
    else:
        return None
    while _closed(first - timedelta(days=1)):
        first -= timedelta(days=1)
    last = first
    while _closed(last + timedelta(days=1)):
        last += timedelta(days=1)
    start = datetime.combine(first - timedelta(days=1), QUIET_FROM, ISRAEL)
    end = datetime.combine(last, QUIET_UNTIL, ISRAEL)
    return (start, end) if start <= local < end else None


def out_of_quiet(due: datetime, start_at: datetime, now: datetime) -> datetime | None:
    """`due`, or the time to send instead when it falls on Shabbat or a holiday; None: no reminder."""
    period = quiet_period(due)
    if period is None:
        return due
    before, after = period[0] - BEFORE_QUIET, period[1]
    if before > now:
        return before
    return after if after < start_at else None


def due_at(appointment: Appointment, hours: int, quiet: bool = False,
           now: datetime | None = None) -> datetime | None:
    """When the reminder goes; `quiet`: not on Shabbat or a holiday (observes_rest_days)."""
    if hours <= 0:
        return None
    due = appointment.start_at - timedelta(hours=hours)
    now = now or utcnow()
    # One already due stays so: the booking's own notice asks for the answer (reminders.track).
    return out_of_quiet(due, appointment.start_at, now) if quiet and due > now else due


def reschedule(business_id: int, now: datetime | None = None) -> int:
    """The policy's reminder_hours changed: move the due time of every reminder still to come.

    One whose new time has already passed goes at the next sweep. No commit.
    """
    now = now or utcnow()
    hours = reminder_hours(business_id)
    quiet = observes_rest_days(business_id)
    rows = db.session.scalars(select(Appointment).where(
        Appointment.business_id == business_id, Appointment.status.in_(ACTIVE), Appointment.start_at > now,
        Appointment.reminder_sent_at.is_(None)))
    count = 0
    for row in rows:
        due = due_at(row, hours, quiet, now)
        if due is not None and due <= now:
            due = out_of_quiet(now, row.start_at, now) if quiet else now
        row.reminder_due_at = due
        count += 1
    return count
