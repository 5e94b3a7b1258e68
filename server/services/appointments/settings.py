"""The price list (services), the staff calendars and the business's calendar policy.

Routes hand in a business id (already scoped by authz) and validated values; each public
function commits its own transaction and audits what it changed (field names, not values).
"""
from __future__ import annotations

import secrets

from sqlalchemy import delete, select

from server.error_codes import ErrorCode
from server.errors import Conflict, FieldError, NotFound, ValidationFailed
from server.extensions import db
from server.models import User
from server.models.appointments import CalendarPolicy, Service, ServiceStaff, StaffCalendar
from server.services import audit
from server.services.appointments import reminder_times
from server.tenancy import BusinessScope, in_scope

MAX_ID = 2**31 - 1
# Sunday–Thursday 09:00–18:00, Friday 09:00–13:00: a new calendar's hours unless it is given its own.
DEFAULT_HOURS = {**{str(d): [["09:00", "18:00"]] for d in range(5)}, "5": [["09:00", "13:00"]], "6": []}
SERVICE_FIELDS = ("name", "duration_minutes", "price_agorot", "buffer_minutes", "active")
STAFF_FIELDS = ("name", "user_id", "hours", "breaks", "days_off", "active")
POLICY_FIELDS = ("closed_on_holidays", "closures", "friday_hours", "erev_chag_hours", "reminder_hours")


def new_token() -> str:
    return secrets.token_urlsafe(24)


def _audit(action: str, row, details: dict | None = None) -> None:
    db.session.flush()
    audit.record(action, row.__tablename__, getattr(row, "id", None) or row.business_id, row.business_id, details or {})


# ---- services ---------------------------------------------------------------------------

def get_service(scope: BusinessScope, service_id: int) -> Service:
    service = db.session.get(Service, service_id) if 0 < service_id <= MAX_ID else None
    if service is None or not in_scope(scope, service.business_id):
        raise NotFound("service not found", code=ErrorCode.SERVICE_NOT_FOUND)
    return service


def list_services(business_id: int, active_only: bool = False) -> list[Service]:
    query = select(Service).where(Service.business_id == business_id).order_by(Service.name, Service.id)
    if active_only:
        query = query.where(Service.active.is_(True))
    return list(db.session.scalars(query))


def staff_ids_of(service: Service) -> list[int]:
    return list(db.session.scalars(select(ServiceStaff.staff_id).where(ServiceStaff.service_id == service.id)
                                   .order_by(ServiceStaff.staff_id)))


def _set_staff(service: Service, staff_ids: list[int]) -> None:
    wanted = sorted(set(staff_ids))
    if wanted:
        found = set(db.session.scalars(select(StaffCalendar.id).where(StaffCalendar.id.in_(wanted),
                                                                      StaffCalendar.business_id == service.business_id)))
        missing = [sid for sid in wanted if sid not in found]
        if missing:
            raise ValidationFailed({"staff_ids": FieldError(ErrorCode.STAFF_NOT_FOUND, "unknown staff calendar",
                                                            ids=missing)})
    db.session.execute(delete(ServiceStaff).where(ServiceStaff.service_id == service.id))
    for sid in wanted:
        db.session.add(ServiceStaff(service_id=service.id, staff_id=sid, business_id=service.business_id))


def _unique_name(business_id: int, name: str, own_id: int | None = None) -> None:
    query = select(Service.id).where(Service.business_id == business_id, Service.name == name)
    if own_id is not None:
        query = query.where(Service.id != own_id)
    if db.session.execute(query).first():
        raise Conflict("service name exists", code=ErrorCode.NAME_EXISTS)


def create_service(business_id: int, data: dict) -> Service:
    try:
        _unique_name(business_id, data["name"])
        service = Service(business_id=business_id, **{k: data[k] for k in SERVICE_FIELDS if k in data})
        db.session.add(service)
        db.session.flush()
        _set_staff(service, data.get("staff_ids") or [])
        _audit("create", service, {"fields": sorted(k for k in data if k in SERVICE_FIELDS or k == "staff_ids")})
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return service


def update_service(scope: BusinessScope, service_id: int, data: dict) -> Service:
    service = get_service(scope, service_id)
    try:
        if "name" in data:
            _unique_name(service.business_id, data["name"], service.id)
        for key in SERVICE_FIELDS:
            if key in data:
                setattr(service, key, data[key])
        if "staff_ids" in data:
            _set_staff(service, data["staff_ids"] or [])
        _audit("update", service, {"fields": sorted(data)})
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return service


