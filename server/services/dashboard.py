"""The dashboard's figures: today's calls, messages and open tasks, and activity per day.

"Today" and the day buckets are Israeli calendar days (Asia/Jerusalem), the days the
business's people live in; timestamps are stored in UTC.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from server.extensions import db
from server.models import CallLog, Task, WhatsAppMsg
from server.models.base import utcnow
from server.tenancy import BusinessScope, scope_filter

ISRAEL = ZoneInfo("Asia/Jerusalem")
MAX_DAYS = 90


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
        },
        "days": series,
        "recent_calls": [call.to_dict(with_turns=False) for call in recent],
    }
