"""Issue 8: the cloud agent's tools (against a local server speaking OpenAI's chat API),
its fallback, the call summary, transfer to a person, and the recording notice."""
from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from server.models import CallLog, CallTurn, Invoice, Task
from server.tests.voice.conftest import call_form, say_in_turn


def twiml(response):
    assert response.status_code == 200 and response.mimetype == "text/xml", response.data
    return ET.fromstring(response.data)


def tags(root):
    return [child.tag for child in root]


def completion(message: dict) -> tuple:
    body = {"id": "chatcmpl-1", "object": "chat.completion", "model": "gpt-4o-mini",
            "choices": [{"index": 0, "message": {"role": "assistant", **message},
                         "finish_reason": "tool_calls" if message.get("tool_calls") else "stop"}]}
    return 200, {"Content-Type": "application/json"}, json.dumps(body, ensure_ascii=False).encode()


@pytest.fixture()
def dana(app, monkeypatch, voice_config, fake_server, voice_business, make_customer, db):
    monkeypatch.setitem(app.config, "OPENAI_BASE_URL", f"{fake_server.url}/v1")
    customer = make_customer(voice_business, name="דנה כהן", phone="+972502345678")
    db.session.add(Invoice(business_id=voice_business.id, customer_id=customer.id, number=17, status="issued",
                           amount_agorot=100000, total_agorot=118000,
                           issued_at=datetime(2026, 11, 1, tzinfo=timezone.utc),
                           due_at=datetime(2026, 12, 1, 10, tzinfo=timezone.utc)))
    db.session.commit()
    return customer


# ---- OpenAI with tools ----------------------------------------------------------------------

def test_the_cloud_agent_looks_up_invoices_and_books_a_callback_with_tools(client, db, dana, fake_server, app,
                                                                          monkeypatch, voice_business):
    monkeypatch.setitem(app.config, "REPLY_PROVIDER", "openai")
    url = say_in_turn(fake_server, "כמה אני חייבת? ותחזרו אליי")

    def chat(seen):
        body = seen.json()
        if "response_format" in body:  # the summary at the end of the call
            return completion({"content": json.dumps({"summary": "הלקוחה שאלה על חשבונית 17 וביקשה חזרה.",
                                                      "intent": "invoice_status"}, ensure_ascii=False)})
        if body["messages"][-1]["role"] == "user":
            return completion({"content": None, "tool_calls": [
                {"id": "call_1", "type": "function", "function": {"name": "get_invoices", "arguments": "{}"}},
                {"id": "call_2", "type": "function",
                 "function": {"name": "create_callback_task", "arguments": json.dumps({"note": "לחזור לגבי החוב"})}}]})
        return completion({"content": "חשבונית 17 על סך 1180 שקלים ממתינה לתשלום. רשמתי שנחזור אלייך."})
    fake_server.route("POST", "/v1/chat/completions", handler=chat)

    client.post("/webhook/incoming_call", data=call_form())
    root = twiml(client.post("/webhook/handle_recording", data=call_form(RecordingUrl=url)))
    assert tags(root) == ["Play", "Record"]
    turn = db.session.scalars(select(CallTurn)).one()
    assert turn.reply_provider == "openai" and turn.fallbacks == []
    assert turn.reply == "חשבונית 17 על סך 1180 שקלים ממתינה לתשלום. רשמתי שנחזור אלייך."
    task = db.session.scalars(select(Task)).one()
    assert (task.customer_id, task.source, task.description) == (dana.id, "call", "בקשה מהשיחה: לחזור לגבי החוב")
    assert turn.tool_calls == [
        {"name": "get_invoices", "arguments": {},
         "result": [{"number": 17, "status": "issued", "total": "1180 שקלים", "due": "1.12"}]},
        {"name": "create_callback_task", "result": {"type": "callback", "task_id": task.id}}]

    chats = [r for r in fake_server.requests if r.path == "/v1/chat/completions"]
    first, second = chats[0].json(), chats[1].json()
    assert chats[0].headers["authorization"] == "Bearer sk-test-not-a-real-key"
    # No price list in this business: the CRM tools and the knowledge base, no booking tools.
    assert {t["function"]["name"] for t in first["tools"]} == {"get_open_tasks", "get_invoices", "get_contracts",
                                                               "create_callback_task", "search_knowledge"}
    assert "דנה כהן" in first["messages"][0]["content"]  # the CRM record is in context
    assert second["messages"][-3]["tool_calls"][0]["id"] == "call_1"
    tool_reply = second["messages"][-2]
    assert tool_reply["role"] == "tool" and tool_reply["tool_call_id"] == "call_1"
    assert json.loads(tool_reply["content"])[0]["number"] == 17

    # The call ends: the model writes the summary.
    client.post("/webhook/call_status", data=call_form(CallStatus="completed", CallDuration="42"))
    call = db.session.scalars(select(CallLog)).one()
    db.session.refresh(call)
    assert call.summary == "הלקוחה שאלה על חשבונית 17 וביקשה חזרה." and call.intent == "invoice_status"
    assert call.state["summary_provider"] == "openai"


