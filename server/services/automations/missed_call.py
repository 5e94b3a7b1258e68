"""Missed call → WhatsApp: a call that ended without a conversation (the caller hung up at the
greeting, nothing was recorded, or the transfer to a person went unanswered) gets one WhatsApp
from the business per number per Israel day — the business's text inside the 24-hour window,
the approved template outside it. Run by a job queued at the call's end (voice/calls.py)."""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import select

from server.extensions import db
from server.models import AutomationRun, AutomationSetting, Business, CallLog
from server.models.base import utcnow
from server.phones import try_normalize_phone
from server.services import whatsapp
from server.services.automations.runs import fire
from server.services.automations.settings import ensure_missed_call_template, get_settings
from server.services.customers.crud import find_customer_by_phone
from server.services.voice.calls import FINAL_STATUSES
from server.services.voice.context import ISRAEL
from server.sqlite_locking import write_lock_first_here

log = logging.getLogger(__name__)
KIND = "missed_call"


def had_conversation(call: CallLog) -> bool:
    """A conversation is a turn the caller spoke in, unless they then asked for a person nobody
    answered; a transfer that was answered is one too."""
    transfer = (call.state or {}).get("transfer")
    if transfer == "unanswered":
        return False
    if transfer == "answered":
        return True
    return any((turn.transcript or "").strip() for turn in call.turns)


def handle_call_end(call_id: int) -> str:
    """The job's body. Returns what happened (for the log and tests): sent, already_sent,
    skipped:<reason>, or why it did not apply."""
    db.session.rollback()  # a fresh transaction, so SQLite's begins with the write lock
    with write_lock_first_here():
        outcome = _handle(call_id)
    log.info("call %s ended: missed-call automation %s", call_id, outcome)
    return outcome


def _handle(call_id: int) -> str:
    call = db.session.get(CallLog, call_id)
    if call is None or call.business_id is None:
        return "no_business"
    if call.status not in FINAL_STATUSES:
        return "not_ended"
    if (call.direction or "inbound") != "inbound":
        return "outbound"
    if had_conversation(call):
        return "conversation"
    business_id = call.business_id
    settings = get_settings(business_id).missed_call
    if not settings.enabled:
        return "disabled"
    phone = try_normalize_phone(call.from_number)
    if phone is None:
        return "no_number"
    customer = find_customer_by_phone(business_id, phone)
    if customer is not None and customer.whatsapp_opted_out_at is not None:
        return "opted_out"
    day = (call.ended_at or call.started_at).astimezone(ISRAEL).date().isoformat()
    flags = {"automation": KIND, "call_id": call.id}

    def send(on_stored):
        if whatsapp.window_for_phone(business_id, phone)["open"]:
            return whatsapp.queue_message(business_id, to=phone, text=settings.text, flags=flags, on_stored=on_stored)
        template = ensure_missed_call_template(business_id)
        business = db.session.get(Business, business_id)
        return whatsapp.queue_message(business_id, to=phone, template=template.name, variables={"1": business.name},
                                      flags={**flags, "template": True}, on_stored=on_stored)

    run = fire(business_id, KIND, f"{phone}:{day}", send, customer_id=customer.id if customer else None,
               call_id=call.id)
    if run is None:
        return "already_sent"
    return "sent" if run.status == "queued" else f"skipped:{run.reason}"


SWEEP_AFTER = timedelta(minutes=2)
SWEEP_WINDOW = timedelta(minutes=30)


def sweep(now: datetime | None = None) -> list[str]:
    """Run the follow-up again for calls that ended 2 to 30 minutes ago in businesses with the
    automation on and have no run of their own: huey does not acknowledge tasks, so a job lost
    with a killed worker is redone here. Repeats are harmless (the day's key sends once)."""
    now = now or utcnow()
    enabled = [row.business_id for row in db.session.scalars(select(AutomationSetting))
               if get_settings(row.business_id).missed_call.enabled]
    if not enabled:
        return []
    has_run = select(AutomationRun.id).where(AutomationRun.call_id == CallLog.id).exists()
    ids = db.session.scalars(select(CallLog.id).where(
        CallLog.business_id.in_(enabled), CallLog.status.in_(FINAL_STATUSES), CallLog.ended_at.is_not(None),
        CallLog.ended_at <= now - SWEEP_AFTER, CallLog.ended_at > now - SWEEP_WINDOW, ~has_run)
        .order_by(CallLog.id)).all()
    return [handle_call_end(call_id) for call_id in ids]
