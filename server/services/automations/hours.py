"""Open or closed, the way the phone agent knows it (voice/context.open_now over the weekly
`hours` setting), plus the calendar policy's holidays and closures; and which closed period a
moment falls in (the end of the last opening span before it), so an away message goes once
per period."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

from server.extensions import db
from server.models import Business, CalendarPolicy
from server.schemas.settings import business_settings
from server.services.appointments.holy_days import day_kind
from server.services.voice.context import DAYS, ISRAEL, open_now

LOOKBACK_DAYS = 8


def _policy(business_id: int) -> CalendarPolicy | None:
    return db.session.get(CalendarPolicy, business_id)


def _closed_day(policy: CalendarPolicy | None, day: date) -> bool:
    """A holiday (for a business that closes on them: the default) or one of its closures.
    Shabbat is the weekly hours' business (`sat`)."""
    kind = day_kind(day)
    if kind.closed_reason and kind.closed_reason != "שבת" and (policy is None or policy.closed_on_holidays):
        return True
    iso_day = day.isoformat()
    return any(str(c.get("start", "")) <= iso_day <= str(c.get("end", "")) for c in (policy.closures if policy else [])
               if isinstance(c, dict))


def _span(hours: dict, policy: CalendarPolicy | None, day: date) -> tuple[datetime, datetime] | None:
    value = hours.get(DAYS[(day.weekday() + 1) % 7])
    if not value or _closed_day(policy, day):
        return None
    try:
        start, end = (time.fromisoformat(part.strip().zfill(5)) for part in value.split("-"))
    except ValueError:
        return None
    return datetime.combine(day, start, ISRAEL), datetime.combine(day, end, ISRAEL)


def closed_period(business_id: int, at: datetime) -> str | None:
    """None while the business is open or its hours are unknown (free text, none set: no away
    message on a guess); else the period's key: when it last closed (Israel time)."""
    hours = business_settings(db.session.get(Business, business_id)).hours_value
    if not isinstance(hours, dict):
        return None
    policy = _policy(business_id)
    local = at.astimezone(ISRAEL)
    if open_now(hours, at) and not _closed_day(policy, local.date()):
        return None
    for back in range(LOOKBACK_DAYS):
        span = _span(hours, policy, local.date() - timedelta(days=back))
        if span is not None and span[1] <= local:
            return "closed-" + span[1].strftime("%Y-%m-%dT%H:%M")
    # Closed for longer than the lookback: one period per lookback window.
    return "closed-long-" + (local.date() - timedelta(days=local.date().toordinal() % LOOKBACK_DAYS)).isoformat()
