"""The seed's Twilio webhooks: exact TwiML, every fallback step, persistence, status, signatures."""
from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from sqlalchemy import select
from twilio.request_validator import RequestValidator

from server.models import CallLog, CallTurn, Customer, Task
from server.services.voice import turns
from server.tests.voice.conftest import call_form

RECORDING = b"ID3\x03\x00\x00\x00\x00\x00\x00" + b"\xff\xfb\x90\x00" * 200


def twiml(response):
    assert response.status_code == 200
    assert response.mimetype == "text/xml"
    return ET.fromstring(response.data)


def said(response) -> tuple[str, dict]:
    root = twiml(response)
    say = root.find("Say")
    assert say is not None, response.data
    return say.text, say.attrib


def calls(db):
    return db.session.scalars(select(CallLog)).all()


# ---- incoming_call ---------------------------------------------------------------------

def test_incoming_call_records_with_the_seed_attributes(client):
    root = twiml(client.post("/webhook/incoming_call"))
    record = root.find("Record")
    assert record.attrib == {"maxLength": "30", "timeout": "5", "finishOnKey": "*", "playBeep": "true",
                             "action": "/webhook/handle_recording", "method": "POST", "trim": "do-not-trim"}
    assert root.find("Play") is None  # no HOST: no greeting file to point at


def test_incoming_call_plays_the_welcome_file_before_recording_when_host_is_set(client, app, monkeypatch):
    monkeypatch.setitem(app.config, "HOST", "https://kesher.example.co.il")
    root = twiml(client.post("/webhook/incoming_call", data=call_form()))
    assert [child.tag for child in root] == ["Play", "Record"]
    assert root.find("Play").text == "https://kesher.example.co.il/static/voice_responses/welcome.mp3"


def test_incoming_call_logs_the_call_with_business_and_customer_in_any_phone_format(
        client, db, voice_business, make_customer, events):
    dana = make_customer(voice_business, name="דנה כהן", phone="+972502345678")
    client.post("/webhook/incoming_call", data=call_form(caller="050-234-5678", to="03-555-1234"))
    [call] = calls(db)
    assert (call.call_sid, call.business_id, call.customer_id) == ("CA0001", voice_business.id, dana.id)
    assert call.from_number == "+972502345678" and call.status == "in-progress"
    assert events[-1][0] == voice_business.id and events[-1][1] == "call.updated"
    assert events[-1][2]["call_sid"] == "CA0001"


def test_unknown_caller_becomes_a_lead_of_the_called_business(client, db, voice_business):
    client.post("/webhook/incoming_call", data=call_form(caller="+972527654321"))
    lead = db.session.scalar(select(Customer).where(Customer.phone == "+972527654321"))
    assert lead is not None and lead.business_id == voice_business.id and lead.source == "call"
    assert calls(db)[0].customer_id == lead.id


def test_twilio_retrying_incoming_call_keeps_one_call_and_one_lead(client, db, voice_business):
    for _ in range(3):
        assert client.post("/webhook/incoming_call", data=call_form(caller="+972527654321")).status_code == 200
    assert len(calls(db)) == 1
    assert db.session.scalar(select(Customer.id).where(Customer.phone == "+972527654321")) is not None
    assert len(db.session.scalars(select(Customer)).all()) == 1


def test_call_to_a_number_no_business_owns_is_still_logged(client, db):
    client.post("/webhook/incoming_call", data=call_form(to="+97237770000"))
    [call] = calls(db)
    assert call.business_id is None and call.customer_id is None


# ---- handle_recording: fallbacks --------------------------------------------------------

def test_no_recording_url_says_the_seed_apology_and_keeps_the_turn(client, db, voice_config, voice_business):
    client.post("/webhook/incoming_call", data=call_form())
    text, attrib = said(client.post("/webhook/handle_recording", data=call_form()))
    assert text == "סליחה, לא קיבלתי הקלטה. איך אפשר לעזור?"
    assert attrib == {"language": "he-IL"}
    [turn] = db.session.scalars(select(CallTurn)).all()
    assert turn.status == "failed" and turn.fallbacks == [{"stage": "recording", "reason": "no RecordingUrl"}]


