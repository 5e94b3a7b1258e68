"""WhatsApp confirmations and reminders: a notice when an appointment is booked, moved or
cancelled, and a reminder `reminder_hours` (the calendar policy; 0: none) before it starts.

Inside the customer's 24-hour window a notice is free text; outside it, the business's
approved template of the same name (TEMPLATES), with the variables of `variables()`. The
development transport takes the text even outside the window (flagged, as for any message).

The reminder is a job, and the appointment row is its source of truth:
- booking.py calls `track` inside the booking's transaction (it sets `reminder_due_at`, and
  clears `reminder_sent_at` when the appointment moves; it writes the notice still to send in
  `notice_pending`) and `after_commit` after it, which queues the notice.
- The notice is an outbox on the row: `send_notice` clears `notice_pending` with a conditional
  UPDATE in the same transaction as the queued message. A process that dies between the
  booking's commit and the notice leaves it pending, and the sweep sends it a little later
  (`pending_notices`); the conditional UPDATE makes the two exactly once between them.
- A periodic sweep (server/tasks/appointments.py) enqueues a send job for every reminder coming
  due, so a job lost with a killed worker is picked up at the next sweep.
- `send_reminder` claims the row with a conditional UPDATE (`reminder_sent_at` still null, still
  booked/confirmed, not started), and the claim commits in the same transaction as the queued
  WhatsApp message (queue_message's commit): both happen or neither. Two sweeps, two workers or
  a job run twice find the claim taken and send nothing.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select, update

from server.errors import AppError
from server.extensions import db
from server.models import Business, Customer, WhatsAppTemplate
from server.models.appointments import Appointment, Service
from server.models.base import utcnow
from server.services import audit, whatsapp
from server.services.appointments.reminder_times import ACTIVE, due_at, observes_rest_days, reminder_hours

log = logging.getLogger(__name__)

ISRAEL = ZoneInfo("Asia/Jerusalem")
SWEEP_HORIZON = timedelta(seconds=60)
# A notice the request that made the change has not queued by then is the sweep's to send.
NOTICE_GRACE = timedelta(seconds=30)
# A job may fire a moment before the due time (the queue's clock rounding); this much is fine.
EARLY_TOLERANCE = timedelta(seconds=1)
WEEKDAY_NAMES = ("ראשון", "שני", "שלישי", "רביעי", "חמישי", "שישי", "שבת")
REPLY_OPTIONS = "השיבו 1 לאישור, 2 לביטול."

# The template each message uses outside the 24-hour window; the free text inside it is the
# same wording (the demo seeds these bodies as the business's approved templates).
TEMPLATES = {
    "booked": "appointment_confirmation",
    "moved": "appointment_moved",
    "cancelled": "appointment_cancelled",
    "reminder": "appointment_reminder",
}
BODIES = {
    "appointment_confirmation": "שלום {{name}}, נקבע לך תור ל{{service}} ב{{business}} ב{{day}} {{date}} "
                                "בשעה {{time}}. " + REPLY_OPTIONS,
    "appointment_moved": "שלום {{name}}, התור שלך ל{{service}} ב{{business}} הועבר ל{{day}} {{date}} "
                         "בשעה {{time}}. " + REPLY_OPTIONS,
    "appointment_cancelled": "שלום {{name}}, התור שלך ל{{service}} ב{{business}} ב{{day}} {{date}} "
                             "בשעה {{time}} בוטל. לקביעת מועד חדש אפשר לכתוב לנו כאן.",
    "appointment_reminder": "שלום {{name}}, תזכורת: מחכה לך תור ל{{service}} ב{{business}} ב{{day}} {{date}} "
                            "בשעה {{time}}. " + REPLY_OPTIONS,
}
# Kinds whose message asks the customer to answer 1 or 2 (replies.py answers them).
ASKING = frozenset({"booked", "moved", "reminder"})


class Skipped(Exception):
    """A notice that cannot go: no phone, or no approved template outside the window."""


# ---- inside the booking's transaction ----------------------------------------------------

def snapshot(appointment: Appointment) -> dict:
    """What `track` compares with: the appointment before a change."""
    return {"status": appointment.status, "start_at": appointment.start_at}


def track(appointment: Appointment, before: dict | None, now: datetime | None = None,
          notify: bool = True) -> str | None:
    """Keep the reminder and the confirmation in step with a change; no commit.

    Returns the notice to send after the commit: "booked", "moved", "cancelled" or None, and
    (notify) keeps it pending on the row until it is queued.
    """
    now = now or utcnow()
    if appointment.status == "confirmed" and appointment.confirmed_at is None:
        appointment.confirmed_at = now
    elif appointment.status == "booked":
        appointment.confirmed_at = None  # back to unconfirmed; cancelled/no-show/done keep the history
    active = appointment.status in ACTIVE
    if before is None or (active and before["status"] not in ACTIVE):
        kind = "booked" if active else None
    elif active and appointment.start_at != before["start_at"]:
        kind = "moved"
    elif not active and before["status"] in ACTIVE and appointment.status == "cancelled":
        kind = "cancelled"
    else:
        kind = None
    if kind in ("booked", "moved"):
        # A new time is a new reminder. One already due when the notice goes needs none: the
        # notice itself asks for the answer.
        due = due_at(appointment, reminder_hours(appointment.business_id),
                     observes_rest_days(appointment.business_id), now)
        appointment.reminder_due_at = due if due is not None and due > now else None
        appointment.reminder_sent_at = None
    if notify and kind is not None:
        _keep_pending(appointment, kind, now)
    return appointment.notice_pending if notify and kind is not None else kind


def _keep_pending(appointment: Appointment, kind: str, now: datetime) -> None:
    """The notice the customer should get, given one that may not have gone yet."""
    pending = appointment.notice_pending
    if pending == "booked" and kind == "moved":
        kind = "booked"  # they never heard of the first time: the confirmation shows the new one
    elif pending == "booked" and kind == "cancelled":
        appointment.notice_pending = appointment.notice_pending_since = None  # nothing to tell
        return
    appointment.notice_pending, appointment.notice_pending_since = kind, now


def after_commit(appointment_id: int, kind: str | None) -> None:
    """Queue the notice of a committed change. The change stands whatever happens here: a
    notice that fails to queue stays pending for the sweep."""
    if kind is None:
        return
    try:
        send_notice(appointment_id)
    except Exception:  # noqa: BLE001 — the booking is committed; a notice is not worth a 500
        db.session.rollback()
        log.exception("appointment %s: %s notice could not be queued; the sweep retries", appointment_id, kind)


def _claim_notice(appointment_id: int, kind: str) -> bool:
    return db.session.execute(
        update(Appointment).where(Appointment.id == appointment_id, Appointment.notice_pending == kind)
        .values(notice_pending=None, notice_pending_since=None)).rowcount == 1


def send_notice(appointment_id: int, now: datetime | None = None) -> int | None:
    """Queue the appointment's pending notice, exactly once. The message id, or None."""
    kind = db.session.scalar(select(Appointment.notice_pending).where(Appointment.id == appointment_id))
    if kind is None or not _claim_notice(appointment_id, kind):
        db.session.rollback()
        return None
    appointment = db.session.get(Appointment, appointment_id)
    try:
        return _notify(appointment, kind, now).id  # commits the claim with the message
    except Skipped as exc:
        db.session.rollback()
        reason = str(exc)
    # It cannot go (no phone, no approved template): claimed anyway, so the sweep does not
    # retry it every minute.
    if _claim_notice(appointment_id, kind):
        db.session.commit()
    else:
        db.session.rollback()
    log.warning("appointment %s: %s notice not sent: %s", appointment_id, kind, reason)
    return None


