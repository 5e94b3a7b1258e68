"""The record path's conversation features on a streamed call: the recording notice, a person
(key 0 or asking for one), the goodbye key, the turn limit and the summary."""
from __future__ import annotations

import xml.etree.ElementTree as ET

from server.providers.reply import ReplyResult
from server.services import voice
from server.services.media_stream import hooks
from server.tests.stream.conftest import CALLER, stream_state


def test_opening_lines_are_the_recording_notice_then_the_greeting(app, db, make_business):
    from server.models import CallLog
    business = make_business("סטרים")
    call = CallLog(call_sid="CAx", business_id=business.id, state={})
    assert hooks.opening_lines(call, {"greeting": "שלום, מספרת רותי."}) == [voice.RECORDING_NOTICE, "שלום, מספרת רותי."]
    assert hooks.opening_lines(call, {"recording_notice": False}) == [hooks.DEFAULT_GREETING]
    assert hooks.opening_lines(call, {"recording_notice": "ההקלטה נשמרת."}) == ["ההקלטה נשמרת.", hooks.DEFAULT_GREETING]
    assert hooks.opening_lines(None, {}) == [hooks.DEFAULT_GREETING]  # an unknown number: no business, no notice


def test_asking_for_a_person_is_a_transfer_only_with_a_transfer_number():
    assert hooks.before_reply("אני רוצה לדבר עם נציג", {"transfer_number": "+972501112222"}) == (
        "מעביר אותך לנציג, רק רגע.", {"type": "transfer", "via": "speech"})
    assert hooks.before_reply("אני רוצה לדבר עם נציג", {}) is None
    assert hooks.before_reply("מה שעות הפתיחה", {"transfer_number": "+972501112222"}) is None


def test_farewell_and_turn_limit_end_the_call(app):
    with app.app_context():
        bye = ReplyResult(text="תודה שהתקשרת, יום טוב!", provider="offline", intents=["goodbye"])
        hours = ReplyResult(text="...", provider="offline", intents=["hours"])
        assert hooks.after_reply(None, bye, {}, turns=1) == "hangup"
        assert hooks.after_reply(None, hours, {"turn_limit": 3}, turns=2) is None
        assert hooks.after_reply(None, hours, {"turn_limit": 3}, turns=3) == {"type": "hangup",
                                                                             "closing": voice.SAY_TURN_LIMIT}


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
    assert root.find("Say").text == voice.SAY_NO_PERSON
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
    assert root.find("Say").text == voice.SAY_GOODBYE and root.find("Hangup") is not None
    from server.models import CallLog
    db.session.rollback()
    call = db.session.query(CallLog).filter_by(call_sid=caller.call_sid).one()
    assert call.state.get("ended_by") == "key"
    assert call.summary  # the issue-8 summary job ran (inline in tests)