def test_seed_handle_recording_without_anything_answers_200(client):
    text, _ = said(client.post("/webhook/handle_recording"))
    assert text == "סליחה, לא קיבלתי הקלטה. איך אפשר לעזור?"


@pytest.mark.parametrize("problem", ["500", "slow", "missing", "too_large"])
def test_recording_download_failure_says_the_download_apology(client, db, voice_config, fake_server, problem,
                                                              monkeypatch, app):
    if problem == "500":
        fake_server.route("GET", "/rec/RE1.mp3", status=500, body=b"boom")
    elif problem == "slow":
        fake_server.route("GET", "/rec/RE1.mp3", body=RECORDING, delay=4, headers={"Content-Type": "audio/mpeg"})
    elif problem == "too_large":
        monkeypatch.setitem(app.config, "RECORDING_MAX_BYTES", 100)
        fake_server.route("GET", "/rec/RE1.mp3", body=RECORDING, headers={"Content-Type": "audio/mpeg"})
    response = client.post("/webhook/handle_recording", data=call_form(RecordingUrl=f"{fake_server.url}/rec/RE1"))
    assert said(response)[0] == "תקלה זמנית בהורדת ההקלטה. כיצד לעזור?"
    turn = db.session.scalars(select(CallTurn)).one()
    assert turn.fallbacks[0]["stage"] == "download"
    assert turn.recording_url == f"{fake_server.url}/rec/RE1"
    if problem == "slow":
        assert turn.latencies["download_ms"] < 3900  # gave up at the timeout, did not wait it out


def test_recording_on_a_host_that_is_not_twilio_is_never_fetched(client, db, voice_config, fake_server,
                                                                 monkeypatch, app):
    monkeypatch.setitem(app.config, "RECORDING_HOSTS", "api.twilio.com")
    fake_server.route("GET", "/rec/RE1.mp3", body=RECORDING)
    response = client.post("/webhook/handle_recording", data=call_form(RecordingUrl=f"{fake_server.url}/rec/RE1"))
    assert said(response)[0] == "תקלה זמנית בהורדת ההקלטה. כיצד לעזור?"
    assert fake_server.requests == []
    assert db.session.scalars(select(CallTurn)).one().fallbacks[0]["reason"] == "url refused"


def _asr_ok(fake_server, text="מה הסטטוס של ההזמנה שלי?"):
    fake_server.route("POST", "/v1/audio/transcriptions", body={"text": text})


def _recording(fake_server):
    fake_server.route("GET", "/rec/RE1.mp3", body=RECORDING, headers={"Content-Type": "audio/mpeg"})
    return f"{fake_server.url}/rec/RE1"


def test_transcription_failure_says_the_not_understood_apology(client, db, voice_config, fake_server, app, monkeypatch):
    monkeypatch.setitem(app.config, "OPENAI_BASE_URL", f"{fake_server.url}/v1")
    fake_server.route("POST", "/v1/audio/transcriptions", status=500, body={"error": {"message": "down"}})
    response = client.post("/webhook/handle_recording", data=call_form(RecordingUrl=_recording(fake_server)))
    assert said(response)[0] == "לא הצלחתי להבין את ההקלטה. איך לעזור?"
    turn = db.session.scalars(select(CallTurn)).one()
    assert turn.fallbacks == [{"stage": "asr", "reason": "HTTP 500"}] and turn.asr_provider == "openai"


def test_silent_recording_counts_as_not_understood(client, db, voice_config, fake_server, app, monkeypatch):
    monkeypatch.setitem(app.config, "OPENAI_BASE_URL", f"{fake_server.url}/v1")
    _asr_ok(fake_server, text="  ")
    response = client.post("/webhook/handle_recording", data=call_form(RecordingUrl=_recording(fake_server)))
    assert said(response)[0] == "לא הצלחתי להבין את ההקלטה. איך לעזור?"


