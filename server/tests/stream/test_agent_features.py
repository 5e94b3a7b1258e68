"""The record path's conversation features on a streamed call: the recording notice, a person
(key 0 or asking for one), the goodbye key, the turn limit and the summary."""
from __future__ import annotations

import xml.etree.ElementTree as ET

from server.services.voice import policy, prompts
from server.services.voice.policy import Action, Directive, Reason
from server.tests.stream.conftest import CALLER, stream_state


def test_opening_lines_are_the_recording_notice_then_the_greeting():
    assert policy.opening_lines({"greeting": "שלום, מספרת רותי."}, True) == [prompts.RECORDING_NOTICE,
                                                                              "שלום, מספרת רותי."]
    assert policy.opening_lines({"recording_notice": False}, True) == [prompts.DEFAULT_GREETING]
    assert policy.opening_lines({"recording_notice": "ההקלטה נשמרת."}, True) == ["ההקלטה נשמרת.",
                                                                                 prompts.DEFAULT_GREETING]
    assert policy.opening_lines({}, False) == [prompts.DEFAULT_GREETING]  # an unknown number: no notice


def test_asking_for_a_person_is_a_transfer_only_with_a_transfer_number():
    from server.providers.reply.offline import detect_intents
    person, hours = detect_intents("אני רוצה לדבר עם נציג"), detect_intents("מה שעות הפתיחה")
    transfer = policy.asks_for_person(person, {"transfer_number": "+972501112222"})
    assert transfer == Directive(Action.TRANSFER, Reason.SPEECH)
    assert transfer.next_step() == {"type": "transfer", "via": "speech"}
    assert policy.asks_for_person(person, {}) is None
    assert policy.asks_for_person(hours, {"transfer_number": "+972501112222"}) is None


def test_farewell_and_turn_limit_end_the_call():
    bye = policy.after_turn(["goodbye"], 1, policy.turn_limit({}))
    assert (bye.reason, bye.next_step()) == (Reason.FAREWELL, "hangup")
    assert policy.after_turn(["hours"], 2, policy.turn_limit({"turn_limit": 3})) is None
    limit = policy.after_turn(["hours"], 3, policy.turn_limit({"turn_limit": 3}))
    assert (limit.reason, limit.next_step()) == (Reason.TURN_LIMIT, {"type": "hangup",
                                                                     "closing": prompts.SAY_TURN_LIMIT})


def _twiml(client, call_sid):
    return ET.fromstring(client.post("/webhook/media_stream/ended", data={"CallSid": call_sid, **CALLER}).data)


def test_key_0_transfers_to_the_business_number(db, client, open_stream, make_business):
    make_business("סטרים", voice_number="+97235551234", settings={
        "voice_mode": "stream", "transfer_number": "+972501112222", "transfer_timeout": 25})
    caller = open_stream()
    caller.begin(CALLER)
    assert caller.wait_for(lambda: caller.messages("mark"), timeout=30)
    caller.dtmf("0")
    assert caller.wait_for(lambda: caller.closed, timeout=10)
    stream = stream_state(db, caller.call_sid)
    assert stream["next"] == {"type": "transfer", "via": "key"}

    root = _twiml(client, caller.call_sid)
    assert root.find("Say").text == "מעביר אותך לנציג, רק רגע."
    dial = root.find("Dial")
    assert dial.text == "+972501112222" and dial.get("timeout") == "25"
    assert dial.get("action") == "/webhook/transfer_status"


def test_key_0_without_a_transfer_number_books_a_callback_and_the_conversation_goes_on(
        db, client, open_stream, stream_business, make_customer):
    make_customer(stream_business, name="דנה כהן", phone="+972502345678")
    caller = open_stream()
    caller.begin(CALLER)
    assert caller.wait_for(lambda: caller.messages("mark"), timeout=30)
    caller.dtmf("0")
    assert caller.wait_for(lambda: caller.closed, timeout=10)
    stream_state(db, caller.call_sid)

    root = _twiml(client, caller.call_sid)
    assert root.find("Say").text == prompts.SAY_NO_PERSON
    assert root.find("Connect/Stream").get("url").endswith("/webhook/media_stream")   # talk on, a new stream
    from server.models import Task
    assert db.session.query(Task).filter_by(source="call").count() == 1


def test_the_end_key_says_goodbye_hangs_up_and_the_call_is_summarised(db, client, open_stream, stream_business):
    caller = open_stream()
    caller.begin(CALLER)
    assert caller.wait_for(lambda: caller.messages("mark"), timeout=30)
    caller.dtmf("#")
    assert caller.wait_for(lambda: caller.closed, timeout=10)
    stream = stream_state(db, caller.call_sid)
    assert stream["end_reason"] == "dtmf"

    root = _twiml(client, caller.call_sid)
    assert root.find("Say").text == prompts.SAY_GOODBYE and root.find("Hangup") is not None
    from server.models import CallLog
    db.session.rollback()
    call = db.session.query(CallLog).filter_by(call_sid=caller.call_sid).one()
    assert call.state.get("ended_by") == "key"
    assert call.summary  # the issue-8 summary job ran (inline in tests)
