"""A call's short Hebrew summary and the caller's intent, stored on the CallLog when it ends.

Offline: built from the intents the responder recognised on each turn. Cloud (the
business's reply provider is openai): the model summarises the transcript; any error
falls back to the offline summary and the fallback is kept in call.state.
"""
from __future__ import annotations

import logging
from collections import Counter

from server.config import current
from server.extensions import db
from server.models import CallLog
from server.providers.errors import ProviderError
from server.services.realtime import publish
from server.services.voice.calls import business_settings
from server.services.voice.pipeline import provider_names

log = logging.getLogger(__name__)

INTENT_LABELS = {
    "order_status": "סטטוס הזמנה", "invoice_status": "חשבונית", "task_status": "סטטוס פנייה",
    "general_status": "בירור סטטוס", "callback": "בקשת חזרה", "hours": "שעות פעילות",
    "human": "שיחה עם נציג", "transfer": "העברה לנציג",
}
# Intents that say nothing about why the caller called.
NOISE = {"greeting", "goodbye", "unknown"}


def offline_summary(call: CallLog) -> tuple[str, str]:
    intents = [i for t in call.turns for i in (t.intents or []) if i not in NOISE and i in INTENT_LABELS]
    state = call.state or {}
    answered = [t for t in call.turns if t.transcript]
    if not intents:
        intent = "unknown" if answered else "no_request"
        text = "שיחה ללא בקשה מזוהה." if answered else "שיחה ללא הקלטה מובנת."
    else:
        counts = Counter(intents)
        intent = max(counts, key=lambda i: (counts[i], -intents.index(i)))
        topics = list(dict.fromkeys(INTENT_LABELS[i] for i in intents))
        text = f"המתקשר פנה בנושא: {', '.join(topics)}."
    tasks = sum(1 for t in call.turns for c in (t.tool_calls or []) if c.get("name") == "create_callback_task")
    if tasks or state.get("transfer_tasks"):
        text += " נרשמה בקשה לחזור אליו."
    transfer = state.get("transfer")
    if transfer == "answered":
        text += " השיחה הועברה לנציג."
    elif transfer == "unanswered":
        text += " ההעברה לנציג לא נענתה" + (" והמתקשר השאיר הודעה." if state.get("message") else ".")
    turns = len(call.turns)
    text += f" ({turns} {'תורות' if turns != 1 else 'תור'} בשיחה.)"
    return text, intent


def summarize_call(call_id: int) -> dict | None:
    """Idempotent per number of turns: a second trigger (status callback after a farewell)
    with nothing new keeps the stored summary."""
    call = db.session.get(CallLog, call_id)
    if call is None:
        return None
    state = dict(call.state or {})
    turns = len(call.turns)
    if call.summary and state.get("summary_turns") == turns and state.get("summary_transfer") == state.get("transfer"):
        return {"summary": call.summary, "intent": call.intent}
    config = current()
    summary, intent = offline_summary(call)
    provider, fallback = "offline", None
    names = provider_names(config, business_settings(call))
    if names["reply"] == "openai" and any(t.transcript for t in call.turns):
        from server.providers.reply.openai import OpenAIReply
        try:
            cloud = OpenAIReply.from_config(config).summarize(
                [{"caller": t.transcript or "", "agent": t.reply or ""} for t in call.turns if t.transcript])
            summary, intent, provider = cloud["summary"], cloud["intent"], "openai"
        except ProviderError as exc:
            fallback = {"stage": "summary", "reason": exc.reason}
            log.warning("call %s: summary fell back to offline (%s)", call.call_sid, exc.reason)
    call.summary = summary[:2000]
    call.intent = (intent or "unknown")[:64]
    state.update(summary_turns=turns, summary_provider=provider, summary_transfer=state.get("transfer"))
    if fallback:
        state["summary_fallback"] = fallback
    else:
        state.pop("summary_fallback", None)
    call.state = state
    db.session.commit()
    publish(call.business_id, "call.updated", call.to_dict())
    return {"summary": call.summary, "intent": call.intent, "provider": provider}