def pending_notices(now: datetime | None = None, grace: timedelta = NOTICE_GRACE, limit: int = 500) -> list[int]:
    """Appointments whose notice the request that changed them did not queue (it died)."""
    now = now or utcnow()
    ids = list(db.session.scalars(
        select(Appointment.id).where(Appointment.notice_pending.is_not(None),
                                     Appointment.notice_pending_since <= now - grace)
        .order_by(Appointment.notice_pending_since).limit(limit)))
    db.session.commit()
    return ids


# ---- the messages ------------------------------------------------------------------------

def variables(appointment: Appointment) -> dict[str, str]:
    """The template variables: the customer's first name, the service, the business, and the
    day, date and time in Israel."""
    customer = db.session.get(Customer, appointment.customer_id)
    service = db.session.get(Service, appointment.service_id)
    business = db.session.get(Business, appointment.business_id)
    start = appointment.start_at.astimezone(ISRAEL)
    weekday = (start.weekday() + 1) % 7
    first_name = (customer.name or "").split()[0] if (customer.name or "").split() else ""
    return {"name": first_name or "לקוח/ה יקר/ה", "service": service.name, "business": business.name,
            "day": "שבת" if weekday == 6 else f"יום {WEEKDAY_NAMES[weekday]}",
            "date": f"{start.day}.{start.month}.{start.year}", "time": f"{start.hour:02d}:{start.minute:02d}"}


