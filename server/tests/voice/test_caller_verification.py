"""Caller ID is spoofable (issue 16): the agent greets by name, but invoices and contracts
(by default; tasks if the business chooses) are read only after the caller says the last 4
digits of the customer's ID number in this call. Enforced on the provider's context."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from server.models import CallLog, Invoice
from server.providers.reply.offline import OfflineResponder
from server.services.voice.context import build_context

ASK = "כדי למסור פרטים על חשבוניות, אפשר בבקשה את ארבע הספרות האחרונות של תעודת הזהות?"


@pytest.fixture()
def spoofed_call(db, make_business, make_customer):
    """A call whose caller ID matches Dana's number: anyone could have placed it."""
    def make(settings=None, id_last4="1234"):
        business = make_business("מספרת רותי", voice_number="+97235551234", settings=settings or {})
        dana = make_customer(business, name="דנה כהן", phone="+972502345678", id_last4=id_last4)
        db.session.add(Invoice(business_id=business.id, customer_id=dana.id, number=17, status="issued",
                               amount_agorot=100000, total_agorot=118000,
                               issued_at=datetime(2026, 11, 1, tzinfo=timezone.utc),
                               due_at=datetime(2026, 12, 1, 10, tzinfo=timezone.utc)))
        call = CallLog(call_sid="CA" + "5" * 32, business_id=business.id, customer_id=dana.id,
                       from_number="+972502345678", to_number="+97235551234", state={})
        db.session.add(call)
        db.session.commit()
        return call
    return make


def _turn(call, said, history=()):
    ctx = build_context(call, list(history), said)
    return ctx, OfflineResponder().reply(said, ctx).text


def test_spoofed_caller_id_asking_about_an_invoice_gets_no_amount_and_the_provider_gets_no_invoice(spoofed_call):
    call = spoofed_call()
    ctx, reply = _turn(call, "מה עם החשבונית שלי?")
    assert ctx.invoices == [] and ctx.contracts == [] and ctx.withheld == ["invoices", "contracts"]
    assert "17" not in reply and "1180" not in reply and "שקלים" not in reply
    assert reply == f"שלום דנה! {ASK}"          # greeted by name, asked naturally


def test_the_right_last_four_digits_unlock_the_invoice_for_this_call_only(spoofed_call, db):
    call = spoofed_call()
    _, first = _turn(call, "מה עם החשבונית שלי?")
    ctx, reply = _turn(call, "אחת שתיים שלוש ארבע", [{"caller": "מה עם החשבונית שלי?", "agent": first}])
    assert ctx.withheld == [] and ctx.invoices[0]["number"] == 17
    assert reply.startswith("תודה, זיהיתי אותך.") and "חשבונית מספר 17 על סך 1180 שקלים" in reply
    _, later = _turn(call, "ומה עם החשבונית?", [{"caller": "x", "agent": "y"}])
    assert "חשבונית מספר 17" in later
    # another call from the same number starts unverified
    other = CallLog(call_sid="CA" + "6" * 32, business_id=call.business_id, customer_id=call.customer_id,
                    from_number=call.from_number, to_number=call.to_number, state={})
    db.session.add(other)
    db.session.commit()
    ctx, reply = _turn(other, "מה עם החשבונית שלי?")
    assert ctx.invoices == [] and "17" not in reply


def test_wrong_answers_are_limited_and_then_even_the_right_one_is_refused(spoofed_call):
    call = spoofed_call()
    _turn(call, "מה עם החשבונית שלי?")
    _, reply = _turn(call, "1 1 1 1", [{"caller": "a", "agent": "b"}])
    assert reply == "המספר לא תואם למה שרשום אצלנו. אפשר לנסות שוב את ארבע הספרות האחרונות של תעודת הזהות?"
    _turn(call, "2222", [{"caller": "a", "agent": "b"}])
    _, reply = _turn(call, "3333", [{"caller": "a", "agent": "b"}])
    assert reply.startswith("לא הצלחתי לאמת את הזהות")
    ctx, reply = _turn(call, "1234", [{"caller": "a", "agent": "b"}])
    assert ctx.invoices == [] and "17" not in reply


