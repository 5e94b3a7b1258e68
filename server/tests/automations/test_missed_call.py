"""Missed call → WhatsApp: once per number per Israel day, enforced by the database; not for a
call that had a conversation; the approved template outside the 24-hour window."""
from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy import select

from server.models import AutomationRun, CallLog, CallTurn, WhatsAppMsg, WhatsAppTemplate
from server.models.base import utcnow
from server.schemas.automations import MISSED_CALL_TEMPLATE
from server.tests.automations.conftest import CALLER, WA_NUMBER, call_form


def _hang_up_at_greeting(client, sid: str, caller: str = CALLER):
    assert client.post("/webhook/incoming_call", data=call_form(sid, caller=caller)).status_code == 200
    assert client.post("/webhook/call_status", data=call_form(sid, "completed", caller=caller,
                                                               CallDuration="4")).status_code == 200


def _sent(db, business) -> list[WhatsAppMsg]:
    return list(db.session.scalars(select(WhatsAppMsg).where(WhatsAppMsg.business_id == business.id,
                                                             WhatsAppMsg.direction == "outbound")))


def test_caller_who_hangs_up_at_the_greeting_gets_one_whatsapp_a_day(client, db, business, enable):
    enable(business, missed_call={})
    _hang_up_at_greeting(client, "CA" + "1" * 32)
    _hang_up_at_greeting(client, "CA" + "2" * 32)
    sent = _sent(db, business)
    assert len(sent) == 1
    message = sent[0]
    assert message.to_number == CALLER
    assert message.flags["automation"] == "missed_call"
    # No inbound in the last 24 hours: the approved template, with the business's name.
    assert message.template_name == MISSED_CALL_TEMPLATE
    assert "מספרת הדס" in message.body and "ראינו שהתקשרת" in message.body
    runs = db.session.scalars(select(AutomationRun)).all()
    assert [(r.kind, r.status, r.message_id) for r in runs] == [("missed_call", "queued", message.id)]


def test_missed_call_message_is_on_the_customer_timeline(client, db, business, enable, login_as):
    enable(business, missed_call={})
    _hang_up_at_greeting(client, "CA" + "3" * 32)
    call = db.session.scalar(select(CallLog))
    login_as("viewer", business=business)
    items = client.get(f"/api/customers/{call.customer_id}/timeline").get_json()
    whatsapp = [i for i in items if i["type"] == "whatsapp"]
    assert len(whatsapp) == 1, items
    assert whatsapp[0]["data"]["flags"]["automation"] == "missed_call"


def test_inside_the_window_the_business_text_goes(client, db, business, enable, make_customer):
    enable(business, missed_call={"text": "פספסנו אותך! נחזור אליך"})
    customer = make_customer(business, phone=CALLER)
    db.session.add(WhatsAppMsg(business_id=business.id, customer_id=customer.id, direction="inbound",
                               status="delivered", provider="dev", from_number=CALLER, to_number=WA_NUMBER,
                               body="שלום", flags={}, created_at=utcnow() - timedelta(hours=2)))
    db.session.commit()
    _hang_up_at_greeting(client, "CA" + "4" * 32)
    [message] = _sent(db, business)
    assert message.body == "פספסנו אותך! נחזור אליך"
    assert message.template_name is None


def test_a_call_with_a_conversation_sends_nothing(client, db, business, enable):
    enable(business, missed_call={})
    sid = "CA" + "5" * 32
    client.post("/webhook/incoming_call", data=call_form(sid))
    call = db.session.scalar(select(CallLog))
    db.session.add(CallTurn(call_id=call.id, index=0, status="played", transcript="מתי אתם פתוחים?",
                            reply="עד חמש"))
    db.session.commit()
    client.post("/webhook/call_status", data=call_form(sid, "completed", CallDuration="40"))
    assert _sent(db, business) == []
    assert db.session.scalars(select(AutomationRun)).all() == []


def test_an_answered_transfer_sends_nothing_an_unanswered_one_does(client, db, business, enable):
    enable(business, missed_call={})
    for sid, transfer, caller in (("CA" + "6" * 32, "answered", CALLER), ("CA" + "7" * 32, "unanswered",
                                                                           "+972545550102")):
        client.post("/webhook/incoming_call", data=call_form(sid, caller=caller))
        call = db.session.scalar(select(CallLog).where(CallLog.call_sid == sid))
        db.session.add(CallTurn(call_id=call.id, index=0, status="played", transcript="נציג בבקשה", reply="מעביר"))
        call.state = {"transfer": transfer}
        db.session.commit()
        client.post("/webhook/call_status", data=call_form(sid, "completed", caller=caller))
    assert [m.to_number for m in _sent(db, business)] == ["+972545550102"]


def test_switched_off_sends_nothing(client, db, business):
    _hang_up_at_greeting(client, "CA" + "8" * 32)
    assert _sent(db, business) == []


