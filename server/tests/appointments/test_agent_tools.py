"""Issue 18: with OPENAI_API_KEY the agent books through tools (list_services, find_slots,
book, move, cancel, next_appointment, search_knowledge) — against a local server that speaks
OpenAI's chat completions, with the real desk and database behind the tools. The model is
scripted; the desk's rules (only offered slots, only after a yes, only this customer) are
what is under test, whatever the model asks."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from server.models.appointments import Appointment
from server.providers.reply import CallerContext
from server.providers.reply.openai import OpenAIReply
from server.services.reception.desk import FrontDesk
from server.tests.appointments.conftest import il, ordinary_sunday
from server.tests.voice.conftest import serving


def completion(message: dict) -> tuple:
    body = {"id": "chatcmpl-1", "object": "chat.completion", "model": "gpt-4o-mini",
            "choices": [{"index": 0, "message": {"role": "assistant", **message},
                         "finish_reason": "tool_calls" if message.get("tool_calls") else "stop"}]}
    return 200, {"Content-Type": "application/json"}, json.dumps(body, ensure_ascii=False).encode()


def call(name: str, arguments: dict, n: int = 1) -> dict:
    return {"id": f"call_{name}_{n}", "type": "function",
            "function": {"name": name, "arguments": json.dumps(arguments, ensure_ascii=False)}}


class Model:
    """Answers each chat request with the next scripted message; keeps what it was sent."""

    def __init__(self, server):
        self.script: list = []
        self.seen: list[dict] = []
        server.route("POST", "/v1/chat/completions", handler=self._chat)

    def _chat(self, request):
        body = request.json()
        self.seen.append(body)
        step = self.script.pop(0)
        return completion(step(body) if callable(step) else step)


@pytest.fixture()
def model():
    with serving() as server:
        yield Model(server), server.url


@pytest.fixture()
def sunday():
    return ordinary_sunday()


class Chat:
    """One customer's WhatsApp conversation with the cloud agent, the dialogue kept between turns."""

    def __init__(self, salon, url, now, customer=None):
        self.salon, self.now = salon, now
        self.customer = customer or salon.customer
        self.dialog: dict = {}
        self.history: list[dict] = []
        self.reply = OpenAIReply.__new__(OpenAIReply)
        self.reply.api_key, self.reply.base_url, self.reply.model, self.reply.timeout = "sk-test", url + "/v1", "m", 5.0

    def say(self, text: str):
        desk = FrontDesk(self.salon.business.id, self.customer.id, "whatsapp", self.dialog, now=self.now)
        ctx = CallerContext(business_name=self.salon.business.name, customer_name=self.customer.name,
                            known_customer=True, can_take_callback=True, first_turn=not self.history,
                            history=list(self.history), desk=desk, dialog=self.dialog, channel="whatsapp")
        result = self.reply.reply(text, ctx)
        self.history.append({"caller": text, "agent": result.text})
        return result


def booked(db, business_id):
    db.session.expire_all()
    return list(db.session.scalars(select(Appointment).where(Appointment.business_id == business_id,
                                                            Appointment.status == "booked")))


def test_the_model_finds_a_slot_asks_and_books_only_after_the_yes(db, salon, model, sunday):
    fake, url = model
    monday = sunday  # asked at 08:00 for 10:00 the same day
    chat = Chat(salon, url, il(sunday.year, sunday.month, sunday.day, 8))
    start = il(monday.year, monday.month, monday.day, 10).isoformat()
    fake.script = [
        {"content": None, "tool_calls": [call("list_services", {})]},
        {"content": None, "tool_calls": [call("find_slots", {
            "service_id": salon.haircut.id, "from": start, "to": il(monday.year, monday.month, monday.day, 11).isoformat(),
            "staff_id": salon.dana.id})]},
        {"content": "יש מקום ביום ראשון ב-10:00 אצל דנה. לקבוע?"},
    ]
    first = chat.say("אפשר תור לתספורת ביום ראשון בעשר?")
    assert first.text.endswith("לקבוע?") and "booking" in first.intents and "price" in first.intents
    # The model saw the price list and real slots, in plain data.
    services = json.loads(fake.seen[1]["messages"][-1]["content"])
    assert any(s["name"] == "תספורת נשים" and s["price_agorot"] == 18000 for s in services)
    slots = json.loads(fake.seen[2]["messages"][-1]["content"])
    assert slots[0]["start"] == start and slots[0]["staff_id"] == salon.dana.id
    assert booked(db, salon.business.id) == []
    # The system prompt carries the rules and "now"; the tools include the desk.
    assert "caller_confirmed=true" in fake.seen[0]["messages"][0]["content"]
    assert json.loads(fake.seen[0]["messages"][0]["content"].split("(JSON):\n", 1)[1].split("\n")[0])["now"]
    names = {t["function"]["name"] for t in fake.seen[0]["tools"]}
    assert {"list_services", "find_slots", "book", "move", "cancel", "next_appointment", "search_knowledge"} <= names

    fake.script = [
        {"content": None, "tool_calls": [call("book", {"service_id": salon.haircut.id, "start": start,
                                                        "staff_id": salon.dana.id, "caller_confirmed": True})]},
        {"content": "קבעתי לך תספורת ביום ראשון ב-10:00 אצל דנה."},
    ]
    second = chat.say("כן, תקבעי")
    [appointment] = booked(db, salon.business.id)
    assert (appointment.customer_id, appointment.staff_id, appointment.source) == (
        salon.customer.id, salon.dana.id, "whatsapp")
    assert appointment.start_at.isoformat() == il(monday.year, monday.month, monday.day, 10).astimezone(
        appointment.start_at.tzinfo).isoformat()
    [kept] = [c for c in second.tool_calls if c["name"] == "book"]
    assert kept["result"]["ok"] is True


