"""Issue 8: a conversation over the webhooks — several turns, farewell, end key, turn limit,
and the deadline path (hold line, <Redirect>, the answer on the next request, no job lost)."""
from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from server.models import CallLog, CallTurn
from server.models.base import utcnow
from server.services.voice import prompts
from server.services.voice.runner import wait_idle
from server.tests.voice.conftest import call_form, say_in_turn


def twiml(response):
    assert response.status_code == 200 and response.mimetype == "text/xml", response.data
    return ET.fromstring(response.data)


def tags(root):
    return [child.tag for child in root]


@pytest.fixture()
def convo(app, monkeypatch, voice_config, fake_server, voice_business, make_customer):
    monkeypatch.setitem(app.config, "OPENAI_BASE_URL", f"{fake_server.url}/v1")
    make_customer(voice_business, name="דנה כהן", phone="+972502345678")
    return voice_business


def test_a_three_turn_call_records_again_after_each_answer(client, db, convo, fake_server, events):
    url = say_in_turn(fake_server, "שלום", "מתי אתם פתוחים?", "מה עם החשבונית שלי?")
    client.post("/webhook/incoming_call", data=call_form())
    for _ in range(3):
        root = twiml(client.post("/webhook/handle_recording", data=call_form(RecordingUrl=url)))
        assert tags(root) == ["Play", "Record"]
        assert root.find("Record").attrib == {"maxLength": "30", "timeout": "5", "finishOnKey": "*0#",
                                              "playBeep": "true", "action": "/webhook/handle_recording",
                                              "method": "POST", "trim": "do-not-trim"}
    call = db.session.scalars(select(CallLog)).one()
    assert [t.transcript for t in call.turns] == ["שלום", "מתי אתם פתוחים?", "מה עם החשבונית שלי?"]
    assert call.turns[0].reply.startswith("שלום דנה!")
    assert "שעות הפעילות שלנו" in call.turns[1].reply and not call.turns[1].reply.startswith("שלום")
    assert "לא מצאתי חשבוניות" in call.turns[2].reply
    assert all(t.status == "ready" and t.audio_url and set(t.latencies) >= {"asr_ms", "reply_ms", "tts_ms", "total_ms"}
               for t in call.turns)


def test_a_hebrew_farewell_ends_the_call_with_a_goodbye_and_a_summary(client, db, convo, fake_server):
    url = say_in_turn(fake_server, "מתי אתם פתוחים?", "תודה, זהו, ביי")
    client.post("/webhook/incoming_call", data=call_form())
    client.post("/webhook/handle_recording", data=call_form(RecordingUrl=url))
    root = twiml(client.post("/webhook/handle_recording", data=call_form(RecordingUrl=url)))
    assert tags(root) == ["Play", "Hangup"]
    call = db.session.scalars(select(CallLog)).one()
    assert call.turns[1].reply == "תודה שהתקשרת, יום טוב!"
    assert call.state["ended_by"] == "farewell"
    assert call.intent == "hours" and "שעות פעילות" in call.summary


def test_the_end_key_plays_the_answer_then_says_goodbye_and_hangs_up(client, db, convo, fake_server):
    url = say_in_turn(fake_server, "מתי אתם פתוחים?")
    client.post("/webhook/incoming_call", data=call_form())
    root = twiml(client.post("/webhook/handle_recording", data=call_form(RecordingUrl=url, Digits="#")))
    assert tags(root) == ["Play", "Say", "Hangup"]
    assert root.find("Say").text == "תודה שהתקשרת, יום טוב!"


def test_the_turn_limit_ends_the_call_politely(client, db, convo, fake_server, make_business):
    convo.settings = {**convo.settings, "turn_limit": 2}
    db.session.commit()
    url = say_in_turn(fake_server, "מתי אתם פתוחים?")
    client.post("/webhook/incoming_call", data=call_form())
    assert tags(twiml(client.post("/webhook/handle_recording", data=call_form(RecordingUrl=url)))) == ["Play", "Record"]
    root = twiml(client.post("/webhook/handle_recording", data=call_form(RecordingUrl=url)))
    assert tags(root) == ["Play", "Say", "Hangup"]
    assert root.find("Say").text == "הגענו לסוף השיחה. תודה שהתקשרת, יום טוב!"
    assert db.session.scalars(select(CallLog)).one().state["ended_by"] == "turn_limit"


# ---- the deadline: never a webhook timeout ---------------------------------------------------

@pytest.fixture()
def slow(app, monkeypatch):
    monkeypatch.setitem(app.config, "VOICE_TURN_DEADLINE", 0.3)
    monkeypatch.setitem(app.config, "VOICE_HOLD_WAIT", 0.2)
    monkeypatch.setitem(app.config, "PROVIDER_TIMEOUT", 5)


