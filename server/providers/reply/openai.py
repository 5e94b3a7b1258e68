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


WRITTEN_PROMPT = (
    "את/ה נציג/ה של העסק \"{business}\" בוואטסאפ. עני/ה בעברית בלבד, בקצרה ובחום, כמו הודעה בוואטסאפ. "
    "השתמש/י רק בנתונים שלמטה ובכלים; אם אין תשובה, אמור/י ביושר שאינך יודע/ת והצע/י שנציג יחזור. "
    "אל תמציא/י פרטים.\n"
    "נתוני הלקוח והעסק (JSON):\n{data}"
)
DESK_RULES = (
    "\nתורים ומחירים: מחירים ומשכי זמן רק מ-list_services. מועדים פנויים רק מ-find_slots (now הוא הזמן "
    "הנוכחי בישראל). הצע/י ללקוח מועד שקיבלת מ-find_slots ושאל/י אם לקבוע; קרא/י ל-book, move או cancel "
    "עם caller_confirmed=true רק אחרי שהלקוח אמר במפורש כן למועד הזה. אם book מחזיר slot taken, הצע/י את "
    "next_slots. לשאלות על העסק (חניה, מדיניות, מוצרים) השתמש/י ב-search_knowledge וענה/י רק ממה שנמצא."
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
    if ctx.desk is not None:
        data["now"] = ctx.desk.now.isoformat()
        data["channel"] = ctx.channel
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

def _function(name: str, description: str, properties: dict | None = None, required: tuple = ()) -> dict:
    return {"type": "function", "function": {"name": name, "description": description, "parameters": {
        "type": "object", "properties": properties or {}, "required": list(required), "additionalProperties": False}}}


_WHEN = {"type": "string", "description": "ISO 8601 עם אזור זמן, למשל 2026-12-10T10:00:00+02:00"}
_CONFIRMED = {"type": "boolean", "description": "true רק אם הלקוח אמר במפורש כן למועד הזה"}
# The receptionist's desk (providers.reply.Desk): appointments and prices only when the
# business keeps a price list; knowledge whenever there is a desk.
DESK_TOOLS = [
    _function("list_services", "המחירון: שירותים, משך בדקות ומחיר באגורות."),
    _function("find_slots", "מועדים פנויים לשירות בין שני זמנים (עד 3 ברירת מחדל).", {
        "service_id": {"type": "integer"}, "from": _WHEN, "to": _WHEN,
        "staff_id": {"type": ["integer", "null"]}, "limit": {"type": "integer", "minimum": 1, "maximum": 10}},
        ("service_id", "from", "to")),
    _function("next_appointment", "התור הקרוב של הלקוח, אם יש."),
    _function("book", "קביעת תור במועד שהוצע מ-find_slots, אחרי כן מפורש של הלקוח.", {
        "service_id": {"type": "integer"}, "start": _WHEN, "staff_id": {"type": ["integer", "null"]},
        "caller_confirmed": _CONFIRMED}, ("service_id", "start", "caller_confirmed")),
    _function("move", "הזזת התור של הלקוח למועד שהוצע, אחרי כן מפורש.", {
        "appointment_id": {"type": "integer"}, "start": _WHEN, "staff_id": {"type": ["integer", "null"]},
        "caller_confirmed": _CONFIRMED}, ("appointment_id", "start", "caller_confirmed")),
    _function("cancel", "ביטול התור של הלקוח, אחרי כן מפורש.", {
        "appointment_id": {"type": "integer"}, "caller_confirmed": _CONFIRMED},
        ("appointment_id", "caller_confirmed")),
]
KNOWLEDGE_TOOL = _function("search_knowledge", "חיפוש במאגר הידע של העסק (כתובת, חניה, מדיניות, מוצרים).", {
    "question": {"type": "string"}}, ("question",))
DESK_TOOL_NAMES = {t["function"]["name"] for t in DESK_TOOLS} | {"search_knowledge"}
MAX_TOOL_ROUNDS = 4


def _moment(value, end_of_day: bool = False):
    """An ISO 8601 time with an offset, or a date (a whole Israel day); None otherwise."""
    from datetime import date, datetime, time, timedelta
    from zoneinfo import ZoneInfo
    text = str(value or "").strip()
    try:
        if len(text) == 10:
            day = date.fromisoformat(text) + (timedelta(days=1) if end_of_day else timedelta())
            return datetime.combine(day, time(), tzinfo=ZoneInfo("Asia/Jerusalem"))
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo else None


def run_desk_tool(desk, name: str, arguments: dict) -> object:
    """One desk tool call; the desk itself enforces offered slots, the yes and the customer."""
    def whole(key):
        value = arguments.get(key)
        return value if isinstance(value, int) and not isinstance(value, bool) else None
    if name == "list_services":
        return desk.services()
    if name == "next_appointment":
        return desk.next_appointment() or "no upcoming appointment"
    if name == "find_slots":
        start, end = _moment(arguments.get("from")), _moment(arguments.get("to"), end_of_day=True)
        if whole("service_id") is None or start is None or end is None:
            return "service_id, from and to (ISO 8601 with an offset) are required"
        limit = min(max(whole("limit") or 3, 1), 10)
        slots = desk.find_slots(whole("service_id"), start, end, staff_id=whole("staff_id"), limit=limit)
        desk.offer(slots)
        return slots or "no free slot in this window"
    confirmed = arguments.get("caller_confirmed") is True
    if name == "book":
        return desk.book(whole("service_id"), _moment(arguments.get("start")), whole("staff_id"), confirmed)
    if name == "move":
        return desk.move(whole("appointment_id"), _moment(arguments.get("start")), whole("staff_id"), confirmed)
    if name == "cancel":
        return desk.cancel(whole("appointment_id"), confirmed)
    if name == "search_knowledge":
        found = desk.search_knowledge(str(arguments.get("question") or "")[:500])
        if found is None or not found["confident"]:
            return {"found": False, "source": None}
        return {"found": True, "title": found["title"], "passage": found["passage"],
                "source": {"kind": found["kind"], "id": found["source_id"], "title": found["title"]}}
    return f"unknown tool {name}"

SUMMARY_PROMPT = (
    "סכם/י את שיחת הטלפון הבאה בין לקוח לנציג במשפט אחד או שניים בעברית, וקבע/י את כוונת הלקוח העיקרית "
    "כמילה אחת באנגלית מתוך: order_status, invoice_status, task_status, callback, hours, human, other. "
    "החזר/י JSON בלבד: {\"summary\": \"...\", \"intent\": \"...\"}"
)


def _kept(name: str, result: object) -> object:
    """What the turn keeps of a tool's result: a knowledge answer keeps its source (the call
    log's "ענה מתוך"), as the offline agent's does; the rest as the model saw it."""
    if name != "search_knowledge" or not isinstance(result, dict):
        return result
    return {"source": result.get("source")}


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
        prompt = WRITTEN_PROMPT if ctx.channel == "whatsapp" else SYSTEM_PROMPT
        system = prompt.format(business=ctx.business_name or "", data=context_json(ctx))
        if ctx.desk is not None:
            system += DESK_RULES
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
    def tools(ctx: CallerContext) -> list[dict]:
        if ctx.desk is None:
            return TOOLS
        booking = DESK_TOOLS if ctx.desk.services() else []
        return TOOLS + booking + [KNOWLEDGE_TOOL]

    @staticmethod
    def _run_tool(name: str, arguments: dict, transcript: str, ctx: CallerContext, actions: list) -> object:
        if name in DESK_TOOL_NAMES:
            return run_desk_tool(ctx.desk, name, arguments) if ctx.desk is not None else f"unknown tool {name}"
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
        tools = self.tools(ctx)
        max_tokens = 350 if ctx.channel == "whatsapp" else 200
        for _ in range(MAX_TOOL_ROUNDS + 1):
            body = {"model": self.model, "messages": messages, "temperature": 0.2, "max_tokens": max_tokens,
                    "tools": tools, "tool_choice": "auto"}
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
                    tool_calls.append({"name": name, "arguments": arguments, "result": _kept(name, result)})
                messages.append({"role": "tool", "tool_call_id": call.get("id") or name,
                                 "content": json.dumps(result, ensure_ascii=False)})
        if not isinstance(text, str) or not text.strip():
            raise ProviderError(self.name, "empty reply")
        intents = detect_intents(transcript)
        used = {call["name"] for call in tool_calls}
        for tool, intent in (("list_services", "price"), ("find_slots", "booking"), ("book", "booking"),
                             ("move", "booking"), ("cancel", "booking"), ("search_knowledge", "knowledge")):
            if tool in used and intent not in intents:
                intents.append(intent)
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
