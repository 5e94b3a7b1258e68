"""A customer's answer to a confirmation or reminder: "1"/"כן" confirms, "2"/"ביטול" cancels.

The WhatsApp agent calls `handle_reply` first for every inbound text; True means the message was
an answer and is handled (the appointment changed and an acknowledgement is queued), False that
it is not one and nothing changed. It is an answer only when all of these hold:
- the text is one of the answers below (niqqud, punctuation, spaces and emoji aside);
- the customer has an upcoming booked/confirmed appointment whose notice or reminder (the
  message that asked "1 לאישור, 2 לביטול") is the customer's latest outbound message before
  this one — so a "כן" to anything the agent or a person asked since is not taken as an answer.
"""
from __future__ import annotations

import logging
import re

from sqlalchemy import select

from server.extensions import db
from server.hebrew import strip_niqqud
from server.models import Customer, WhatsAppMsg
from server.models.appointments import Appointment
from server.models.base import utcnow
from server.services import whatsapp
from server.services.appointments import booking, reminders

log = logging.getLogger(__name__)

CONFIRM = frozenset({
    "1", "כן", "מאשר", "מאשרת", "מאשר ת", "מאשרים", "אישור", "מאושר", "אני מאשר", "אני מאשרת",
    "כן מאשר", "כן מאשרת", "כן תודה", "כן בטח", "בטח", "אגיע", "אני אגיע", "נגיע", "1 כן", "כן 1",
    "ok", "אוקיי", "👍",
})
CANCEL = frozenset({
    "2", "ביטול", "לבטל", "בטל", "בטלו", "בטלי", "תבטל", "תבטלי", "תבטלו", "מבטל", "מבטלת", "אני מבטל",
    "אני מבטלת", "לא אגיע", "אני לא אגיע", "לא נגיע", "ביטול תור", "לבטל תור", "לבטל את התור",
    "בבקשה לבטל", "2 ביטול", "ביטול 2",
})
ACKS = {
    "confirmed": "תודה {name}! התור שלך ל{service} ב{day} {date} בשעה {time} מאושר. נתראה!",
    "cancelled": "התור שלך ל{service} ב{day} {date} בשעה {time} בוטל. לקביעת מועד אחר אפשר לכתוב לנו כאן.",
}
_NOT_WORD = re.compile(r"[^\w👍]+")


def normalize(text: str) -> str:
    """"כֵּן!" → "כן", " 2. " → "2", "מאשר/ת" → "מאשר ת"."""
    text = strip_niqqud(text or "").replace("\u05BE", " ").casefold()
    return " ".join(_NOT_WORD.sub(" ", text).split())


def answer_of(text: str) -> str | None:
    """"confirm", "cancel" or None."""
    words = normalize(text)
    if words in CONFIRM:
        return "confirm"
    if words in CANCEL:
        return "cancel"
    return None


def _asked(message: WhatsAppMsg) -> Appointment | None:
    """The upcoming appointment whose question is the customer's latest outbound message."""
    latest = db.session.scalar(
        select(WhatsAppMsg.id).where(WhatsAppMsg.business_id == message.business_id,
                                     WhatsAppMsg.customer_id == message.customer_id,
                                     WhatsAppMsg.direction == "outbound",
                                     WhatsAppMsg.created_at <= message.created_at)
        .order_by(WhatsAppMsg.created_at.desc(), WhatsAppMsg.id.desc()).limit(1))
    if latest is None:
        return None
    return db.session.scalar(select(Appointment).where(
        Appointment.business_id == message.business_id, Appointment.customer_id == message.customer_id,
        Appointment.notice_message_id == latest, Appointment.status.in_(reminders.ACTIVE),
        Appointment.start_at > utcnow()).limit(1))


def handle_reply(message: WhatsAppMsg) -> bool:
    """Confirm or cancel the appointment an inbound text answers. True when it was an answer."""
    if message.direction != "inbound" or message.customer_id is None:
        return False
    answer = answer_of(message.body or "")
    if answer is None:
        return False
    appointment = _asked(message)
    if appointment is None:
        db.session.rollback()
        return False
    if answer == "confirm":
        if appointment.status != "confirmed":
            booking.move(message.business_id, appointment.id, status="confirmed", fields={"status"}, notify=False)
        status = "confirmed"
    else:
        booking.cancel(message.business_id, appointment.id, notify=False)
        status = "cancelled"
    log.info("appointment %s: the customer answered WhatsApp %s: %s", appointment.id, message.id, status)
    _acknowledge(appointment.id, status)
    return True


def _acknowledge(appointment_id: int, status: str) -> None:
    appointment = db.session.get(Appointment, appointment_id)
    customer = db.session.get(Customer, appointment.customer_id)
    text = ACKS[status].format(**reminders.variables(appointment))
    try:
        whatsapp.queue_message(appointment.business_id, to=customer.phone, text=text)
    except Exception:  # noqa: BLE001 — the answer is applied; the acknowledgement is a courtesy
        db.session.rollback()
        log.exception("appointment %s: the acknowledgement could not be queued", appointment_id)
