"""Free slots: who can take a service when, honouring every rule of the calendar.

A staff member is open on an Israel day by their weekly hours, minus their breaks, days off,
the business's closures and (if it closes on them) Shabbat and holidays; on Friday and erev
chag the business's short hours cap them. Existing appointments that still hold their slot
(not cancelled, not no-show) are busy from their start until their end plus the service's
buffer.

Slots are on a 15-minute grid from each opening (09:00, 09:15, …), whatever the service's
length: a 30-minute gap left between two longer appointments is still offered, and a caller
asking for "10:15" finds it. A slot is offered when the service fits before closing and its
hold (duration + buffer) overlaps no busy time; the buffer may run past closing.

`free_slots` reads the busy intervals as epoch seconds and bisects each staff member's sorted
list per slot (O(slots · log appointments));
`free_slots_naive` checks every slot against every appointment, for the benchmark's ratio.
"""
from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import BigInteger, cast, extract, func, select

from server.extensions import db
from server.models.appointments import Appointment, CalendarPolicy, Service, ServiceStaff, StaffCalendar
from server.services.appointments.holy_days import day_kind, israel_weekday

ISRAEL = ZoneInfo("Asia/Jerusalem")
GRID = timedelta(minutes=15)
HOLDING = ("booked", "confirmed", "done")  # statuses that keep a staff member busy
MAX_WINDOW_DAYS = 62


@dataclass(frozen=True)
class Slot:
    start: datetime
    end: datetime
    staff_id: int

    def to_dict(self) -> dict:
        return {"start": self.start.isoformat(), "end": self.end.isoformat(), "staff_id": self.staff_id}


def _hm(text: str) -> int:
    """"HH:MM" → minutes after midnight ("24:00" is the day's end)."""
    hour, minute = text.split(":")
    return int(hour) * 60 + int(minute)