def delete_service(scope: BusinessScope, service_id: int) -> Service:
    """A service with appointments is retired (inactive), never deleted: its history keeps its name."""
    from server.models.appointments import Appointment
    service = get_service(scope, service_id)
    used = db.session.execute(select(Appointment.id).where(Appointment.service_id == service.id).limit(1)).first()
    if used:
        service.active = False
        _audit("update", service, {"fields": ["active"]})
    else:
        _audit("delete", service)
        db.session.execute(delete(ServiceStaff).where(ServiceStaff.service_id == service.id))
        db.session.delete(service)
    db.session.commit()
    return service


# ---- staff calendars --------------------------------------------------------------------

def get_staff(scope: BusinessScope, staff_id: int) -> StaffCalendar:
    staff = db.session.get(StaffCalendar, staff_id) if 0 < staff_id <= MAX_ID else None
    if staff is None or not in_scope(scope, staff.business_id):
        raise NotFound("staff calendar not found", code=ErrorCode.STAFF_NOT_FOUND)
    return staff


def list_staff(business_id: int) -> list[StaffCalendar]:
    return list(db.session.scalars(select(StaffCalendar).where(StaffCalendar.business_id == business_id)
                                   .order_by(StaffCalendar.id)))


def _check_user(business_id: int, user_id: int | None) -> None:
    if user_id is None:
        return
    user = db.session.get(User, user_id) if 0 < user_id <= MAX_ID else None
    if user is None or user.business_id != business_id:
        raise ValidationFailed({"user_id": FieldError(ErrorCode.USER_NOT_FOUND, "no such user in this business")})


def create_staff(business_id: int, data: dict) -> StaffCalendar:
    _check_user(business_id, data.get("user_id"))
    values = {k: data[k] for k in STAFF_FIELDS if k in data and data[k] is not None}
    values.setdefault("hours", DEFAULT_HOURS)
    staff = StaffCalendar(business_id=business_id, ical_token=new_token(), **values)
    db.session.add(staff)
    _audit("create", staff, {"fields": sorted(values)})
    db.session.commit()
    return staff


def update_staff(scope: BusinessScope, staff_id: int, data: dict) -> StaffCalendar:
    staff = get_staff(scope, staff_id)
    if "user_id" in data:
        _check_user(staff.business_id, data["user_id"])
    for key in STAFF_FIELDS:
        if key in data:
            setattr(staff, key, data[key])
    if data.get("rotate_ical_token"):
        staff.ical_token = new_token()
    _audit("update", staff, {"fields": sorted(data)})
    db.session.commit()
    return staff


# ---- the calendar policy ----------------------------------------------------------------

def get_policy(business_id: int, create: bool = False) -> CalendarPolicy:
    """The business's policy; its defaults (a row made on first need: it holds the feed's token)."""
    policy = db.session.get(CalendarPolicy, business_id)
    if policy is None:
        policy = CalendarPolicy(business_id=business_id, closed_on_holidays=True, closures=[], ical_token=new_token(),
                                reminder_hours=reminder_times.DEFAULT_REMINDER_HOURS)
        if create:
            db.session.add(policy)
            db.session.commit()
    return policy


def update_policy(business_id: int, data: dict) -> CalendarPolicy:
    policy = get_policy(business_id)
    db.session.add(policy)
    for key in POLICY_FIELDS:
        if key in data:
            setattr(policy, key, data[key])
    if data.get("rotate_ical_token"):
        policy.ical_token = new_token()
    if "reminder_hours" in data:
        db.session.flush()
        reminder_times.reschedule(business_id)
    _audit("update", policy, {"fields": sorted(data)})
    db.session.commit()
    return policy


def service_dict(service: Service) -> dict:
    from server.schemas.appointments import Service as ServiceOut
    return ServiceOut.model_validate({**{k: getattr(service, k) for k in ("id", *SERVICE_FIELDS)},
                                      "staff_ids": staff_ids_of(service)}).model_dump()


def staff_dict(staff: StaffCalendar, ical_url: str) -> dict:
    return {"id": staff.id, "name": staff.name, "user_id": staff.user_id, "hours": staff.hours or {},
            "breaks": staff.breaks or [], "days_off": staff.days_off or [], "active": staff.active,
            "ical_url": ical_url}


def policy_dict(policy: CalendarPolicy, ical_url: str) -> dict:
    return {"closed_on_holidays": policy.closed_on_holidays, "closures": policy.closures or [],
            "friday_hours": policy.friday_hours, "erev_chag_hours": policy.erev_chag_hours, "reminder_hours": policy.reminder_hours,
            "ical_url": ical_url}
