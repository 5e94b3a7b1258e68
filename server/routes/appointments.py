"""Appointments (issue 18): the price list, staff calendars, the calendar policy, free slots
and the appointments themselves.

Roles as elsewhere: everyone logged in reads, staff and admins book, a business admin
configures services, staff calendars and the policy; a platform admin names the business
with ?business_id=. Times: ISO 8601 with an offset in, UTC ("+00:00") out.
"""
from __future__ import annotations

from flask import Blueprint, jsonify

from server.authz import auth_required, roles_required, scoped_business_id
from server.schemas.appointments import (
    Appointment, AppointmentCreate, AppointmentsQuery, AppointmentUpdate, AvailabilityQuery, CalendarPolicy,
    PolicyUpdate, ScopeQuery, Service, ServiceCreate, ServiceUpdate, Slot, StaffCalendar, StaffCreate, StaffUpdate,
)
from server.models.base import utcnow
from server.schemas.common import Ok
from server.services.appointments import availability, booking, settings
from server.services.appointments.ical import feed_url as ical_url
from server.sqlite_locking import write_lock_first
from server.validation import validate

appointments_bp = Blueprint("appointments", __name__, url_prefix="/api")
WRITERS = ("admin", "staff")
CONFIGURERS = ("admin",)


def _business(query: ScopeQuery) -> int:
    return scoped_business_id(query.business_id)


def _scope(query: ScopeQuery):
    return scoped_business_id(query.business_id, required=False)


# ---- services ---------------------------------------------------------------------------

@appointments_bp.get("/services")
@auth_required
@validate(query=ScopeQuery, response=list[Service], tags=["appointments"])
def list_services(query: ScopeQuery):
    """The price list, by name (inactive services included, marked)."""
    return jsonify([settings.service_dict(s) for s in settings.list_services(_business(query))]), 200


@appointments_bp.post("/services")
@roles_required(*CONFIGURERS)
@validate(query=ScopeQuery, body=ServiceCreate, response=Service, status=201, tags=["appointments"])
def create_service(query: ScopeQuery, body: ServiceCreate):
    """A new service; staff_ids empty means every staff calendar performs it."""
    return jsonify(settings.service_dict(settings.create_service(_business(query), body.model_dump()))), 201


@appointments_bp.put("/services/<int:sid>")
@roles_required(*CONFIGURERS)
@validate(query=ScopeQuery, body=ServiceUpdate, response=Service, tags=["appointments"])
def update_service(sid: int, query: ScopeQuery, body: ServiceUpdate):
    """Change the fields sent."""
    service = settings.update_service(_scope(query), sid, body.model_dump(include=set(body.model_fields_set)))
    return jsonify(settings.service_dict(service)), 200


@appointments_bp.delete("/services/<int:sid>")
@roles_required(*CONFIGURERS)
@validate(query=ScopeQuery, response=Ok, tags=["appointments"])
def delete_service(sid: int, query: ScopeQuery):
    """Delete a service; one with appointments is made inactive instead (its history stays)."""
    settings.delete_service(_scope(query), sid)
    return jsonify({"ok": True}), 200


# ---- staff calendars --------------------------------------------------------------------

@appointments_bp.get("/staff-calendars")
@auth_required
@validate(query=ScopeQuery, response=list[StaffCalendar], tags=["appointments"])
def list_staff(query: ScopeQuery):
    """The business's staff calendars, each with its iCalendar feed URL."""
    staff = settings.list_staff(_business(query))
    return jsonify([settings.staff_dict(s, ical_url(s.ical_token)) for s in staff]), 200


@appointments_bp.post("/staff-calendars")
@roles_required(*CONFIGURERS)
@validate(query=ScopeQuery, body=StaffCreate, response=StaffCalendar, status=201, tags=["appointments"])
def create_staff(query: ScopeQuery, body: StaffCreate):
    """A new staff calendar (hours default to Sunday–Thursday 09–18, Friday 09–13)."""
    staff = settings.create_staff(_business(query), body.changes())
    return jsonify(settings.staff_dict(staff, ical_url(staff.ical_token))), 201


