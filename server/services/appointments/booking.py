"""Book, move and cancel appointments: two bookings never hold one staff member at once.

The rule is kept by the database, not by a check alone:
- PostgreSQL: the exclusion constraint of migration 0004 refuses an overlapping row
  (SQLSTATE 23P01) whatever the race; the loser gets 409 with the next free slots.
- SQLite: booking views open their transaction with BEGIN IMMEDIATE (sqlite_locking), so one
  booking at a time holds the write lock from its first read to its commit.
- Both: the booking first bumps its staff calendar's `lock_version` (a row lock on
  PostgreSQL), then checks for overlap, then inserts, in one transaction: bookings of one
  staff member queue, and the check sees every committed booking before it.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from server.error_codes import ErrorCode
from server.errors import Conflict, FieldError, NotFound, ValidationFailed
from server.extensions import db
from server.models.appointments import Appointment, Service, StaffCalendar
from server.models.customer import Customer
from server.services import audit
from server.services.appointments import availability, reminders, settings
from server.services.realtime import publish
from server.tenancy import BusinessScope, in_scope, scope_filter

NEXT_SLOTS = 3
NEXT_SLOTS_HORIZON = timedelta(days=14)
STATUSES = ("booked", "confirmed", "cancelled", "no_show", "done")


class SlotTaken(Conflict):
    """409 {"error": "slot taken", "code": "slot_taken", "next_slots": [...]}"""

    message = "slot taken"
    code = ErrorCode.SLOT_TAKEN

    def __init__(self, next_slots: list[dict]):
        super().__init__()
        self.next_slots = next_slots

    def to_dict(self) -> dict:
        return {**super().to_dict(), "next_slots": self.next_slots}


def get_appointment(scope: BusinessScope, appointment_id: int) -> Appointment:
    row = db.session.get(Appointment, appointment_id) if 0 < appointment_id <= settings.MAX_ID else None
    if row is None or not in_scope(scope, row.business_id):
        raise NotFound("appointment not found", code=ErrorCode.APPOINTMENT_NOT_FOUND)
    return row


def list_appointments(scope: BusinessScope, start: datetime, end: datetime, staff_id: int | None = None,
                      customer_id: int | None = None, status: str | None = None) -> list[Appointment]:
    """Every appointment overlapping [start, end), by start."""
    query = (select(Appointment).where(scope_filter(Appointment.business_id, scope),
                                       Appointment.start_at < end, Appointment.end_at > start)
             .order_by(Appointment.start_at, Appointment.id))
    if staff_id is not None:
        query = query.where(Appointment.staff_id == staff_id)
    if customer_id is not None:
        query = query.where(Appointment.customer_id == customer_id)
    if status is not None:
        query = query.where(Appointment.status == status)
    return list(db.session.scalars(query))


def next_slots(service: Service, after: datetime, staff_id: int | None = None) -> list[dict]:
    slots = availability.free_slots(service, after, after + NEXT_SLOTS_HORIZON, staff_id=staff_id, limit=NEXT_SLOTS)
    return [slot.to_dict() for slot in slots]


def _lock(staff_id: int) -> None:
    db.session.execute(update(StaffCalendar).where(StaffCalendar.id == staff_id)
                       .values(lock_version=StaffCalendar.lock_version + 1))


def _overlaps(staff_id: int, start: datetime, held_until: datetime, exclude_id: int | None) -> bool:
    query = select(Appointment.id).where(Appointment.staff_id == staff_id,
                                         Appointment.status.in_(availability.HOLDING),
                                         Appointment.start_at < held_until, Appointment.blocked_until > start)
    if exclude_id is not None:
        query = query.where(Appointment.id != exclude_id)
    return db.session.execute(query.limit(1)).first() is not None


def _candidates(service: Service, staff_id: int | None) -> list[StaffCalendar]:
    staff = availability.staff_for(service, staff_id)
    if staff_id is not None and not staff:
        raise ValidationFailed({"staff_id": FieldError(ErrorCode.STAFF_NOT_FOUND,
                                                       "no such staff calendar for this service")})
    return staff


def _place(appointment: Appointment, service: Service, start: datetime, staff_id: int | None) -> None:
    """Give `appointment` a start and a staff member, or raise: outside hours (422), taken (409)."""
    end = start + timedelta(minutes=service.duration_minutes)
    held_until = end + timedelta(minutes=service.buffer_minutes)
    # No autoflush: the appointment's own pending change (a re-activation) must not reach the
    # database before the check (PostgreSQL's constraint would refuse it mid-query, without next slots).
    with db.session.no_autoflush:
        policy = availability.policy_of(service.business_id)
        open_staff = [s for s in _candidates(service, staff_id) if availability.fits_hours(s, policy, start, end)]
        if not open_staff:
            raise ValidationFailed({"start": FieldError(ErrorCode.OUTSIDE_HOURS, "outside the staff's hours")})
        for staff in open_staff:
            _lock(staff.id)
            if not _overlaps(staff.id, start, held_until, appointment.id):
                appointment.staff_id, appointment.start_at = staff.id, start
                appointment.end_at, appointment.blocked_until = end, held_until
                return
    raise _taken(service, start, staff_id)


def _taken(service: Service, start: datetime, staff_id: int | None) -> SlotTaken:
    db.session.rollback()
    return SlotTaken(next_slots(service, start, staff_id))


def _commit(appointment: Appointment, service: Service, staff_id: int | None, action: str, fields: list[str],
            before: dict | None = None, notify: bool = True) -> None:
    try:
        db.session.flush()
    except IntegrityError as exc:
        # PostgreSQL's exclusion constraint: another transaction won the slot after our check.
        if getattr(exc.orig, "sqlstate", None) == "23P01":
            raise _taken(service, appointment.start_at, staff_id) from None
        raise
    notice = reminders.track(appointment, before, notify=notify)  # the reminder and the notice, in this transaction
    audit.record(action, "appointment", appointment.id, appointment.business_id, {"fields": fields})
    payload = {"customer_id": appointment.customer_id, "type": "appointment", "id": appointment.id, "action": action}
    db.session.commit()
    publish(appointment.business_id, "timeline.changed", payload)
    if notify:
        reminders.after_commit(appointment.id, notice)  # the customer's WhatsApp notice


def _service(business_id: int, service_id: int, active: bool = True) -> Service:
    service = settings.get_service(business_id, service_id)
    if active and not service.active:
        raise ValidationFailed({"service_id": FieldError(ErrorCode.SERVICE_INACTIVE, "service is not offered")})
    return service


def book(business_id: int, customer_id: int, service_id: int, start: datetime, staff_id: int | None = None,
         notes: str | None = None, source: str = "web", notify: bool = True) -> Appointment:
    """A new appointment; without staff_id, the first staff member (by id) free at `start`.

    notify: send the customer the WhatsApp confirmation (reminders.py)."""
    from server.services.records import scoped_customer
    try:
        customer = scoped_customer(business_id, customer_id)
        service = _service(business_id, service_id)
        appointment = Appointment(business_id=business_id, customer_id=customer.id, service_id=service.id,
                                  status="booked", source=source, notes=notes)
        _place(appointment, service, start, staff_id)
        db.session.add(appointment)
        _commit(appointment, service, staff_id, "create", ["customer_id", "service_id", "staff_id", "start_at"],
                notify=notify)
    except Exception:
        db.session.rollback()
        raise
    return appointment


def move(scope: BusinessScope, appointment_id: int, start: datetime | None = None, staff_id: int | None = None,
         service_id: int | None = None, notes: str | None = None, status: str | None = None,
         fields: set[str] = frozenset(), notify: bool = True) -> Appointment:
    """Move (a new start, staff member or service) and/or change notes and status."""
    try:
        appointment = get_appointment(scope, appointment_id)
        before = reminders.snapshot(appointment)
        service = (_service(appointment.business_id, service_id) if service_id is not None
                   else _service(appointment.business_id, appointment.service_id, active=False))
        changed = sorted(fields)
        was_holding = appointment.status in availability.HOLDING
        if "notes" in fields:
            appointment.notes = notes
        if status is not None:
            appointment.status = status
        moving = start is not None or staff_id is not None or service_id is not None
        if moving and appointment.status in availability.HOLDING:
            appointment.service_id = service.id
            _place(appointment, service, start or appointment.start_at,
                   staff_id if "staff_id" in fields else appointment.staff_id)
        elif moving:
            # A cancelled or no-show appointment holds nothing: its record moves unchecked.
            appointment.service_id = service.id
            appointment.staff_id = staff_id if "staff_id" in fields and staff_id else appointment.staff_id
            appointment.start_at = start or appointment.start_at
            appointment.end_at = appointment.start_at + timedelta(minutes=service.duration_minutes)
            appointment.blocked_until = appointment.end_at + timedelta(minutes=service.buffer_minutes)
        elif not was_holding and appointment.status in availability.HOLDING:
            # Re-activating a cancelled appointment takes its slot again: check it like a booking.
            _place(appointment, service, appointment.start_at, appointment.staff_id)
        _commit(appointment, service, appointment.staff_id, "update", changed, before, notify)
    except Exception:
        db.session.rollback()
        raise
    return appointment


def cancel(scope: BusinessScope, appointment_id: int, notify: bool = True) -> Appointment:
    try:
        appointment = get_appointment(scope, appointment_id)
        if appointment.status != "cancelled":
            before = reminders.snapshot(appointment)
            appointment.status = "cancelled"
            service = db.session.get(Service, appointment.service_id)
            _commit(appointment, service, appointment.staff_id, "update", ["status"], before, notify)
    except Exception:
        db.session.rollback()
        raise
    return appointment


def customer_names(rows: list[Appointment]) -> dict[int, str]:
    """The customers' names for a list of appointments, in one query (the calendar shows them)."""
    ids = {row.customer_id for row in rows}
    if not ids:
        return {}
    return dict(db.session.execute(select(Customer.id, Customer.name).where(Customer.id.in_(ids))).all())
