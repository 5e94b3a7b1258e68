"""The agent on WhatsApp: answers a customer's inbound message with the same receptionist
that answers the phone (appointments, prices, knowledge, the customer's records).

Every inbound text is stored first (services/whatsapp.record_inbound) with
`agent_status = pending`; a job then runs `answer_inbound(message_id)`:
  1. Claim the message (pending → answering, a compare-and-set with a lease): one job
     answers it, and a job lost with a killed worker is found again by the sweep once the
     lease has run out (`due_answers`).
  2. Decide whether the agent answers at all: the business's `whatsapp_agent` setting
     (off | always | outside_hours), whether a person has the conversation ("staff"), and
     whether a hook already handled the message (e.g. a reply to an appointment reminder).
  3. Answer: the customer's records and the receptionist's desk become the CallerContext,
     the configured reply provider answers (the offline one when the cloud fails, flagged),
     and the reply is queued like any outbound message under the idempotency key
     `agent-<inbound id>`, so a retried job never sends a second answer.
  4. The message ends `answered` or `skipped` (with why, in its flags).

A customer asking for a person ("נציג") or a staff member replying by hand hands the
conversation to people: the agent stays quiet in it until staff hand it back
(`set_handler`).
"""
from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta
from typing import Callable

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError

from server.config import current
from server.errors import NotFound
from server.extensions import db
from server.models import Business, Conversation, Customer, Task, WhatsAppMsg
from server.models.base import utcnow
from server.providers.reply import CallerContext, ReplyResult
from server.schemas.settings import business_settings
from server.services import audit, realtime

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=2)          # a job answering longer than this is presumed dead
ANSWER_WITHIN = timedelta(hours=1)    # later than this, an answer would confuse: skip it
HISTORY_MESSAGES = 12                 # earlier messages the agent reads with the new one
NEW_CHAT_AFTER = timedelta(hours=12)  # silence after which the agent greets again
HANDOVER_TEXT = "העברתי את השיחה לצוות, יחזרו אלייך כאן בהקדם."
# "נציג", "בן אדם", "לדבר עם מישהו" … a person, in the words customers write.
ASKS_FOR_PERSON = re.compile(
    r"נציג|נציגה|בן\s*אדם|בת\s*אדם|אדם\s*אמיתי|מישהו\s*אמיתי|לדבר\s*עם\s*(?:מישהו|מישהי|בעל|בעלת|מנהל|מנהלת|אדם)")



def inbound_hooks() -> list[tuple[str, Callable[[WhatsAppMsg], bool]]]:
    """What may handle an inbound message before the agent, in order (True: handled, the
    agent says nothing more): an opt-out ("הסר"), then an answer to an appointment
    confirmation or reminder ("1", "ביטול")."""
    from server.services.appointments.replies import handle_reply
    from server.services.automations.opt_out import record_opt_out_if_asked
    return [("opt_out", record_opt_out_if_asked), ("appointment_reply", handle_reply)]


def _left_to_staff(msg: WhatsAppMsg, why: str) -> str:
    """The agent does not answer: the business's away message may (when it is closed)."""
    from server.services.automations.away import on_inbound_whatsapp
    db.session.commit()  # the away message commits the session itself
    if on_inbound_whatsapp(msg):
        msg.flags = {**(msg.flags or {}), "away_message": True}
    return _finish(msg, "skipped", why)


# ---- state -----------------------------------------------------------------------------

def wants_answer(msg: WhatsAppMsg) -> bool:
    """Whether a just-stored inbound message waits for the agent's decision."""
    return msg.direction == "inbound" and msg.customer_id is not None and bool((msg.body or "").strip())


def conversation_for(business_id: int, customer_id: int, channel: str = "whatsapp") -> Conversation:
    """The customer's conversation row, made on first use (concurrent first uses make one)."""
    row = db.session.scalar(select(Conversation).where(
        Conversation.business_id == business_id, Conversation.customer_id == customer_id,
        Conversation.channel == channel))
    if row is not None:
        return row
    row = Conversation(business_id=business_id, customer_id=customer_id, channel=channel, handler="agent",
                       dialog={})
    try:
        with db.session.begin_nested():
            db.session.add(row)
    except IntegrityError:
        row = db.session.scalar(select(Conversation).where(
            Conversation.business_id == business_id, Conversation.customer_id == customer_id,
            Conversation.channel == channel))
    return row