@pytest.mark.parametrize("broken", ["http", "bad_tool_call"])
def test_when_the_cloud_agent_fails_the_offline_responder_answers_visibly(client, db, dana, fake_server, app,
                                                                         monkeypatch, broken):
    monkeypatch.setitem(app.config, "REPLY_PROVIDER", "openai")
    url = say_in_turn(fake_server, "מה עם החשבונית שלי?")
    if broken == "http":
        fake_server.route("POST", "/v1/chat/completions", status=500, body={"error": {"message": "boom"}})
    else:
        fake_server.route("POST", "/v1/chat/completions", handler=lambda seen: completion({"content": None, "tool_calls": [
            {"id": "c", "type": "function", "function": {"name": "get_invoices", "arguments": "{not json"}}]}))
    client.post("/webhook/incoming_call", data=call_form())
    client.post("/webhook/handle_recording", data=call_form(RecordingUrl=url))
    turn = db.session.scalars(select(CallTurn)).one()
    assert turn.reply_provider == "offline"
    assert turn.fallbacks == [{"stage": "reply", "reason": "HTTP 500" if broken == "http" else "invalid tool call"}]
    assert "חשבונית מספר 17" in turn.reply
    # The summary falls back too, and says so.
    client.post("/webhook/call_status", data=call_form(CallStatus="completed"))
    call = db.session.scalars(select(CallLog)).one()
    db.session.refresh(call)
    assert call.intent == "invoice_status" and call.summary.startswith("המתקשר פנה בנושא: חשבונית.")
    assert call.state["summary_provider"] == "offline" and call.state["summary_fallback"]["stage"] == "summary"


def test_the_offline_summary_is_shown_on_the_timeline(client, db, dana, fake_server, login_as, voice_business):
    url = say_in_turn(fake_server, "מתי אתם פתוחים?", "תחזרו אליי מחר", "ביי")
    client.post("/webhook/incoming_call", data=call_form())
    for _ in range(3):
        client.post("/webhook/handle_recording", data=call_form(RecordingUrl=url))
    call = db.session.scalars(select(CallLog)).one()
    db.session.refresh(call)
    assert call.summary == "המתקשר פנה בנושא: שעות פעילות, בקשת חזרה. נרשמה בקשה לחזור אליו. (3 תורות בשיחה.)"
    assert call.intent == "hours"
    login_as("staff", business=voice_business)
    timeline = client.get(f"/api/customers/{dana.id}/timeline").get_json()
    shown = json.dumps(timeline, ensure_ascii=False)
    assert call.summary in shown


# ---- a person on the line ---------------------------------------------------------------------

@pytest.fixture()
def with_transfer(db, voice_business):
    voice_business.settings = {**voice_business.settings, "transfer_number": "+972523456789", "transfer_timeout": 15}
    db.session.commit()
    return voice_business


def test_asking_for_a_person_dials_the_business(client, db, dana, fake_server, with_transfer):
    url = say_in_turn(fake_server, "אני רוצה לדבר עם נציג")
    client.post("/webhook/incoming_call", data=call_form())
    root = twiml(client.post("/webhook/handle_recording", data=call_form(RecordingUrl=url)))
    assert tags(root) == ["Say", "Dial"]
    assert root.find("Say").text == "מעביר אותך לנציג, רק רגע."
    dial = root.find("Dial")
    assert dial.text == "+972523456789"
    assert dial.attrib == {"timeout": "15", "action": "/webhook/transfer_status", "method": "POST"}
    # Answered: the call ends when they hang up, and the summary says so.
    done = twiml(client.post("/webhook/transfer_status", data=call_form(DialCallStatus="completed")))
    assert tags(done) == ["Hangup"]
    call = db.session.scalars(select(CallLog)).one()
    db.session.refresh(call)
    assert call.state["transfer"] == "answered" and "השיחה הועברה לנציג." in call.summary


