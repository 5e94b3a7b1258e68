"""The dashboard's figures: today's calls, messages, open tasks and appointments, the no-show
rate, and activity per day.

"Today" and the day buckets are Israeli calendar days (Asia/Jerusalem), the days the
business's people live in; timestamps are stored in UTC.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import case, func, select

from server.extensions import db
from server.models import CallLog, Customer, Task, WhatsAppMsg
from server.models.appointments import Appointment, Service, StaffCalendar
from server.models.base import iso, utcnow
from server.tenancy import BusinessScope, scope_filter

ISRAEL = ZoneInfo("Asia/Jerusalem")
MAX_DAYS = 90
NO_SHOW_DAYS = 30
# Appointments that were meant to happen: a cancelled one never was.
KEPT_OR_MISSED = ("booked", "confirmed", "done", "no_show")


def _day_start_utc(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=ISRAEL).astimezone(ZoneInfo("UTC"))


def _scoped(stmt, column, business_id: BusinessScope):
    return stmt.where(scope_filter(column, business_id))


def _per_day(column, business_column, business_id: BusinessScope, since: datetime) -> dict[str, int]:
    """Counts per Israeli day. Only timestamps travel: bucketing in Python keeps the time
    zone rules (DST) identical on SQLite and PostgreSQL."""
    stmt = _scoped(select(column).where(column >= since), business_column, business_id)
    counts: dict[str, int] = {}
    for (moment,) in db.session.execute(stmt):
        key = moment.astimezone(ISRAEL).date().isoformat()
        counts[key] = counts.get(key, 0) + 1
    return counts


def dashboard(business_id: BusinessScope, days: int = 14, now: datetime | None = None) -> dict:
    """Figures for one business, or for every business under ALL_BUSINESSES (platform)."""
    days = max(1, min(days, MAX_DAYS))
    now = now or utcnow()
    today = now.astimezone(ISRAEL).date()
    first_day = today - timedelta(days=days - 1)
    since = _day_start_utc(first_day)

    calls = _per_day(CallLog.started_at, CallLog.business_id, business_id, since)
    messages = _per_day(WhatsAppMsg.created_at, WhatsAppMsg.business_id, business_id, since)
    open_tasks = db.session.scalar(
        _scoped(select(func.count(Task.id)).where(Task.status == "open"), Task.business_id, business_id)
    ) or 0
    overdue_tasks = db.session.scalar(
        _scoped(select(func.count(Task.id)).where(Task.status == "open", Task.due_at < now), Task.business_id, business_id)
    ) or 0
    recent = db.session.scalars(
        _scoped(select(CallLog), CallLog.business_id, business_id).order_by(CallLog.started_at.desc(), CallLog.id.desc()).limit(5)
    ).all()

    today_start, tomorrow_start = _day_start_utc(today), _day_start_utc(today + timedelta(days=1))
    appointments_today = _appointments_between(business_id, today_start, tomorrow_start)

    series = []
    for offset in range(days):
        key = (first_day + timedelta(days=offset)).isoformat()
        series.append({"day": key, "calls": calls.get(key, 0), "messages": messages.get(key, 0)})
    today_key = today.isoformat()
    return {
        "time_zone": "Asia/Jerusalem",
        "today": {
            "day": today_key,
            "calls": calls.get(today_key, 0),
            "messages": messages.get(today_key, 0),
            "open_tasks": open_tasks,
            "overdue_tasks": overdue_tasks,
            "appointments": len(appointments_today),
        },
        "appointments_today": appointments_today,
        "no_show": _no_show_rate(business_id, now),
        "days": series,
        "recent_calls": [call.to_dict(with_turns=False) for call in recent],
    }


def _appointments_between(business_id: BusinessScope, start: datetime, end: datetime) -> list[dict]:
    """The day's appointments (not cancelled) with the names the dashboard shows, by start."""
    stmt = _scoped(
        select(Appointment, Customer.name, Service.name, StaffCalendar.name)
        .join(Customer, Customer.id == Appointment.customer_id)
        .join(Service, Service.id == Appointment.service_id)
        .join(StaffCalendar, StaffCalendar.id == Appointment.staff_id)
        .where(Appointment.start_at >= start, Appointment.start_at < end, Appointment.status != "cancelled")
        .order_by(Appointment.start_at, Appointment.id),
        Appointment.business_id, business_id,
    )
    return [
        {"id": row.id, "customer_id": row.customer_id, "customer_name": customer, "service_name": service,
         "staff_name": staff, "start": iso(row.start_at), "end": iso(row.end_at), "status": row.status}
        for row, customer, service, staff in db.session.execute(stmt)
    ]


def _no_show_rate(business_id: BusinessScope, now: datetime) -> dict:
    """No-shows among the appointments that started in the last 30 days (cancelled ones left
    out), counted by the database. No such appointment → rate None, not a made-up 0 %."""
    no_show = func.coalesce(func.sum(case((Appointment.status == "no_show", 1), else_=0)), 0)
    stmt = _scoped(
        select(func.count(Appointment.id), no_show).where(
            Appointment.start_at >= now - timedelta(days=NO_SHOW_DAYS), Appointment.start_at < now,
            Appointment.status.in_(KEPT_OR_MISSED)),
        Appointment.business_id, business_id,
    )
    total, missed = db.session.execute(stmt).one()
    return {"days": NO_SHOW_DAYS, "appointments": int(total), "no_shows": int(missed),
            "rate": round(int(missed) / int(total), 4) if total else None}