def _intersect(spans: list[tuple[int, int]], caps: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out = []
    for start, end in spans:
        for cap_start, cap_end in caps:
            lo, hi = max(start, cap_start), min(end, cap_end)
            if lo < hi:
                out.append((lo, hi))
    return sorted(out)


def _subtract(spans: list[tuple[int, int]], holes: list[tuple[int, int]]) -> list[tuple[int, int]]:
    for hole_start, hole_end in holes:
        cut = []
        for start, end in spans:
            if hole_end <= start or hole_start >= end:
                cut.append((start, end))
                continue
            if start < hole_start:
                cut.append((start, hole_start))
            if hole_end < end:
                cut.append((hole_end, end))
        spans = cut
    return spans


def _closed_by_policy(policy: CalendarPolicy | None, day: date) -> bool:
    closed_on_holidays = policy.closed_on_holidays if policy is not None else True
    if closed_on_holidays and day_kind(day).closed_reason:
        return True
    for closure in (policy.closures if policy is not None else []) or []:
        if closure["start"] <= day.isoformat() <= closure["end"]:
            return True
    return False


def open_spans(staff: StaffCalendar, policy: CalendarPolicy | None, day: date) -> list[tuple[datetime, datetime]]:
    """When `staff` takes appointments on the Israel date `day`, as aware UTC intervals."""
    if day.isoformat() in (staff.days_off or []) or _closed_by_policy(policy, day):
        return []
    weekday = israel_weekday(day)
    spans = sorted((_hm(a), _hm(b)) for a, b in (staff.hours or {}).get(str(weekday), []))
    kind = day_kind(day)
    if kind.short_reason and policy is not None:
        caps = policy.erev_chag_hours if kind.short_reason.startswith("ערב") else policy.friday_hours
        if caps:
            spans = _intersect(spans, [(_hm(a), _hm(b)) for a, b in caps])
    breaks = [(_hm(b["start"]), _hm(b["end"])) for b in (staff.breaks or [])
              if b.get("day") is None or int(b["day"]) == weekday]
    spans = _subtract(spans, breaks)
    midnight = datetime.combine(day, time(0), ISRAEL)
    # Wall-clock arithmetic (same tzinfo), then UTC: 09:00 stays 09:00 on both sides of a DST change.
    return [((midnight + timedelta(minutes=a)).astimezone(timezone.utc),
             (midnight + timedelta(minutes=b)).astimezone(timezone.utc)) for a, b in spans]


def israel_days(start: datetime, end: datetime) -> list[date]:
    first, last = start.astimezone(ISRAEL).date(), (end - timedelta(microseconds=1)).astimezone(ISRAEL).date()
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def policy_of(business_id: int) -> CalendarPolicy | None:
    return db.session.get(CalendarPolicy, business_id)


def staff_for(service: Service, staff_id: int | None = None) -> list[StaffCalendar]:
    """The active calendars that perform `service` (all of the business's when none is named), by id."""
    query = select(StaffCalendar).where(StaffCalendar.business_id == service.business_id,
                                        StaffCalendar.active.is_(True)).order_by(StaffCalendar.id)
    linked = select(ServiceStaff.staff_id).where(ServiceStaff.service_id == service.id)
    if db.session.execute(linked.limit(1)).first() is not None:
        query = query.where(StaffCalendar.id.in_(linked))
    if staff_id is not None:
        query = query.where(StaffCalendar.id == staff_id)
    return list(db.session.scalars(query))


def _epoch(column):
    """The column as whole seconds since 1970 UTC, computed by the database: reading 5,000
    rows as numbers instead of parsed datetimes is most of a big window's cost."""
    if db.session.get_bind().dialect.name == "postgresql":
        return cast(extract("epoch", column), BigInteger)  # a timestamp without zone holding UTC
    return cast(func.strftime("%s", column), BigInteger)


def busy_intervals(business_id: int, staff_ids: list[int], start: datetime, end: datetime,
                   exclude_id: int | None = None) -> dict[int, list[tuple[int, int]]]:
    """Each staff member's held time overlapping [start, end) as epoch seconds, sorted by start."""
    query = (select(Appointment.staff_id, _epoch(Appointment.start_at), _epoch(Appointment.blocked_until))
             .where(Appointment.business_id == business_id, Appointment.staff_id.in_(staff_ids),
                    Appointment.status.in_(HOLDING), Appointment.start_at < end, Appointment.blocked_until > start)
             .order_by(Appointment.staff_id, Appointment.start_at))
    if exclude_id is not None:
        query = query.where(Appointment.id != exclude_id)
    busy: dict[int, list[tuple[int, int]]] = {sid: [] for sid in staff_ids}
    for staff_id, busy_start, busy_end in db.session.execute(query):
        busy[staff_id].append((busy_start, busy_end))
    return busy


def _sweep(spans, busy, duration: int, hold: int, start: int, end: int, staff_id: int):
    """Slots of one staff member, in epoch seconds; busy is sorted by start and searched by bisection."""
    ends = []  # running max of busy ends, so an interval swallowed by an earlier one still counts
    top = None
    for _, busy_end in busy:
        top = busy_end if top is None or busy_end > top else top
        ends.append(top)
    starts = [s for s, _ in busy]
    grid = int(GRID.total_seconds())
    for open_start, open_end in spans:
        slot = open_start
        while slot + duration <= open_end:
            if start <= slot < end:
                # The busy intervals starting before the hold ends: free iff none of them ends after slot.
                i = bisect_left(starts, slot + hold)
                if i == 0 or ends[i - 1] <= slot:
                    yield Slot(datetime.fromtimestamp(slot, timezone.utc),
                               datetime.fromtimestamp(slot + duration, timezone.utc), staff_id)
                else:
                    # Jump past the busy time to the next grid point.
                    steps = -(-(ends[i - 1] - open_start) // grid)
                    slot = max(slot + grid, open_start + steps * grid)
                    continue
            slot += grid


def free_slots(service: Service, start: datetime, end: datetime, staff_id: int | None = None,
               not_before: datetime | None = None, limit: int | None = None,
               exclude_appointment_id: int | None = None) -> list[Slot]:
    """Free slots of `service` starting in [start, end) (and not before `not_before`), by time then staff."""
    staff = staff_for(service, staff_id)
    if not staff:
        return []
    policy = policy_of(service.business_id)
    duration = timedelta(minutes=service.duration_minutes)
    hold = duration + timedelta(minutes=service.buffer_minutes)
    lower = max(start, not_before) if not_before else start
    busy = busy_intervals(service.business_id, [s.id for s in staff], lower, end + hold, exclude_appointment_id)
    days = israel_days(start, end)
    slots: list[Slot] = []
    for member in staff:
        spans = [(int(a.timestamp()), int(b.timestamp())) for day in days for a, b in open_spans(member, policy, day)]
        slots.extend(_sweep(spans, busy[member.id], int(duration.total_seconds()), int(hold.total_seconds()),
                            int(lower.timestamp()), int(end.timestamp()), member.id))
    slots.sort(key=lambda s: (s.start, s.staff_id))
    return slots[:limit] if limit else slots


def free_slots_naive(service: Service, start: datetime, end: datetime) -> list[Slot]:
    """The same answer by brute force: every grid slot against every appointment (bench only)."""
    staff = staff_for(service)
    policy = policy_of(service.business_id)
    duration = timedelta(minutes=service.duration_minutes)
    hold = duration + timedelta(minutes=service.buffer_minutes)
    rows = db.session.execute(select(Appointment.staff_id, Appointment.start_at, Appointment.blocked_until)
                              .where(Appointment.business_id == service.business_id,
                                     Appointment.status.in_(HOLDING))).all()
    slots = []
    for member in staff:
        for day in israel_days(start, end):
            for open_start, open_end in open_spans(member, policy, day):
                slot = open_start
                while slot + duration <= open_end:
                    if start <= slot < end and not any(
                            sid == member.id and b_start < slot + hold and b_end > slot for sid, b_start, b_end in rows):
                        slots.append(Slot(slot, slot + duration, member.id))
                    slot += GRID
    slots.sort(key=lambda s: (s.start, s.staff_id))
    return slots


def fits_hours(staff: StaffCalendar, policy: CalendarPolicy | None, start: datetime, end: datetime) -> bool:
    """Whether [start, end) lies inside one of the staff member's open spans."""
    day = start.astimezone(ISRAEL).date()
    return any(a <= start and end <= b for a, b in open_spans(staff, policy, day))


def window(start: datetime | date, end: datetime | date) -> tuple[datetime, datetime]:
    """The API's from/to as aware UTC [start, end): a date is a whole Israel day (`to` included)."""
    from server.error_codes import ErrorCode
    from server.errors import FieldError, ValidationFailed

    def moment(value, next_day: bool) -> datetime:
        if isinstance(value, datetime):
            return value.astimezone(timezone.utc)
        day = value + timedelta(days=1) if next_day else value
        return datetime.combine(day, time(0), ISRAEL).astimezone(timezone.utc)

    lower, upper = moment(start, False), moment(end, True)
    if upper <= lower:
        raise ValidationFailed({"to": FieldError(ErrorCode.ENDS_BEFORE_STARTS, "to must be after from")})
    if upper - lower > timedelta(days=MAX_WINDOW_DAYS):
        raise ValidationFailed({"to": FieldError(ErrorCode.WINDOW_TOO_LONG, f"at most {MAX_WINDOW_DAYS} days",
                                                 max_days=MAX_WINDOW_DAYS)})
    return lower, upper
