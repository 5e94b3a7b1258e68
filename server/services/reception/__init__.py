"""The receptionist: what the agent does beyond the caller's CRM record — appointments and
prices (dialogue.py), the business's knowledge — on the phone and on WhatsApp alike.

`answer_offline(transcript, ctx)` is the offline agent's whole turn: the booking dialogue
first, then the CRM responder (orders, invoices, hours, a callback), and, when that does not
know, the business's knowledge base; honest when nothing matches, with a callback offered.
With OpenAI the model calls the same desk through tools (providers/reply/openai.py).
"""
from __future__ import annotations

import re

from server.providers.reply import CallerContext, ReplyResult
from server.providers.reply.offline import OfflineResponder
from server.services.reception import dialogue

# A passage said on the phone: its first sentences up to this length (WhatsApp gets more).
SPOKEN_PASSAGE_CHARS = 260
WRITTEN_PASSAGE_CHARS = 700
NOT_KNOWN = "את זה אני לא יודע בוודאות. רוצה שאבקש שנציג יחזור אלייך?"


def condense(passage: str, limit: int) -> str:
    """Whole sentences from the start of the passage, within `limit` characters."""
    text = re.sub(r"\s+", " ", passage or "").strip()
    if len(text) <= limit:
        return text
    sentences = re.split(r"(?<=[.!?])\s+", text)
    kept = ""
    for sentence in sentences:
        if len(kept) + len(sentence) + 1 > limit:
            break
        kept = f"{kept} {sentence}".strip()
    return kept or text[:limit].rsplit(" ", 1)[0] + "…"


def knowledge_reply(transcript: str, ctx: CallerContext, crm: ReplyResult) -> ReplyResult | None:
    """The CRM responder did not know: answer from the business's knowledge, or say so."""
    found = ctx.desk.search_knowledge(transcript) if ctx.desk is not None else None
    hello = dialogue.greeting(ctx)
    lead = f"{hello} " if hello else ""
    if found is not None and found["confident"]:
        limit = WRITTEN_PASSAGE_CHARS if ctx.channel == "whatsapp" else SPOKEN_PASSAGE_CHARS
        source = {"kind": found["kind"], "id": found["source_id"], "title": found["title"]}
        return ReplyResult(text=lead + condense(found["passage"], limit), provider="offline",
                           intents=[i for i in crm.intents if i != "unknown"] + ["knowledge"],
                           tool_calls=[{"name": "search_knowledge", "arguments": {"question": transcript},
                                        "result": {"source": source}}])
    if not ctx.can_take_callback:
        return None
    ctx.dialog.update(step="offer_callback", callback_note=transcript[:500])
    return ReplyResult(text=lead + NOT_KNOWN, provider="offline", intents=crm.intents,
                       tool_calls=[{"name": "search_knowledge", "arguments": {"question": transcript},
                                    "result": {"source": None}}])


def answer_offline(transcript: str, ctx: CallerContext) -> ReplyResult:
    """The offline agent's turn (see the module docstring)."""
    booked = dialogue.handle(transcript, ctx)
    if booked is not None:
        return booked
    crm = OfflineResponder().reply(transcript, ctx)
    if ctx.desk is None:
        return crm
    if "unknown" in crm.intents:
        return knowledge_reply(transcript, ctx, crm) or crm
    if _nothing_on_record(crm.intents, ctx):
        # "אתם עושים משלוחים?" sounds like an order question to the CRM rules; with no order on
        # record, what the business wrote about deliveries is the better answer.
        found = knowledge_reply(transcript, ctx, crm)
        if found is not None and "knowledge" in found.intents:
            return found
        ctx.dialog.pop("step", None)
        ctx.dialog.pop("callback_note", None)
    return crm


RECORD_INTENTS = {"order_status": ("tasks", "contracts"), "general_status": ("tasks", "contracts"),
                  "task_status": ("tasks",), "invoice_status": ("invoices",)}


def _nothing_on_record(intents: list[str], ctx: CallerContext) -> bool:
    """Only record questions, and no record of those kinds for this caller (nor withheld)."""
    asked = [i for i in intents if i not in ("greeting",)]
    if not asked or any(i not in RECORD_INTENTS for i in asked) or ctx.withheld:
        return False
    return not any(getattr(ctx, kind) for i in asked for kind in RECORD_INTENTS[i])


def wants_desk(transcript: str, ctx: CallerContext) -> bool:
    """Whether a turn is the desk's (a dialogue under way, or appointment/price words): a
    streamed cloud reply then takes the one-shot path that can call the desk's tools."""
    if ctx.desk is None:
        return False
    if ctx.dialog.get("step"):
        return True
    from server.services.appointments import catalog
    said = dialogue.Said.of(transcript)
    return bool(catalog.asks_about(transcript)) or said.has(*dialogue.CANCEL_WORDS, *dialogue.MOVE_WORDS)