@pytest.mark.parametrize("arguments,why", [
    ({"caller_confirmed": False}, "the caller has not said yes"),
    ({"start_hour": 15}, "slot was not offered"),
])
def test_the_desk_refuses_a_booking_without_a_yes_or_of_a_slot_never_offered(db, salon, model, sunday, arguments,
                                                                            why):
    fake, url = model
    chat = Chat(salon, url, il(sunday.year, sunday.month, sunday.day, 8))
    hour = arguments.get("start_hour", 10)
    fake.script = [
        {"content": None, "tool_calls": [call("find_slots", {
            "service_id": salon.haircut.id, "from": il(sunday.year, sunday.month, sunday.day, 10).isoformat(),
            "to": il(sunday.year, sunday.month, sunday.day, 10, 30).isoformat()})]},
        {"content": None, "tool_calls": [call("book", {
            "service_id": salon.haircut.id, "start": il(sunday.year, sunday.month, sunday.day, hour).isoformat(),
            "staff_id": salon.dana.id, "caller_confirmed": arguments.get("caller_confirmed", True)})]},
        {"content": "לא הצלחתי לקבוע."},
    ]
    result = chat.say("תקבעי לי תספורת היום")
    assert booked(db, salon.business.id) == []
    [attempt] = [c for c in result.tool_calls if c["name"] == "book"]
    assert attempt["result"] == {"ok": False, "error": why}
    assert json.loads(fake.seen[2]["messages"][-1]["content"]) == {"ok": False, "error": why}


def test_the_model_cannot_touch_another_customers_appointment(db, salon, model, sunday, make_customer):
    from server.services.appointments import booking
    fake, url = model
    other = make_customer(salon.business, name="רונית", phone="+972541119999")
    theirs = booking.book(salon.business.id, other.id, salon.haircut.id, il(sunday.year, sunday.month, sunday.day, 12),
                          salon.dana.id, notify=False)
    chat = Chat(salon, url, il(sunday.year, sunday.month, sunday.day, 8))
    fake.script = [
        {"content": None, "tool_calls": [call("cancel", {"appointment_id": theirs.id, "caller_confirmed": True})]},
        {"content": "אין לך תור לבטל."},
    ]
    result = chat.say("תבטלי את התור")
    assert [a.id for a in booked(db, salon.business.id)] == [theirs.id]
    assert result.tool_calls[0]["result"] == {"ok": False, "error": "not this customer's appointment"}


def test_a_knowledge_answer_keeps_its_source_for_the_call_log(db, salon, model, sunday):
    from server.services.knowledge import entries
    fake, url = model
    entry = entries.create_entry(salon.business.id, "חניה", "יש חניה חינם בחניון הכחול מאחורי הבניין.")
    chat = Chat(salon, url, il(sunday.year, sunday.month, sunday.day, 8))
    fake.script = [
        {"content": None, "tool_calls": [call("search_knowledge", {"question": "יש לכם חניה?"})]},
        {"content": "יש חניה חינם בחניון הכחול מאחורי הבניין."},
    ]
    result = chat.say("יש לכם חניה?")
    seen = json.loads(fake.seen[1]["messages"][-1]["content"])
    assert seen["found"] is True and "בחניון הכחול" in seen["passage"]
    assert result.tool_calls == [{"name": "search_knowledge", "arguments": {"question": "יש לכם חניה?"},
                                  "result": {"source": {"kind": "entry", "id": entry.id, "title": "חניה"}}}]
    assert "knowledge" in result.intents


def test_without_a_price_list_the_model_gets_no_booking_tools(db, make_business, make_customer, model):
    fake, url = model
    business = make_business("מוסך ללא מחירון")
    customer = make_customer(business, name="אבי", phone="+972541234000")

    class Bare:
        pass
    bare = Bare()
    bare.business = business
    chat = Chat(bare, url, il(2026, 12, 6, 9), customer=customer)
    fake.script = [{"content": "שלום!"}]
    chat.say("שלום")
    names = {t["function"]["name"] for t in fake.seen[0]["tools"]}
    assert names == {"get_open_tasks", "get_invoices", "get_contracts", "create_callback_task", "search_knowledge"}