def test_pressing_0_transfers_and_an_unanswered_transfer_takes_a_message_as_a_task(
        client, db, dana, fake_server, with_transfer):
    url = say_in_turn(fake_server, "תתקשרו אליי בבקשה לגבי התיקון")
    client.post("/webhook/incoming_call", data=call_form())
    root = twiml(client.post("/webhook/handle_recording", data=call_form(RecordingUrl=url, Digits="0")))
    assert tags(root) == ["Say", "Dial"]
    assert not [r for r in fake_server.requests if r.path == "/v1/audio/transcriptions"]  # 0 is not a question

    root = twiml(client.post("/webhook/transfer_status", data=call_form(DialCallStatus="no-answer")))
    assert tags(root) == ["Say", "Record"]
    assert root.find("Say").text == "הנציג לא זמין כרגע. השאירו הודעה אחרי הצפצוף ונחזור אליכם."
    assert root.find("Record").attrib["action"] == "/webhook/transfer_message"

    root = twiml(client.post("/webhook/transfer_message", data=call_form(RecordingUrl=url)))
    assert tags(root) == ["Say", "Hangup"]
    assert root.find("Say").text == "תודה, ההודעה נשמרה ונחזור אליכם בהקדם. להתראות!"
    task = db.session.scalars(select(Task)).one()
    assert (task.customer_id, task.source, task.status) == (dana.id, "call", "open")
    assert task.description == "הודעה מהשיחה: תתקשרו אליי בבקשה לגבי התיקון"
    call = db.session.scalars(select(CallLog)).one()
    db.session.refresh(call)
    assert call.state["transfer"] == "unanswered" and call.state["message"]["task_id"] == task.id
    message = call.turns[-1]
    assert message.intents == ["message"] and message.transcript == "תתקשרו אליי בבקשה לגבי התיקון"
    assert message.recording_url == url and message.reply == "תודה, ההודעה נשמרה ונחזור אליכם בהקדם. להתראות!"
    assert "והמתקשר השאיר הודעה" in call.summary


def test_pressing_0_without_a_transfer_number_books_a_callback(client, db, dana, fake_server):
    url = say_in_turn(fake_server, "שלום")
    client.post("/webhook/incoming_call", data=call_form())
    root = twiml(client.post("/webhook/handle_recording", data=call_form(RecordingUrl=url, Digits="0")))
    assert tags(root) == ["Say", "Record"]
    assert root.find("Say").text == "אין כרגע נציג זמין. רשמתי בקשה שנחזור אליך בהקדם."
    assert db.session.scalars(select(Task)).one().customer_id == dana.id


# ---- the recording notice -----------------------------------------------------------------------

def test_a_business_call_hears_the_recording_notice_before_the_first_beep(client, db, voice_business, app,
                                                                           monkeypatch):
    monkeypatch.setitem(app.config, "HOST", "https://kesher.example.co.il")
    root = twiml(client.post("/webhook/incoming_call", data=call_form()))
    assert tags(root) == ["Say", "Play", "Record"]
    assert root.find("Say").text == "לידיעתך, השיחה מוקלטת לצורך שיפור השירות."
    assert root.find("Say").attrib == {"language": "he-IL"}
    assert root.find("Record").attrib["finishOnKey"] == "*"


def test_the_notice_can_be_turned_off_or_reworded_and_the_greeting_set(client, db, voice_business):
    voice_business.settings = {**voice_business.settings, "recording_notice": False}
    db.session.commit()
    assert tags(twiml(client.post("/webhook/incoming_call", data=call_form()))) == ["Record"]
    voice_business.settings = {**voice_business.settings, "recording_notice": "השיחה מוקלטת.",
                               "greeting": "שלום, הגעתם למספרת רותי."}
    db.session.commit()
    root = twiml(client.post("/webhook/incoming_call", data=call_form(call_sid="CA0002")))
    assert [s.text for s in root.findall("Say")] == ["השיחה מוקלטת.", "שלום, הגעתם למספרת רותי."]
    assert tags(root) == ["Say", "Say", "Record"]