def test_cloud_reply_failure_falls_back_to_the_offline_responder_visibly(
        client, db, voice_config, fake_server, app, monkeypatch, voice_business, make_customer):
    make_customer(voice_business, name="דנה כהן", phone="+972502345678")
    monkeypatch.setitem(app.config, "OPENAI_BASE_URL", f"{fake_server.url}/v1")
    monkeypatch.setitem(app.config, "REPLY_PROVIDER", "openai")
    _asr_ok(fake_server, "מתי אתם פתוחים?")
    fake_server.route("POST", "/v1/chat/completions", status=503, body={"error": {"message": "overloaded"}})
    client.post("/webhook/incoming_call", data=call_form())
    root = twiml(client.post("/webhook/handle_recording", data=call_form(RecordingUrl=_recording(fake_server))))
    assert root.find("Play") is not None
    turn = db.session.scalars(select(CallTurn)).one()
    assert turn.reply_provider == "offline"
    assert turn.fallbacks == [{"stage": "reply", "reason": "HTTP 503"}]
    assert "ראשון עד חמישי 09:00 עד 17:00" in turn.reply


def test_when_no_reply_can_be_made_the_seed_sentence_is_the_reply(
        client, db, voice_config, fake_server, app, monkeypatch):
    monkeypatch.setitem(app.config, "OPENAI_BASE_URL", f"{fake_server.url}/v1")
    monkeypatch.setitem(app.config, "TTS_PROVIDER", "openai")  # fails too: the reply is spoken by <Say>
    _asr_ok(fake_server)

    def broken(self, transcript, ctx):
        raise RuntimeError("responder bug")
    monkeypatch.setattr("server.providers.reply.offline.OfflineResponder.reply", broken)
    monkeypatch.setitem(app.config, "REPLY_PROVIDER", "openai")
    fake_server.route("POST", "/v1/chat/completions", status=500, body={})
    response = client.post("/webhook/handle_recording", data=call_form(RecordingUrl=_recording(fake_server)))
    assert said(response)[0] == "קיבלתי את הבקשה. לבצע כעת?"
    turn = db.session.scalars(select(CallTurn)).one()
    assert turn.reply == "קיבלתי את הבקשה. לבצע כעת?" and turn.reply_provider == "fixed"
    assert [f["stage"] for f in turn.fallbacks] == ["reply", "reply", "tts"]


def test_speech_synthesis_failure_says_the_reply_itself(
        client, db, voice_config, fake_server, app, monkeypatch, voice_business):
    monkeypatch.setitem(app.config, "OPENAI_BASE_URL", f"{fake_server.url}/v1")
    monkeypatch.setitem(app.config, "TTS_PROVIDER", "openai")
    fake_server.route("POST", "/v1/audio/speech", status=429, body={"error": {"message": "rate"}})
    _asr_ok(fake_server, "מתי אתם פתוחים")
    client.post("/webhook/incoming_call", data=call_form())
    text, attrib = said(client.post("/webhook/handle_recording", data=call_form(RecordingUrl=_recording(fake_server))))
    turn = db.session.scalars(select(CallTurn)).one()
    assert text == turn.reply and "שעות הפעילות שלנו" in text and attrib == {"language": "he-IL"}
    assert turn.fallbacks == [{"stage": "tts", "reason": "HTTP 429"}] and turn.audio_url is None


def test_an_internal_error_still_answers_the_last_resort_sentence(client, voice_config, monkeypatch):
    def boom(form, base_url):
        raise RuntimeError("database is down")
    monkeypatch.setattr(turns, "_handle_recording", boom)
    text, _ = said(client.post("/webhook/handle_recording", data=call_form(RecordingUrl="https://api.twilio.com/x")))
    assert text == "אוקיי. רשמתי לפני. איך עוד לעזור?"


# ---- handle_recording: the happy path -------------------------------------------------

