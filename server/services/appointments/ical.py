"""iCalendar feeds (RFC 5545, built with the `icalendar` library) that Google Calendar,
Outlook and Apple Calendar subscribe to: one per staff calendar and one per business.

A feed is addressed by a secret token alone (calendar apps cannot log in); the business
admin rotates it (PUT /api/staff-calendars/<id> or /api/calendar-policy with
"rotate_ical_token": true) and the old URL answers 404. A feed holds the appointments from
30 days back to a year ahead that are not cancelled, in UTC; each event's UID is stable, so
a moved appointment moves in the subscriber's calendar instead of being duplicated.
"""
from __future__ import annotations

from datetime import timedelta

from flask import current_app, url_for
from icalendar import Calendar, Event
from sqlalchemy import select

from server.error_codes import ErrorCode
from server.errors import NotFound
from server.extensions import db
from server.models import Customer
from server.models.appointments import Appointment, CalendarPolicy, Service, StaffCalendar
from server.models.base import utcnow

PAST = timedelta(days=30)
AHEAD = timedelta(days=365)
_STATUS = {"booked": "TENTATIVE", "confirmed": "CONFIRMED", "done": "CONFIRMED", "no_show": "CONFIRMED"}


def feed_url(token: str) -> str:
    """The feed's absolute URL: on HOST when it is set (the address calendar apps reach)."""
    host = current_app.config.get("HOST") or ""
    if host:
        return f"{host.rstrip('/')}/calendar/{token}.ics"
    return url_for("calendar_feed.feed", token=token, _external=True)


def business_feed_url(business_id: int) -> str:
    from server.services.appointments.settings import get_policy
    return feed_url(get_policy(business_id, create=True).ical_token)


def feed(token: str) -> bytes:
    """The .ics text of the staff calendar or business whose token this is; 404 otherwise."""
    staff = db.session.scalar(select(StaffCalendar).where(StaffCalendar.ical_token == token)) if token else None
    policy = None
    if staff is None and token:
        policy = db.session.scalar(select(CalendarPolicy).where(CalendarPolicy.ical_token == token))
    if staff is None and policy is None:
        raise NotFound("calendar not found", code=ErrorCode.NOT_FOUND)
    business_id = staff.business_id if staff is not None else policy.business_id
    now = utcnow()
    query = (select(Appointment, Service.name, Customer.name, StaffCalendar.name)
             .join(Service, Service.id == Appointment.service_id)
             .join(Customer, Customer.id == Appointment.customer_id)
             .join(StaffCalendar, StaffCalendar.id == Appointment.staff_id)
             .where(Appointment.business_id == business_id, Appointment.status != "cancelled",
                    Appointment.end_at > now - PAST, Appointment.start_at < now + AHEAD)
             .order_by(Appointment.start_at, Appointment.id))
    if staff is not None:
        query = query.where(Appointment.staff_id == staff.id)

    cal = Calendar()
    cal.add("prodid", "-//Kesher//Appointments//HE")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", staff.name if staff is not None else "תורים")
    cal.add("x-wr-timezone", "Asia/Jerusalem")
    for appointment, service_name, customer_name, staff_name in db.session.execute(query):
        event = Event()
        event.add("uid", f"appointment-{appointment.id}@kesher")
        event.add("dtstamp", appointment.updated_at)
        event.add("last-modified", appointment.updated_at)
        event.add("dtstart", appointment.start_at)
        event.add("dtend", appointment.end_at)
        summary = f"{service_name} · {customer_name}"
        event.add("summary", summary if staff is not None else f"{summary} ({staff_name})")
        event.add("status", _STATUS.get(appointment.status, "CONFIRMED"))
        cal.add_component(event)
    return cal.to_ical()