def test_a_customer_without_id_digits_on_file_gets_a_callback_offer_not_the_invoice(spoofed_call):
    ctx, reply = _turn(spoofed_call(id_last4=None), "מה עם החשבונית שלי?")
    assert ctx.invoices == [] and "17" not in reply
    assert "מטעמי אבטחה אני לא יכול למסור פרטים על חשבוניות בטלפון" in reply


def test_the_business_can_turn_it_off_and_protect_tasks_instead(spoofed_call):
    call = spoofed_call({"caller_verification": {"invoices": False, "contracts": False, "tasks": True}})
    ctx, reply = _turn(call, "מה עם החשבונית שלי?")
    assert ctx.withheld == ["tasks"] and "חשבונית מספר 17" in reply


def test_the_setting_is_validated(client, login_as, make_business):
    business = make_business()
    login_as("admin", business=business)
    r = client.put(f"/api/businesses/{business.id}", json={"settings": {"caller_verification": {"invoices": "no",
                                                                                               "money": True}}})
    assert r.status_code == 422
    assert set(r.get_json()["fields"]) == {"settings.caller_verification.invoices",
                                           "settings.caller_verification.money"}
    r = client.put(f"/api/businesses/{business.id}", json={"settings": {"caller_verification": {"tasks": True}}})
    assert r.status_code == 200 and r.get_json()["settings"]["caller_verification"] == {"tasks": True}


def test_id_digits_are_set_on_the_customer_and_never_returned(client, login_as, make_business, db):
    from server.models import Customer
    business = make_business()
    login_as("staff", business=business)
    r = client.post("/api/crm/customers", json={"name": "דנה", "phone": "050-234-5678", "id_last4": "12a4"})
    assert r.status_code == 422 and "id_last4" in r.get_json()["fields"]
    r = client.post("/api/crm/customers", json={"name": "דנה", "phone": "050-234-5678", "id_last4": "1234"})
    assert r.status_code == 201 and "1234" not in r.get_data(as_text=True)
    assert db.session.get(Customer, r.get_json()["id"]).id_last4 == "1234"


# ---- through the phone call itself, with the cloud reply provider ----------------------

def test_a_phone_call_gives_the_cloud_agent_no_invoice_until_the_digits_then_it_does(
        client, db, app, monkeypatch, voice_config, fake_server, make_business, make_customer):
    import json

    from server.tests.voice.conftest import call_form, say_in_turn
    from server.tests.voice.test_agent_features import completion
    business = make_business("מספרת רותי", voice_number="+97235551234")     # defaults: money protected
    dana = make_customer(business, name="דנה כהן", phone="+972502345678", id_last4="1234")
    db.session.add(Invoice(business_id=business.id, customer_id=dana.id, number=17, status="issued",
                           amount_agorot=100000, total_agorot=118000,
                           issued_at=datetime(2026, 11, 1, tzinfo=timezone.utc)))
    db.session.commit()
    monkeypatch.setitem(app.config, "OPENAI_BASE_URL", f"{fake_server.url}/v1")
    monkeypatch.setitem(app.config, "REPLY_PROVIDER", "openai")
    sent: list[str] = []

    def chat(seen):
        sent.append(seen.body.decode())
        return completion({"content": "בסדר."})
    fake_server.route("POST", "/v1/chat/completions", handler=chat)
    url = say_in_turn(fake_server, "כמה אני חייבת על החשבונית?", "אחת שתיים שלוש ארבע")

    client.post("/webhook/incoming_call", data=call_form())              # caller ID: Dana's number
    client.post("/webhook/handle_recording", data=call_form(RecordingUrl=url))
    first = json.loads(sent[-1])["messages"][0]["content"]
    assert "1180" not in first and '"number": 17' not in first and "withheld_until_verified" in first
    assert "ארבע הספרות האחרונות של תעודת הזהות" in first

    client.post("/webhook/handle_recording", data=call_form(RecordingUrl=url))
    second = json.loads(sent[-1])["messages"][0]["content"]
    assert "1180 שקלים" in second and '"number": 17' in second and "withheld" not in second