def conversation_dict(row: Conversation | None, business_id: int, customer_id: int) -> dict:
    from server.models.base import iso
    mode = business_settings(db.session.get(Business, business_id)).whatsapp_agent or "off"
    return {"customer_id": customer_id, "handler": row.handler if row else "agent",
            "handed_over_at": iso(row.handed_over_at) if row else None,
            "handed_over_reason": row.handed_over_reason if row else None,
            "agent_setting": mode}


def get_conversation(business_id: int, customer_id: int) -> dict:
    _customer(business_id, customer_id)
    row = db.session.scalar(select(Conversation).where(
        Conversation.business_id == business_id, Conversation.customer_id == customer_id,
        Conversation.channel == "whatsapp"))
    return conversation_dict(row, business_id, customer_id)


def set_handler(business_id: int, customer_id: int, handler: str, reason: str = "staff",
                now: datetime | None = None) -> dict:
    """Hand the conversation to people ("staff") or back to the agent ("agent"); audited."""
    _customer(business_id, customer_id)
    row = conversation_for(business_id, customer_id)
    if row.handler != handler:
        row.handler = handler
        row.handed_over_at = (now or utcnow()) if handler == "staff" else None
        row.handed_over_reason = reason if handler == "staff" else None
        if handler == "agent":
            row.dialog = {}  # a fresh start: no half-made booking from before the hand-over
        audit.record("update", "conversation", row.id, business_id=business_id,
                     details={"customer_id": customer_id, "handler": handler, "reason": reason})
    db.session.commit()
    out = conversation_dict(row, business_id, customer_id)
    realtime.publish(business_id, "whatsapp.conversation", out)
    return out


def staff_replied(business_id: int, to: str) -> None:
    """A person wrote to the customer by hand: the agent leaves the conversation to them."""
    from server.services.customers.crud import find_customer_by_phone
    customer = find_customer_by_phone(business_id, to)
    if customer is None:
        return
    mode = business_settings(db.session.get(Business, business_id)).whatsapp_agent or "off"
    row = db.session.scalar(select(Conversation).where(
        Conversation.business_id == business_id, Conversation.customer_id == customer.id,
        Conversation.channel == "whatsapp"))
    if mode == "off" and row is None:
        return  # no agent, nothing to hand over
    if row is None or row.handler != "staff":
        set_handler(business_id, customer.id, "staff", reason="staff")


def _customer(business_id: int, customer_id: int) -> Customer:
    customer = db.session.get(Customer, customer_id)
    if customer is None or customer.business_id != business_id:
        raise NotFound("customer not found")
    return customer


# ---- the job ---------------------------------------------------------------------------

def claim(message_id: int, now: datetime) -> bool:
    """pending → answering, or take over an answer whose job died (its lease ran out)."""
    result = db.session.execute(
        update(WhatsAppMsg)
        .where(WhatsAppMsg.id == message_id, WhatsAppMsg.direction == "inbound",
               or_(WhatsAppMsg.agent_status == "pending",
                   (WhatsAppMsg.agent_status == "answering") & (WhatsAppMsg.agent_claimed_at < now - LEASE)))
        .values(agent_status="answering", agent_claimed_at=now)
        .execution_options(synchronize_session=False))
    db.session.commit()
    return result.rowcount == 1