def test_twilio_business_without_content_sid_is_skipped_visibly(db, make_business, enable, monkeypatch, app):
    from server.services.automations.missed_call import handle_call_end
    monkeypatch.setitem(app.config, "TWILIO_ACCOUNT_SID", "AC" + "a1" * 16)
    monkeypatch.setitem(app.config, "TWILIO_AUTH_TOKEN", "twilio-test-auth-token-0001")
    business = make_business("עסק טוויליו", voice_number="+97235550000", whatsapp_number="+97235550001",
                             whatsapp_provider="twilio")
    enable(business, missed_call={})
    call = CallLog(call_sid="CA" + "9" * 32, business_id=business.id, from_number=CALLER, direction="inbound",
                   status="completed", started_at=utcnow(), ended_at=utcnow(), state={})
    db.session.add(call)
    db.session.commit()
    # The seeded template has no ContentSid yet: Twilio would refuse it, so nothing is queued
    # and the run says why (the screen shows it).
    assert handle_call_end(call.id) == "skipped:template_without_content_sid"
    assert _sent(db, business) == []
    run = db.session.scalar(select(AutomationRun))
    assert (run.status, run.reason, run.message_id) == ("skipped", "template_without_content_sid", None)
    assert db.session.scalar(select(WhatsAppTemplate)).name == MISSED_CALL_TEMPLATE
    # And the day's key is used: a second call-end does not try again.
    call2 = CallLog(call_sid="CA" + "8" * 32, business_id=business.id, from_number=CALLER, direction="inbound",
                    status="completed", started_at=utcnow(), ended_at=utcnow(), state={})
    db.session.add(call2)
    db.session.commit()
    assert handle_call_end(call2.id) == "already_sent"


def test_two_concurrent_call_ends_send_once(app, db, business, enable):
    """Two calls of one number end at the same moment, each job in its own thread and session."""
    from server.services.automations.missed_call import handle_call_end
    enable(business, missed_call={})
    ids = []
    for n in range(2):
        call = CallLog(call_sid=f"CA{n:032d}", business_id=business.id, from_number=CALLER, to_number="+97235550000",
                       direction="inbound", status="completed", started_at=utcnow(), ended_at=utcnow(), state={})
        db.session.add(call)
        db.session.commit()
        ids.append(call.id)
    barrier = threading.Barrier(2)
    results: list = [None, None]

    def run(i: int):
        with app.app_context():
            barrier.wait()
            try:
                results[i] = handle_call_end(ids[i])
            except Exception as exc:  # noqa: BLE001 - reported below
                results[i] = repr(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(results) == ["already_sent", "sent"], results
    assert len(_sent(db, business)) == 1


def test_next_israel_day_sends_again(db, business, enable):
    from server.services.automations.missed_call import handle_call_end
    enable(business, missed_call={})
    ids = []
    for n, ended in enumerate((utcnow() - timedelta(days=1), utcnow())):
        call = CallLog(call_sid=f"CB{n:032d}", business_id=business.id, from_number=CALLER, direction="inbound",
                       status="no-answer", started_at=ended, ended_at=ended, state={})
        db.session.add(call)
        db.session.commit()
        ids.append(call.id)
    assert [handle_call_end(i) for i in ids] == ["sent", "sent"]


def test_business_isolation_same_number_two_businesses(db, make_business, enable):
    from server.services.automations.missed_call import handle_call_end
    first = make_business("עסק א", voice_number="+97235550010")
    second = make_business("עסק ב", voice_number="+97235550011")
    enable(first, missed_call={})
    outcomes = []
    for n, business in enumerate((first, second)):
        call = CallLog(call_sid=f"CC{n:032d}", business_id=business.id, from_number=CALLER, direction="inbound",
                       status="completed", started_at=utcnow(), ended_at=utcnow(), state={})
        db.session.add(call)
        db.session.commit()
        outcomes.append(handle_call_end(call.id))
    assert outcomes == ["sent", "disabled"]


def test_sweep_redoes_a_call_end_whose_job_was_lost(db, business, enable, monkeypatch):
    """The worker died before the job ran: the sweep finds the ended call without a run and sends once."""
    from server.services.automations import missed_call
    enable(business, missed_call={})
    ended = utcnow() - timedelta(minutes=5)
    calls = []
    for n, caller in enumerate((CALLER, CALLER, "+972545550103")):
        call = CallLog(call_sid=f"CD{n:032d}", business_id=business.id, from_number=caller, direction="inbound",
                       status="completed", started_at=ended, ended_at=ended, state={})
        db.session.add(call)
        calls.append(call)
    db.session.commit()
    assert sorted(missed_call.sweep()) == ["already_sent", "sent", "sent"]
    assert sorted(m.to_number for m in _sent(db, business)) == sorted([CALLER, "+972545550103"])
    # The calls whose run exists are not looked at again; the one that lost the race is, harmlessly.
    assert missed_call.sweep() == ["already_sent"]
    assert len(_sent(db, business)) == 2