def test_a_turn_answers_from_the_crm_and_plays_audio_that_is_served(
        client, db, voice_config, fake_server, app, monkeypatch, voice_business, make_customer, events):
    from datetime import datetime, timezone
    from server.models import Invoice
    dana = make_customer(voice_business, name="דנה כהן", phone="+972502345678")
    db.session.add(Invoice(business_id=voice_business.id, customer_id=dana.id, number=17, status="issued",
                           amount_agorot=100000, total_agorot=118000, issued_at=datetime(2026, 11, 1, tzinfo=timezone.utc),
                           due_at=datetime(2026, 12, 1, 10, tzinfo=timezone.utc)))
    db.session.commit()
    monkeypatch.setitem(app.config, "OPENAI_BASE_URL", f"{fake_server.url}/v1")
    monkeypatch.setitem(app.config, "TWILIO_ACCOUNT_SID", "AC123")
    _asr_ok(fake_server, "מה עם החשבונית שלי?")
    client.post("/webhook/incoming_call", data=call_form())
    root = twiml(client.post("/webhook/handle_recording",
                             data=call_form(RecordingUrl=_recording(fake_server)), base_url="https://voice.test"))
    play_url = root.find("Play").text
    assert play_url.startswith("https://voice.test/media/voice/")

    turn = db.session.scalars(select(CallTurn)).one()
    assert turn.transcript == "מה עם החשבונית שלי?"
    assert turn.reply.startswith("שלום דנה!")
    assert "חשבונית מספר 17 על סך 1180 שקלים ממתינה לתשלום עד 1.12" in turn.reply
    assert (turn.asr_provider, turn.reply_provider, turn.tts_provider) == ("openai", "offline", "espeak")
    assert set(turn.latencies) == {"download_ms", "asr_ms", "reply_ms", "tts_ms", "total_ms"}
    assert turn.fallbacks == [] and turn.intents == ["invoice_status"] and turn.audio_url == play_url
    assert events[-1][2]["turns"][0]["reply"] == turn.reply

    audio = client.get(play_url.replace("https://voice.test", ""))
    assert audio.status_code == 200 and audio.mimetype == "audio/mpeg"
    assert audio.data[:3] == b"ID3" or audio.data[:2] in (b"\xff\xfb", b"\xff\xf3", b"\xff\xf2")
    assert len(audio.data) > 2000

    # The recording was fetched as {RecordingUrl}.mp3 with no credentials (no auth token set).
    fetch = [r for r in fake_server.requests if r.path == "/rec/RE1.mp3"][0]
    assert "authorization" not in fetch.headers


def test_a_callback_request_becomes_a_task_on_the_customer(
        client, db, voice_config, fake_server, app, monkeypatch, voice_business, make_customer):
    dana = make_customer(voice_business, name="דנה כהן", phone="+972502345678")
    monkeypatch.setitem(app.config, "OPENAI_BASE_URL", f"{fake_server.url}/v1")
    _asr_ok(fake_server, "תחזרו אליי בבקשה מחר בבוקר")
    client.post("/webhook/incoming_call", data=call_form())
    client.post("/webhook/handle_recording", data=call_form(RecordingUrl=_recording(fake_server)))
    task = db.session.scalars(select(Task)).one()
    call = calls(db)[0]
    assert (task.customer_id, task.business_id, task.source, task.call_id, task.status) == (
        dana.id, voice_business.id, "call", call.id, "open")
    assert "תחזרו אליי בבקשה מחר בבוקר" in task.description
    assert call.turns[0].tool_calls == [{"name": "create_callback_task", "result": {"type": "callback",
                                                                                     "task_id": task.id}}]


def test_turns_are_numbered_in_order_on_the_call(client, db, voice_config, fake_server, app, monkeypatch,
                                                 voice_business):
    monkeypatch.setitem(app.config, "OPENAI_BASE_URL", f"{fake_server.url}/v1")
    _asr_ok(fake_server, "שלום")
    client.post("/webhook/incoming_call", data=call_form())
    for _ in range(2):
        client.post("/webhook/handle_recording", data=call_form(RecordingUrl=_recording(fake_server)))
    call = calls(db)[0]
    assert [t.index for t in call.turns] == [0, 1]
    assert call.turns[0].reply.startswith("שלום") and not call.turns[1].reply.startswith("שלום")
    assert call.to_dict()["turns"][1]["providers"] == {"asr": "openai", "reply": "offline", "tts": "espeak"}