def answer_inbound(message_id: int, now: datetime | None = None) -> str:
    """Answer one inbound message (see the module docstring). Returns the outcome:
    "answered", "skipped:<why>", or "busy" (another job has it, or it is done)."""
    now = now or utcnow()
    if not claim(message_id, now):
        return "busy"
    msg = db.session.get(WhatsAppMsg, message_id)
    db.session.refresh(msg)
    if msg.created_at < now - ANSWER_WITHIN:
        return _finish(msg, "skipped", "expired")
    for name, hook in inbound_hooks():
        if hook(msg):
            return _finish(msg, "skipped", f"handled:{name}")
    business = db.session.get(Business, msg.business_id)
    customer = db.session.get(Customer, msg.customer_id) if msg.customer_id else None
    if business is None or customer is None or customer.business_id != business.id:
        return _finish(msg, "skipped", "no customer")
    settings = business_settings(business)
    mode = settings.whatsapp_agent or "off"
    if mode == "off":
        return _left_to_staff(msg, "agent off")
    if mode == "outside_hours":
        from server.services.voice.context import open_now
        if open_now(settings.hours_value, now):
            return _finish(msg, "skipped", "open hours")
    conversation = conversation_for(business.id, customer.id)
    if conversation.handler == "staff":
        return _left_to_staff(msg, "staff")
    text = (msg.body or "").strip()
    if ASKS_FOR_PERSON.search(text):
        _reply(msg, customer, HANDOVER_TEXT, {"intents": ["person"], "provider": "offline"})
        set_handler(business.id, customer.id, "staff", reason="customer", now=now)
        return _finish(msg, "answered", "handed over")
    ctx = whatsapp_context(business, customer, conversation, msg, now)
    reply, provider, fallback = _generate(text, ctx, settings)
    done = _apply_actions(msg, reply.actions)
    tool_calls = list(reply.tool_calls)
    conversation.dialog = dict(ctx.dialog)
    agent = {"intents": list(reply.intents), "provider": provider}
    sources = [c["result"]["source"] for c in tool_calls
               if c.get("name") == "search_knowledge" and (c.get("result") or {}).get("source")]
    if sources:
        agent["source"] = sources[-1]
    if fallback:
        agent["fallback"] = fallback
    if done:
        agent["actions"] = done
    booked = [c for c in tool_calls if c.get("name") in ("book", "move", "cancel")]
    if booked:
        agent["appointments"] = [{"action": c["name"], "ok": bool((c.get("result") or {}).get("ok"))} for c in booked]
    _reply(msg, customer, reply.text, agent)
    return _finish(msg, "answered", None)


def whatsapp_context(business: Business, customer: Customer, conversation: Conversation, msg: WhatsAppMsg,
                     now: datetime) -> CallerContext:
    """What the agent knows when it answers this message: the customer's records (the
    WhatsApp sender is verified by WhatsApp itself, so nothing is withheld), the earlier
    messages, and the desk (appointments, prices, knowledge) of this customer only."""
    from server.services.reception.desk import FrontDesk
    from server.services.voice.context import customer_records, hours_text, open_now
    settings = business_settings(business)
    history = _history(msg)
    ctx = CallerContext(business_name=business.name, agent_name=settings.agent_name,
                        instructions=settings.agent_instructions, hours=hours_text(settings.hours_value),
                        open_now=open_now(settings.hours_value, now), can_take_callback=True,
                        first_turn=not history, history=history, customer_name=customer.name,
                        known_customer=customer.source != "whatsapp" or bool(history), channel="whatsapp")
    ctx.dialog = dict(conversation.dialog or {})
    ctx.desk = FrontDesk(business.id, customer.id, "whatsapp", ctx.dialog, now=now)
    customer_records(ctx, customer)
    return ctx


def _history(msg: WhatsAppMsg) -> list[dict]:
    """The conversation's recent exchanges before this message ([{"caller","agent"}])."""
    rows = db.session.scalars(
        select(WhatsAppMsg).where(WhatsAppMsg.business_id == msg.business_id,
                                  WhatsAppMsg.customer_id == msg.customer_id, WhatsAppMsg.id != msg.id,
                                  WhatsAppMsg.created_at >= msg.created_at - NEW_CHAT_AFTER,
                                  WhatsAppMsg.created_at <= msg.created_at)
        .order_by(WhatsAppMsg.created_at.desc(), WhatsAppMsg.id.desc()).limit(HISTORY_MESSAGES)).all()
    history: list[dict] = []
    for row in reversed(rows):
        text = (row.body or "").strip()
        if not text:
            continue
        if row.direction == "inbound":
            history.append({"caller": text, "agent": ""})
        elif history and not history[-1]["agent"]:
            history[-1]["agent"] = text
        else:
            history.append({"caller": "", "agent": text})
    return history