@appointments_bp.put("/staff-calendars/<int:sid>")
@roles_required(*CONFIGURERS)
@validate(query=ScopeQuery, body=StaffUpdate, response=StaffCalendar, tags=["appointments"])
def update_staff(sid: int, query: ScopeQuery, body: StaffUpdate):
    """Change name, hours, breaks, days off; rotate_ical_token gives the feed a new secret URL."""
    staff = settings.update_staff(_scope(query), sid, body.changes())
    return jsonify(settings.staff_dict(staff, ical_url(staff.ical_token))), 200


# ---- the calendar policy ----------------------------------------------------------------

@appointments_bp.get("/calendar-policy")
@roles_required(*CONFIGURERS)
@validate(query=ScopeQuery, response=CalendarPolicy, tags=["appointments"])
def get_policy(query: ScopeQuery):
    """Shabbat and holidays, closures, Friday and erev chag hours; the business-wide feed URL."""
    policy = settings.get_policy(_business(query), create=True)
    return jsonify(settings.policy_dict(policy, ical_url(policy.ical_token))), 200


@appointments_bp.put("/calendar-policy")
@roles_required(*CONFIGURERS)
@validate(query=ScopeQuery, body=PolicyUpdate, response=CalendarPolicy, tags=["appointments"])
def update_policy(query: ScopeQuery, body: PolicyUpdate):
    """Change the fields sent; rotate_ical_token gives the business feed a new secret URL."""
    policy = settings.update_policy(_business(query), body.changes())
    return jsonify(settings.policy_dict(policy, ical_url(policy.ical_token))), 200


# ---- availability and appointments ------------------------------------------------------

@appointments_bp.get("/availability")
@auth_required
@validate(query=AvailabilityQuery, response=list[Slot], tags=["appointments"])
def get_availability(query: AvailabilityQuery):
    """Free slots of a service in [from, to), by time then staff (15-minute grid, future only)."""
    service = settings.get_service(_business(query), query.service_id)
    start, end = availability.window(query.from_, query.to)
    slots = availability.free_slots(service, start, end, staff_id=query.staff_id, not_before=utcnow())
    return jsonify([slot.to_dict() for slot in slots]), 200


@appointments_bp.get("/appointments")
@auth_required
@validate(query=AppointmentsQuery, response=list[Appointment], tags=["appointments"])
def list_appointments(query: AppointmentsQuery):
    """Every appointment that overlaps [from, to), by start, with its customer's name."""
    start, end = availability.window(query.from_, query.to)
    rows = booking.list_appointments(_business(query), start, end, query.staff_id, query.customer_id, query.status)
    names = booking.customer_names(rows)
    return jsonify([{**Appointment.dump(row), "customer_name": names.get(row.customer_id)} for row in rows]), 200


@appointments_bp.post("/appointments")
@write_lock_first  # first: the write lock must be taken before the login check reads the user
@roles_required(*WRITERS)
@validate(query=ScopeQuery, body=AppointmentCreate, response=Appointment, status=201, tags=["appointments"])
def create_appointment(query: ScopeQuery, body: AppointmentCreate):
    """Book: the end follows from the service; no staff_id → the first staff member free then.
    A taken slot is 409 {"error": "slot taken", "next_slots": [...]}."""
    row = booking.book(_business(query), body.customer_id, body.service_id, body.start, body.staff_id,
                       body.notes, body.source)
    return jsonify(Appointment.dump(row)), 201


@appointments_bp.put("/appointments/<int:aid>")
@write_lock_first  # first: the write lock must be taken before the login check reads the user
@roles_required(*WRITERS)
@validate(query=ScopeQuery, body=AppointmentUpdate, response=Appointment, tags=["appointments"])
def update_appointment(aid: int, query: ScopeQuery, body: AppointmentUpdate):
    """Move (start, staff_id, service_id) or change notes and status; a taken slot is 409."""
    row = booking.move(_scope(query), aid, body.start, body.staff_id, body.service_id, body.notes, body.status,
                       fields=set(body.model_fields_set))
    return jsonify(Appointment.dump(row)), 200


@appointments_bp.post("/appointments/<int:aid>/cancel")
@write_lock_first  # first: the write lock must be taken before the login check reads the user
@roles_required(*WRITERS)
@validate(query=ScopeQuery, response=Appointment, tags=["appointments"])
def cancel_appointment(aid: int, query: ScopeQuery):
    """Cancel: the slot is free again."""
    return jsonify(Appointment.dump(booking.cancel(_scope(query), aid))), 200
