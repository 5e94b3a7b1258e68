"""OpenAI chat completions as the agent's reply, grounded in the caller's CRM record.

The offline responder's intent rules still run on the transcript so the call keeps its
recognised intents (and a callback request still becomes a task) whoever phrased the answer.
"""
from __future__ import annotations

import json

import requests

from server.config import AgentConfig, KesherConfig, OpenAIConfig
from server.providers.configured import Configured
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
    if ctx.withheld:
        # The records are not in this context at all (caller_verification); the model is only
        # told why, so it asks for the digits instead of saying there is nothing.
        from server.providers.reply.offline import verification_prompt
        data["withheld_until_verified"] = ctx.withheld
        data["verification"] = {"status": ctx.verification, "say": verification_prompt(ctx.verification, ctx.withheld)}
    if ctx.just_verified:
        data["just_verified"] = ctx.just_verified
    return json.dumps(data, ensure_ascii=False)


# Function-calling tools over the caller's CRM record. The record is already in the
# CallerContext (plain data, loaded by the voice service), so looking something up needs
# no database here; creating a callback task is an action the service carries out.
TOOLS = [
    {"type": "function", "function": {
        "name": "get_open_tasks", "description": "המשימות והפניות הפתוחות של המתקשר (הזמנות, תיקונים).",
        "parameters": {"type": "object", "properties": {}, "additionalProperties": False}}},
    {"type": "function", "function": {
        "name": "get_invoices", "description": "החשבוניות האחרונות של המתקשר: מספר, סכום, סטטוס ומועד תשלום.",
        "parameters": {"type": "object", "properties": {}, "additionalProperties": False}}},
    {"type": "function", "function": {
        "name": "get_contracts", "description": "ההסכמים של המתקשר והסטטוס שלהם.",
        "parameters": {"type": "object", "properties": {}, "additionalProperties": False}}},
    {"type": "function", "function": {
        "name": "create_callback_task", "description": "רישום בקשה שנציג יחזור למתקשר.",
        "parameters": {"type": "object", "properties": {
            "note": {"type": "string", "description": "מה המתקשר ביקש, בקצרה"}},
            "required": ["note"], "additionalProperties": False}}},
]
MAX_TOOL_ROUNDS = 3

SUMMARY_PROMPT = (
    "סכם/י את שיחת הטלפון הבאה בין לקוח לנציג במשפט אחד או שניים בעברית, וקבע/י את כוונת הלקוח העיקרית "
    "כמילה אחת באנגלית מתוך: order_status, invoice_status, task_status, callback, hours, human, other. "
    "החזר/י JSON בלבד: {\"summary\": \"...\", \"intent\": \"...\"}"
)