def _generate(text: str, ctx: CallerContext, settings) -> tuple[ReplyResult, str, str | None]:
    """The configured reply provider's answer; the offline receptionist when it fails."""
    from server.providers.errors import ProviderError
    from server.providers.reply import get_reply
    from server.services.reception import answer_offline
    from server.services.voice.pipeline import provider_names
    config = current()
    name = provider_names(config, settings)["reply"]
    if name != "offline":
        try:
            return get_reply(config, name).reply(text, ctx), name, None
        except ProviderError as exc:
            log.warning("whatsapp agent: reply provider %s fell back to offline (%s)", name, exc.reason)
            fallback = f"{name}: {exc.reason}"
        except Exception as exc:  # noqa: BLE001 - a provider bug must not leave the customer unanswered
            log.exception("whatsapp agent: reply provider %s crashed", name)
            fallback = f"{name}: {exc.__class__.__name__}"
        return answer_offline(text, ctx), "offline", fallback
    return answer_offline(text, ctx), "offline", None


def _apply_actions(msg: WhatsAppMsg, actions: list[dict]) -> list[dict]:
    done = []
    for action in actions:
        if action.get("type") == "callback":
            note = (action.get("note") or "").strip()
            task = Task(business_id=msg.business_id, customer_id=msg.customer_id, title="לחזור ללקוח שביקש חזרה",
                        description=f"בקשה מוואטסאפ: {note}" if note else None, status="open", source="whatsapp")
            db.session.add(task)
            db.session.flush()
            done.append({"type": "callback", "task_id": task.id})
    return done


def _reply(msg: WhatsAppMsg, customer: Customer, text: str, agent: dict) -> None:
    from server.services.whatsapp import queue_message
    db.session.commit()  # the dialogue state and any task first: the reply says they exist
    queue_message(msg.business_id, to=msg.from_number or customer.phone, text=text[:4096],
                  idempotency_key=f"agent-{msg.id}", flags={"agent": agent})


def _finish(msg: WhatsAppMsg, status: str, why: str | None) -> str:
    msg.agent_status = status
    msg.agent_claimed_at = None
    if why and why != "agent off":  # off is the business's choice, not news on every message
        msg.flags = {**(msg.flags or {}), "agent_skipped" if status == "skipped" else "agent_note": why}
        log.info("whatsapp %s: the agent %s (%s)", msg.id, status, why)
    db.session.commit()
    return status if not why or status == "answered" else f"{status}:{why}"


def due_answers(now: datetime | None = None) -> list[int]:
    """Messages whose answer job was lost (still pending after a moment, or answering past
    the lease); those too old to answer are marked skipped here."""
    now = now or utcnow()
    stale = db.session.scalars(select(WhatsAppMsg.id).where(
        WhatsAppMsg.agent_status.in_(("pending", "answering")),
        WhatsAppMsg.created_at < now - ANSWER_WITHIN)).all()
    if stale:
        db.session.execute(update(WhatsAppMsg).where(WhatsAppMsg.id.in_(stale))
                           .values(agent_status="skipped", agent_claimed_at=None)
                           .execution_options(synchronize_session=False))
        db.session.commit()
        log.warning("whatsapp agent: %d message(s) were never answered in time and are left to staff", len(stale))
    return list(db.session.scalars(select(WhatsAppMsg.id).where(
        or_((WhatsAppMsg.agent_status == "pending") & (WhatsAppMsg.created_at < now - timedelta(seconds=30)),
            (WhatsAppMsg.agent_status == "answering") & (WhatsAppMsg.agent_claimed_at < now - LEASE)))
        .order_by(WhatsAppMsg.id).limit(500)))