def render(name: str, values: dict[str, str]) -> str:
    text = BODIES[name]
    for key, value in values.items():
        text = text.replace("{{" + key + "}}", value)
    return text


def _has_template(business_id: int, name: str) -> bool:
    return db.session.execute(select(WhatsAppTemplate.id).where(
        WhatsAppTemplate.business_id == business_id, WhatsAppTemplate.name == name).limit(1)).first() is not None


def _notify(appointment: Appointment, kind: str, now: datetime | None = None):
    """Queue `kind`'s message to the customer; commits (with whatever the caller changed)."""
    now = now or utcnow()
    customer = db.session.get(Customer, appointment.customer_id)
    if customer is None or not customer.phone:
        raise Skipped("the customer has no phone number")
    name, values = TEMPLATES[kind], variables(appointment)
    inside = whatsapp.window_for_phone(appointment.business_id, customer.phone, now)["open"]
    try:
        if not inside and _has_template(appointment.business_id, name):
            msg = whatsapp.queue_message(appointment.business_id, to=customer.phone, template=name,
                                         variables=values, now=now)
        else:
            # Inside the window; or outside it without an approved template, which only the
            # development transport accepts (flagged outside_window) and a real one refuses.
            msg = whatsapp.queue_message(appointment.business_id, to=customer.phone, text=render(name, values),
                                         now=now)
    except AppError as exc:
        raise Skipped(f"{exc.code}: no approved template {name!r} outside the 24h window"
                      if not inside else str(exc.code)) from None
    if kind in ASKING:
        db.session.execute(update(Appointment).where(Appointment.id == appointment.id)
                           .values(notice_message_id=msg.id))
        db.session.commit()
    log.info("appointment %s: %s notice queued as WhatsApp %s (%s)", appointment.id, kind, msg.id,
             "template" if msg.template_name else "text")
    return msg


# ---- the reminder job --------------------------------------------------------------------

def due_reminders(now: datetime | None = None, horizon: timedelta = SWEEP_HORIZON,
                  limit: int = 1000) -> list[tuple[int, datetime]]:
    """(appointment id, due time) of every reminder still to send that comes due before the next sweep."""
    now = now or utcnow()
    rows = db.session.execute(
        select(Appointment.id, Appointment.reminder_due_at)
        .where(Appointment.reminder_due_at.is_not(None), Appointment.reminder_due_at <= now + horizon,
               Appointment.reminder_sent_at.is_(None), Appointment.status.in_(ACTIVE), Appointment.start_at > now)
        .order_by(Appointment.reminder_due_at).limit(limit)).all()
    db.session.commit()
    return [(row.id, row.reminder_due_at) for row in rows]


def _claim(appointment_id: int, now: datetime) -> bool:
    return db.session.execute(
        update(Appointment).where(Appointment.id == appointment_id, Appointment.reminder_sent_at.is_(None),
                                  Appointment.reminder_due_at <= now + EARLY_TOLERANCE,
                                  Appointment.status.in_(ACTIVE), Appointment.start_at > now)
        .values(reminder_sent_at=now)).rowcount == 1


def send_reminder(appointment_id: int, now: datetime | None = None) -> int | None:
    """Send the appointment's reminder if it is due and nobody sent it. The message id, or None."""
    now = now or utcnow()
    try:
        if not _claim(appointment_id, now):
            db.session.rollback()
            return None
        appointment = db.session.get(Appointment, appointment_id)
        db.session.refresh(appointment)
        msg = _notify(appointment, "reminder", now)  # commits the claim with the message
        return msg.id
    except Skipped as exc:
        db.session.rollback()
        reason = str(exc)
    except Exception:
        db.session.rollback()
        raise
    # It cannot go (no phone, no approved template): claimed anyway, so it is not tried every
    # minute, and said in the log and the audit log.
    if _claim(appointment_id, now):
        appointment = db.session.get(Appointment, appointment_id)
        audit.record("update", "appointment", appointment.id, appointment.business_id,
                     {"fields": ["reminder_sent_at"], "reminder": "skipped", "reason": reason[:200]})
        db.session.commit()
        log.warning("appointment %s: reminder not sent: %s", appointment_id, reason)
    else:
        db.session.rollback()
    return None