def test_a_slow_turn_holds_redirects_and_plays_the_answer_on_the_next_request(client, db, convo, fake_server, slow):
    url = say_in_turn(fake_server, "מתי אתם פתוחים?", delay=1.2)
    client.post("/webhook/incoming_call", data=call_form())
    root = twiml(client.post("/webhook/handle_recording", data=call_form(RecordingUrl=url)))
    assert tags(root) == ["Say", "Redirect"]
    assert root.find("Say").text == "רגע אחד, אני בודק."
    turn = db.session.scalars(select(CallTurn)).one()
    assert root.find("Redirect").text == f"/webhook/turn_result?turn={turn.id}&attempt=1"
    assert root.find("Redirect").attrib == {"method": "POST"}

    # Still working: another hold, one attempt further.
    again = twiml(client.post(f"/webhook/turn_result?turn={turn.id}&attempt=1", data=call_form()))
    assert tags(again) == ["Say", "Redirect"] and again.find("Redirect").text.endswith("attempt=2")

    wait_idle()
    done = twiml(client.post(f"/webhook/turn_result?turn={turn.id}&attempt=2", data=call_form()))
    assert tags(done) == ["Play", "Record"]
    db.session.expire_all()
    turn = db.session.get(CallTurn, turn.id)
    assert turn.status == "ready" and done.find("Play").text == turn.audio_url and "שעות הפעילות" in turn.reply
    # One transcription: the job was neither lost nor run twice.
    assert sum(r.path == "/v1/audio/transcriptions" for r in fake_server.requests) == 1


def test_after_the_redirect_limit_the_caller_hears_an_apology_and_the_turn_still_finishes(
        client, db, convo, fake_server, slow, app, monkeypatch):
    monkeypatch.setitem(app.config, "VOICE_REDIRECT_LIMIT", 1)
    url = say_in_turn(fake_server, "מתי אתם פתוחים?", delay=1.0)
    client.post("/webhook/incoming_call", data=call_form())
    client.post("/webhook/handle_recording", data=call_form(RecordingUrl=url))
    turn_id = db.session.scalars(select(CallTurn.id)).one()
    root = twiml(client.post(f"/webhook/turn_result?turn={turn_id}&attempt=1", data=call_form()))
    assert tags(root) == ["Say", "Record"]
    assert root.find("Say").text == "סליחה, התשובה מתעכבת. אפשר לשאול שוב אחרי הצפצוף."
    wait_idle()
    db.session.expire_all()
    turn = db.session.get(CallTurn, turn_id)
    assert turn.status == "ready" and turn.reply
    assert turn.fallbacks == [{"stage": "deadline", "reason": "no answer after 1 redirects"}]


def test_a_turn_whose_runner_died_is_answered_by_the_next_redirect(client, db, convo, fake_server):
    url = say_in_turn(fake_server, "מתי אתם פתוחים?")
    client.post("/webhook/incoming_call", data=call_form())
    call = db.session.scalars(select(CallLog)).one()
    dead = CallTurn(call_id=call.id, index=0, status="working", recording_url=url)
    db.session.add(dead)
    db.session.commit()
    db.session.execute(update(CallTurn).where(CallTurn.id == dead.id).values(updated_at=utcnow() - timedelta(minutes=5)))
    db.session.commit()
    root = twiml(client.post(f"/webhook/turn_result?turn={dead.id}&attempt=1", data=call_form()))
    assert tags(root) == ["Play", "Record"]


def test_the_guard_job_answers_a_turn_left_pending_and_never_twice(client, db, convo, fake_server, app):
    from server.tasks.voice import guard_turn
    url = say_in_turn(fake_server, "מתי אתם פתוחים?")
    client.post("/webhook/incoming_call", data=call_form())
    call = db.session.scalars(select(CallLog)).one()
    lost = CallTurn(call_id=call.id, index=0, status="pending", recording_url=url)
    db.session.add(lost)
    db.session.commit()
    assert guard_turn.call_local(lost.id, "https://voice.test") is True
    db.session.expire_all()
    turn = db.session.get(CallTurn, lost.id)
    assert turn.status == "ready" and turn.audio_url.startswith("https://voice.test/media/voice/")
    assert guard_turn.call_local(lost.id, "https://voice.test") is False  # already answered
    assert sum(r.path == "/v1/audio/transcriptions" for r in fake_server.requests) == 1


def test_a_redirect_for_another_call_reveals_nothing(client, db, convo, fake_server):
    url = say_in_turn(fake_server, "מתי אתם פתוחים?")
    client.post("/webhook/incoming_call", data=call_form())
    client.post("/webhook/handle_recording", data=call_form(RecordingUrl=url))
    turn = db.session.scalars(select(CallTurn)).one()
    root = twiml(client.post(f"/webhook/turn_result?turn={turn.id}&attempt=1", data=call_form(call_sid="CA9999")))
    assert root.find("Play") is None and root.find("Say").text == prompts.SAY_LAST_RESORT


def test_unwritable_audio_storage_speaks_the_reply_and_records_the_fallback(
        client, db, convo, fake_server, app, monkeypatch, tmp_path):
    """What `make reliability` checks on a read-only disk: a 200 with <Say>, no <Play>,
    and a tts fallback naming the storage on the turn (the turn ran in this process)."""
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    monkeypatch.setitem(app.config, "MEDIA_DIR", str(blocker / "media"))
    url = say_in_turn(fake_server, "מתי אתם פתוחים?")
    response = client.post("/webhook/handle_recording",
                           data=call_form(call_sid="CAro01", RecordingUrl=url, RecordingDuration="3"))
    root = twiml(response)
    assert '<Say language="he-IL">' in response.data.decode() and "<Play" not in response.data.decode()
    assert tags(root) == ["Say", "Record"]
    turn = db.session.scalars(select(CallTurn)).one()
    assert [f["stage"] for f in turn.fallbacks] == ["tts"] and "storage" in turn.fallbacks[0]["reason"]
