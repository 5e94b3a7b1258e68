"""Appointments: the price list (services), staff calendars, the business's calendar policy,
and the appointments themselves. Every row names its business; services scope every query.

Times are aware UTC (UTCDateTime); weekly hours are Israel wall-clock "HH:MM" text, so a
09:00 opening stays 09:00 across the DST change.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from server.extensions import db
from server.models.base import JSONType, TimestampMixin, UTCDateTime


class Service(TimestampMixin, db.Model):
    """One line of the business's price list."""

    __tablename__ = "appt_service"
    __table_args__ = (UniqueConstraint("business_id", "name", name="uq_appt_service_business_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    business_id: Mapped[int] = mapped_column(ForeignKey("business.id"), nullable=False)
    name: Mapped[str] = mapped_column(String(120), nullable=False)
    duration_minutes: Mapped[int] = mapped_column(Integer, nullable=False)
    price_agorot: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    # Cleaning up after: the staff member is busy this long after the appointment ends.
    buffer_minutes: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)


class ServiceStaff(db.Model):
    """Which staff calendars perform a service (none listed: every calendar of the business)."""

    __tablename__ = "appt_service_staff"

    service_id: Mapped[int] = mapped_column(ForeignKey("appt_service.id", ondelete="CASCADE"), primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("appt_staff_calendar.id", ondelete="CASCADE"), primary_key=True)
    business_id: Mapped[int] = mapped_column(ForeignKey("business.id"), nullable=False, index=True)


class StaffCalendar(TimestampMixin, db.Model):
    """A person or a chair that takes appointments; may or may not be a login user."""

    __tablename__ = "appt_staff_calendar"
    __table_args__ = (UniqueConstraint("ical_token", name="uq_appt_staff_calendar_ical_token"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    business_id: Mapped[int] = mapped_column(ForeignKey("business.id"), nullable=False, index=True)
    name: Mapped[str] = mapped_column(String(120), nullable=False)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    # {"0": [["09:00", "18:00"]], ..., "6": []}: day 0 is Sunday; a missing day is closed.
    hours: Mapped[dict] = mapped_column(JSONType, default=dict, nullable=False)
    # [{"day": 0..6 | null (every day), "start": "13:00", "end": "13:30"}]
    breaks: Mapped[list] = mapped_column(JSONType, default=list, nullable=False)
    # ["2026-12-24", ...]: Israel dates this calendar takes nothing.
    days_off: Mapped[list] = mapped_column(JSONType, default=list, nullable=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    ical_token: Mapped[str] = mapped_column(String(64), nullable=False)
    # The booking lock: every booking on this calendar bumps it first, in its own transaction,
    # so two bookings of one staff member queue behind each other (see services/appointments/booking.py).
    lock_version: Mapped[int] = mapped_column(Integer, default=0, nullable=False)


class CalendarPolicy(TimestampMixin, db.Model):
    """The business's calendar rules; a business without a row has the defaults."""

    __tablename__ = "appt_calendar_policy"

    business_id: Mapped[int] = mapped_column(ForeignKey("business.id"), primary_key=True)
    closed_on_holidays: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    # [{"start": "2026-08-01", "end": "2026-08-07", "note": "חופשה"}] (inclusive Israel dates)
    closures: Mapped[list] = mapped_column(JSONType, default=list, nullable=False)
    # Opening hours on Friday and on erev chag, capping each staff calendar's hours that day.
    friday_hours: Mapped[list | None] = mapped_column(JSONType)
    erev_chag_hours: Mapped[list | None] = mapped_column(JSONType)
    ical_token: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    # The WhatsApp reminder goes this many hours before the start (0: no reminders).
    reminder_hours: Mapped[int] = mapped_column(Integer, default=24, server_default="24", nullable=False)


class Appointment(TimestampMixin, db.Model):
    __tablename__ = "appointment"
    __table_args__ = (
        Index("ix_appointment_staff_start", "staff_id", "start_at"),
        Index("ix_appointment_business_start", "business_id", "start_at"),
        Index("ix_appointment_customer_start", "customer_id", "start_at"),
        Index("ix_appointment_reminder_due", "reminder_due_at"),
        Index("ix_appointment_notice_pending", "notice_pending_since"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    business_id: Mapped[int] = mapped_column(ForeignKey("business.id"), nullable=False)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), nullable=False)
    service_id: Mapped[int] = mapped_column(ForeignKey("appt_service.id"), nullable=False)
    staff_id: Mapped[int] = mapped_column(ForeignKey("appt_staff_calendar.id"), nullable=False)
    start_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    end_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    # end_at + the service's buffer: the staff member is held until then. The PostgreSQL
    # exclusion constraint (migration 0004) is over [start_at, blocked_until).
    blocked_until: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    status: Mapped[str] = mapped_column(String(16), default="booked", nullable=False)  # booked|confirmed|cancelled|no_show|done
    source: Mapped[str] = mapped_column(String(16), default="web", nullable=False)  # phone|whatsapp|web
    notes: Mapped[str | None] = mapped_column(Text)
    # WhatsApp confirmations and reminders (services/appointments/reminders.py).
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the reminder is due (null: none to send); reminder_sent_at is its exactly-once claim.
    reminder_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reminder_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The last message that asked "1 to confirm, 2 to cancel": a reply answers it only while it
    # is the customer's latest outbound message. No foreign key: messages and appointments are
    # erased with the customer in either order.
    notice_message_id: Mapped[int | None] = mapped_column(Integer)
    # The notice still to queue ("booked" | "moved" | "cancelled"), set in the change's own
    # transaction: a process that dies after the commit leaves it for the sweep, so no notice
    # is lost; clearing it is the send's exactly-once claim (services/appointments/reminders.py).
    notice_pending: Mapped[str | None] = mapped_column(String(16))
    notice_pending_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
