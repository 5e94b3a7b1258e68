"""OpenAI chat completions as the agent's reply, grounded in the caller's CRM record.

The offline responder's intent rules still run on the transcript so the call keeps its
recognised intents (and a callback request still becomes a task) whoever phrased the answer.
"""
from __future__ import annotations

import json

import requests

from server.providers.errors import ProviderError
from server.providers.http import describe_http_error
from server.providers.reply import CallerContext, ReplyResult
from server.providers.reply.offline import detect_intents

SYSTEM_PROMPT = (
    "את/ה נציג/ה טלפוני/ת של העסק \"{business}\". עני/ה בעברית בלבד, במשפט אחד או שניים קצרים, "
    "כי התשובה מוקראת בטלפון. השתמש/י רק בנתונים שלמטה; אם אין תשובה בנתונים, אמור/י ביושר שאינך יודע/ת "
    "והצע/י שנציג יחזור. אל תמציא/י פרטים.\n"
    "נתוני הלקוח והעסק (JSON):\n{data}"
)


def context_json(ctx: CallerContext) -> str:
    data = {
        "business": ctx.business_name, "agent_name": ctx.agent_name, "hours": ctx.hours, "open_now": ctx.open_now,
        "caller": {"name": ctx.customer_name if ctx.known_customer else None, "known": ctx.known_customer},
        "tasks": ctx.tasks, "invoices": ctx.invoices, "contracts": ctx.contracts,
        "can_take_callback": ctx.can_take_callback,
    }
    return json.dumps(data, ensure_ascii=False)


class OpenAIReply:
    name = "openai"

    def __init__(self, config: dict):
        self.api_key = config.get("OPENAI_API_KEY")
        self.base_url = (config.get("OPENAI_BASE_URL") or "https://api.openai.com/v1").rstrip("/")
        self.model = config.get("OPENAI_CHAT_MODEL") or "gpt-4o-mini"
        self.timeout = float(config.get("PROVIDER_TIMEOUT") or 10)

    def messages(self, transcript: str, ctx: CallerContext) -> list[dict]:
        messages = [{"role": "system", "content": SYSTEM_PROMPT.format(
            business=ctx.business_name or "", data=context_json(ctx))}]
        for turn in ctx.history:
            messages.append({"role": "user", "content": turn.get("caller") or ""})
            messages.append({"role": "assistant", "content": turn.get("agent") or ""})
        messages.append({"role": "user", "content": transcript})
        return messages

    def reply(self, transcript: str, ctx: CallerContext) -> ReplyResult:
        if not self.api_key:
            raise ProviderError(self.name, "OPENAI_API_KEY is not set")
        body = {"model": self.model, "messages": self.messages(transcript, ctx), "temperature": 0.2, "max_tokens": 200}
        try:
            response = requests.post(f"{self.base_url}/chat/completions", json=body,
                                     headers={"Authorization": f"Bearer {self.api_key}"}, timeout=self.timeout)
            response.raise_for_status()
            text = response.json()["choices"][0]["message"]["content"]
        except (requests.RequestException, ValueError, KeyError, IndexError, TypeError) as exc:
            raise ProviderError(self.name, describe_http_error(exc)) from exc
        if not isinstance(text, str) or not text.strip():
            raise ProviderError(self.name, "empty reply")
        intents = detect_intents(transcript)
        actions = [{"type": "callback", "note": transcript}] if (
            ctx.can_take_callback and ("callback" in intents or "human" in intents)) else []
        return ReplyResult(text=text.strip(), provider=self.name, intents=intents, actions=actions)