def test_recording_download_sends_the_twilio_account_credentials(client, db, voice_config, fake_server, app,
                                                                  monkeypatch):
    import base64
    monkeypatch.setitem(app.config, "TWILIO_ACCOUNT_SID", "AC123")
    monkeypatch.setitem(app.config, "TWILIO_AUTH_TOKEN", "auth-token-xyz")
    monkeypatch.setitem(app.config, "OPENAI_BASE_URL", f"{fake_server.url}/v1")
    _asr_ok(fake_server)
    form = call_form(RecordingUrl=_recording(fake_server))
    url = "http://localhost/webhook/handle_recording"
    signature = RequestValidator("auth-token-xyz").compute_signature(url, form)
    response = client.post("/webhook/handle_recording", data=form, headers={"X-Twilio-Signature": signature})
    assert response.status_code == 200
    fetch = [r for r in fake_server.requests if r.path == "/rec/RE1.mp3"][0]
    assert fetch.headers["authorization"] == "Basic " + base64.b64encode(b"AC123:auth-token-xyz").decode()


# ---- signatures ------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/webhook/incoming_call", "/webhook/handle_recording", "/webhook/call_status"])
def test_forged_or_missing_signature_is_403_and_stores_nothing(client, db, app, monkeypatch, voice_business, path):
    monkeypatch.setitem(app.config, "TWILIO_AUTH_TOKEN", "auth-token-xyz")
    monkeypatch.setitem(app.config, "HOST", "https://kesher.example.co.il")
    form = call_form(CallStatus="completed")
    forged = RequestValidator("another-token").compute_signature("https://kesher.example.co.il" + path, form)
    assert client.post(path, data=form, headers={"X-Twilio-Signature": forged}).status_code == 403
    response = client.post(path, data=form)
    assert response.status_code == 403 and response.get_json() == {"error": "invalid signature", "code": "invalid_signature"}
    assert calls(db) == [] and db.session.scalars(select(Customer)).all() == []


def test_valid_signature_on_the_public_url_is_accepted(client, db, app, monkeypatch, voice_business):
    monkeypatch.setitem(app.config, "TWILIO_AUTH_TOKEN", "auth-token-xyz")
    monkeypatch.setitem(app.config, "HOST", "https://kesher.example.co.il")
    form = call_form()
    signature = RequestValidator("auth-token-xyz").compute_signature(
        "https://kesher.example.co.il/webhook/incoming_call", form)
    response = client.post("/webhook/incoming_call", data=form, headers={"X-Twilio-Signature": signature})
    assert twiml(response).find("Record") is not None
    assert len(calls(db)) == 1


# ---- call_status -----------------------------------------------------------------------

def test_call_status_answers_200_to_post_and_get(client):
    assert client.post("/webhook/call_status").status_code == 200
    assert client.get("/webhook/call_status").status_code == 200


def test_call_status_is_idempotent_and_never_moves_a_finished_call_back(client, db, voice_business, events):
    client.post("/webhook/incoming_call", data=call_form())
    for _ in range(2):
        client.post("/webhook/call_status", data=call_form(CallStatus="completed", CallDuration="42"))
    client.post("/webhook/call_status", data=call_form(CallStatus="in-progress"))   # late, out of order
    client.get("/webhook/call_status", query_string=call_form(CallStatus="ringing", CallDuration="1"))
    call = calls(db)[0]
    assert (call.status, call.duration_seconds) == ("completed", 42) and call.ended_at is not None
    assert [e[2]["status"] for e in events if e[1] == "call.updated"] == ["in-progress", "completed"]


def test_status_for_a_call_never_seen_is_kept(client, db, voice_business):
    client.post("/webhook/call_status", data=call_form(call_sid="CA-late", CallStatus="no-answer"))
    [call] = calls(db)
    assert (call.call_sid, call.status, call.business_id) == ("CA-late", "no-answer", voice_business.id)


def test_status_moves_forward_through_ringing_and_in_progress(client, db, voice_business):
    client.post("/webhook/call_status", data=call_form(CallStatus="ringing"))
    assert calls(db)[0].status == "in-progress"  # a call is in progress once logged; ringing is earlier
    client.post("/webhook/call_status", data=call_form(CallStatus="busy"))
    db.session.expire_all()
    assert calls(db)[0].status == "busy"