class OpenAIReply(Configured):
    name = "openai"

    @classmethod
    def config_groups(cls, config: KesherConfig) -> tuple:
        return (config.openai, config.agent)

    def __init__(self, openai: OpenAIConfig, agent: AgentConfig):
        self.api_key = openai.api_key
        self.base_url = openai.base_url
        self.model = openai.chat_model
        self.timeout = float(agent.provider_timeout)

    def messages(self, transcript: str, ctx: CallerContext) -> list[dict]:
        system = SYSTEM_PROMPT.format(business=ctx.business_name or "", data=context_json(ctx))
        if ctx.withheld:
            system += ("\nחלק מנתוני הלקוח (withheld_until_verified) נמסרים רק אחרי אימות זהות. "
                       "אם המתקשר שואל עליהם, אמור/י את verification.say במילים טבעיות; אל תאמר/י שאין נתונים.")
        if ctx.instructions:
            system += "\nהנחיות העסק:\n" + ctx.instructions
        if ctx.agent_name:
            system += f"\nשמך: {ctx.agent_name}."
        messages = [{"role": "system", "content": system}]
        for turn in ctx.history:
            messages.append({"role": "user", "content": turn.get("caller") or ""})
            messages.append({"role": "assistant", "content": turn.get("agent") or ""})
        messages.append({"role": "user", "content": transcript})
        return messages

    def _post(self, body: dict) -> dict:
        if not self.api_key:
            raise ProviderError(self.name, "OPENAI_API_KEY is not set")
        try:
            response = requests.post(f"{self.base_url}/chat/completions", json=body,
                                     headers={"Authorization": f"Bearer {self.api_key}"}, timeout=self.timeout)
            response.raise_for_status()
            message = response.json()["choices"][0]["message"]
            if not isinstance(message, dict):
                raise TypeError("message")
            return message
        except (requests.RequestException, ValueError, KeyError, IndexError, TypeError) as exc:
            raise ProviderError(self.name, describe_http_error(exc)) from exc

    @staticmethod
    def _run_tool(name: str, arguments: dict, transcript: str, ctx: CallerContext, actions: list) -> object:
        withheld = {"get_open_tasks": "tasks", "get_invoices": "invoices", "get_contracts": "contracts"}.get(name)
        if withheld in ctx.withheld:
            return "verification required: ask for the last 4 digits of the ID number"
        if name == "get_open_tasks":
            return [t for t in ctx.tasks if t.get("status") == "open"] if ctx.known_customer else "unknown caller"
        if name == "get_invoices":
            return ctx.invoices if ctx.known_customer else "unknown caller"
        if name == "get_contracts":
            return ctx.contracts if ctx.known_customer else "unknown caller"
        if name == "create_callback_task":
            if not ctx.can_take_callback:
                return "not possible in this call"
            if not any(a.get("type") == "callback" for a in actions):
                actions.append({"type": "callback", "note": str(arguments.get("note") or transcript)[:500]})
            return "created"
        return f"unknown tool {name}"

    def reply(self, transcript: str, ctx: CallerContext) -> ReplyResult:
        messages = self.messages(transcript, ctx)
        actions: list[dict] = []
        tool_calls: list[dict] = []
        text = None
        for _ in range(MAX_TOOL_ROUNDS + 1):
            body = {"model": self.model, "messages": messages, "temperature": 0.2, "max_tokens": 200,
                    "tools": TOOLS, "tool_choice": "auto"}
            message = self._post(body)
            calls = message.get("tool_calls") or []
            if not calls:
                text = message.get("content")
                break
            messages.append({"role": "assistant", "content": message.get("content"), "tool_calls": calls})
            for call in calls:
                try:
                    name = call["function"]["name"]
                    arguments = json.loads(call["function"].get("arguments") or "{}")
                    if not isinstance(arguments, dict):
                        raise ValueError("arguments")
                except (KeyError, TypeError, ValueError) as exc:
                    raise ProviderError(self.name, "invalid tool call") from exc
                result = self._run_tool(name, arguments, transcript, ctx, actions)
                if name != "create_callback_task":  # the service records the task it creates
                    tool_calls.append({"name": name, "arguments": arguments, "result": result})
                messages.append({"role": "tool", "tool_call_id": call.get("id") or name,
                                 "content": json.dumps(result, ensure_ascii=False)})
        if not isinstance(text, str) or not text.strip():
            raise ProviderError(self.name, "empty reply")
        intents = detect_intents(transcript)
        if not actions and ctx.can_take_callback and ("callback" in intents or "human" in intents):
            actions = [{"type": "callback", "note": transcript}]
        return ReplyResult(text=text.strip(), provider=self.name, intents=intents, actions=actions,
                           tool_calls=tool_calls)

    def summarize(self, history: list[dict]) -> dict:
        """{"summary": Hebrew text, "intent": one word} for a finished call."""
        lines = "\n".join(f"לקוח: {t['caller']}\nנציג: {t['agent']}" for t in history)
        message = self._post({"model": self.model, "temperature": 0, "max_tokens": 200,
                              "response_format": {"type": "json_object"},
                              "messages": [{"role": "system", "content": SUMMARY_PROMPT},
                                           {"role": "user", "content": lines}]})
        try:
            data = json.loads(message.get("content") or "")
            summary, intent = data["summary"], data.get("intent") or "other"
            if not isinstance(summary, str) or not summary.strip() or not isinstance(intent, str):
                raise ValueError("summary")
        except (ValueError, KeyError, TypeError) as exc:
            raise ProviderError(self.name, "invalid summary") from exc
        return {"summary": summary.strip(), "intent": intent.strip()[:64]}
