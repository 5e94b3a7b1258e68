"""The pieces: μ-law, sentence streaming, the Hebrew end-of-turn rule, per-business settings,
the TwiML that starts a stream, what follows it, and the streaming OpenAI adapter."""
from __future__ import annotations

import warnings
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from server.providers import phone_audio as audio
from server.providers.errors import ProviderError
from server.providers.reply import CallerContext
from server.providers.reply.openai_stream import OpenAIStreamingReply
from server.services.voice.stream.turn import SentenceSplitter, split_sentences
from server.services.voice.stream.turn_taking import DEFAULTS, classify, silence_needed, tuning_for
from server.tests.stream.fake_openai import FakeOpenAI


def test_mulaw_matches_g711_as_audioop_does_it():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import audioop
    samples = np.concatenate([np.arange(-32768, 32768, 7, dtype=np.int32), [0, 1, -1, 32767, -32768]]).astype(np.int16)
    assert audio.ulaw_encode(samples) == audioop.lin2ulaw(samples.tobytes(), 2)
    every_byte = bytes(range(256))
    assert audio.ulaw_decode(every_byte).tobytes() == audioop.ulaw2lin(every_byte, 2)


def test_phone_audio_is_8khz_mulaw_in_20ms_frames():
    tone = np.sin(2 * np.pi * 440 * np.arange(22050) / 22050).astype(np.float32) * 0.5  # 1 s at 22.05 kHz
    ulaw = audio.to_phone(tone, 22050)
    assert len(ulaw) == 8000
    frames = audio.frames(ulaw[:8000 - 30])
    assert len(frames) == 50 and all(len(f) == 160 for f in frames) and frames[-1].endswith(b"\xff" * 30)
    back = audio.ulaw_decode(ulaw).astype(np.float32) / 32768
    assert 0.3 < np.abs(back).max() < 0.6  # the tone survived resampling and companding


def test_sentences_are_released_as_soon_as_they_are_whole():
    splitter = SentenceSplitter()
    assert splitter.feed("שלום דנה") == []
    assert splitter.feed("! שעות הפעילות שלנו") == ["שלום דנה!"]
    assert splitter.feed(": ראשון עד חמישי 9.") == []                # "9." may become "9.5"
    assert splitter.feed("5 שעות") == []                               # and it did: not a sentence end
    assert splitter.feed(". עוד משהו?") == ["שעות הפעילות שלנו: ראשון עד חמישי 9.5 שעות.", "עוד משהו?"]
    assert splitter.flush() == []
    assert split_sentences("ההזמנה שלך בדרך אלייך כבר מהבוקר, והיא תגיע מחר בצהריים.") == [
        "ההזמנה שלך בדרך אלייך כבר מהבוקר,", "והיא תגיע מחר בצהריים."]


@pytest.mark.parametrize("text,kind", [
    ("מה שעות הפתיחה שלכם", "complete"), ("מתי אתם פתוחים?", "complete"), ("תודה רבה", "complete"),
    ("כן", "complete"), ("ההזמנה שלי", "complete"),
    ("אני רוצה לשאול על", "incomplete"), ("רציתי לדעת אם", "incomplete"), ("ההזמנה, אממ", "incomplete"),
    ("יש לי ו", "incomplete"), ("משהו אחר לגמרי בכלל", "unknown"), ("", "unknown"),
    ("מה שעות הפתיחה...", "complete"), ("רציתי רק להגיד...", "unknown"),
])
def test_hebrew_end_of_turn_rule(text, kind):
    assert classify(text) == kind


def test_silence_needed_follows_the_rule_and_the_business_tuning():
    tuning = tuning_for({"stream_tuning": {"eot_short_ms": 250, "eot_long_ms": 2000}})
    assert silence_needed("complete", tuning) == 250
    assert silence_needed("incomplete", tuning) == 2000
    assert silence_needed("unknown", tuning) == DEFAULTS["eot_silence_ms"]
    assert silence_needed("complete", tuning) < silence_needed("unknown", tuning) < silence_needed("incomplete", tuning)


def test_voice_mode_and_stream_tuning_settings(client, login_as, make_business):
    b = make_business("סטרים")
    login_as("admin")
    ok = client.put(f"/api/businesses/{b.id}", json={"settings": {
        "voice_mode": "stream", "stream_tuning": {"eot_short_ms": 250, "barge_in_ms": 200, "vad_threshold": 0.6}}})
    assert ok.status_code == 200, ok.get_json()
    assert ok.get_json()["settings"]["voice_mode"] == "stream"
    assert ok.get_json()["settings"]["stream_tuning"] == {"eot_short_ms": 250, "barge_in_ms": 200, "vad_threshold": 0.6}
    bad = client.put(f"/api/businesses/{b.id}", json={"settings": {
        "voice_mode": "fast", "stream_tuning": {"eot_short_ms": 5, "colour": 1, "barge_in_ms": True}}})
    assert bad.status_code == 422
    assert set(bad.get_json()["fields"]) == {"settings.voice_mode", "settings.stream_tuning.eot_short_ms",
                                             "settings.stream_tuning.colour", "settings.stream_tuning.barge_in_ms"}
    assert client.put(f"/api/businesses/{b.id}", json={"settings": {"voice_mode": "record"}}).status_code == 200


def _form(**extra):
    return {"CallSid": "CA0001", "From": "+972502345678", "To": "+97235551234", "AccountSid": "AC123", **extra}


def test_incoming_call_connects_a_stream_for_a_stream_business(client, app, monkeypatch, make_business):
    monkeypatch.setitem(app.config, "HOST", "https://kesher.example")
    make_business("סטרים", voice_number="+97235551234", settings={"voice_mode": "stream"})
    r = client.post("/webhook/incoming_call", data=_form())
    assert r.status_code == 200 and r.mimetype == "text/xml"
    root = ET.fromstring(r.data)
    connect = root.find("Connect")
    assert connect is not None and root.find("Record") is None
    assert connect.get("action") == "/webhook/media_stream/ended"
    stream = connect.find("Stream")
    assert stream.get("url") == "wss://kesher.example/webhook/media_stream"
    params = {p.get("name"): p.get("value") for p in stream.findall("Parameter")}
    # The caller's and business's numbers are not handed to the stream: they come from the
    # call this one-time token is bound to.
    assert set(params) == {"CallSid", "token"} and params["CallSid"] == "CA0001"
    assert len(params["token"]) >= 40


def test_incoming_call_keeps_the_seed_record_path_by_default(client, make_business):
    make_business("רגיל", voice_number="+97235551234")
    root = ET.fromstring(client.post("/webhook/incoming_call", data=_form()).data)
    assert root.find("Connect") is None and root.find("Record").get("timeout") == "5"


def test_after_a_stream_that_never_started_the_call_falls_back_to_recording(client, make_business):
    make_business("סטרים", voice_number="+97235551234", settings={"voice_mode": "stream"})
    client.post("/webhook/incoming_call", data=_form())
    root = ET.fromstring(client.post("/webhook/media_stream/ended", data=_form()).data)
    assert root.find("Record").get("action") == "/webhook/handle_recording"


def test_after_a_finished_stream_the_call_hangs_up(client, db, make_business):
    from server.models import CallLog
    make_business("סטרים", voice_number="+97235551234", settings={"voice_mode": "stream"})
    client.post("/webhook/incoming_call", data=_form())
    call = db.session.query(CallLog).one()
    call.state = {"stream": {"stream_sid": "MZ1", "end_reason": "agent ended the call", "next": "hangup"}}
    db.session.commit()
    root = ET.fromstring(client.post("/webhook/media_stream/ended", data=_form()).data)
    assert root.find("Hangup") is not None


def test_stream_ended_needs_a_twilio_signature_when_a_token_is_set(client, app, monkeypatch):
    monkeypatch.setitem(app.config, "TWILIO_AUTH_TOKEN", "tok")
    assert client.post("/webhook/media_stream/ended", data=_form()).status_code == 403


def test_a_plain_http_get_of_the_websocket_url_is_not_a_conversation(client):
    assert client.get("/webhook/media_stream").status_code in (400, 404, 405)


# ---- OpenAI streaming adapter against a local server speaking its SSE format ---------------

def _adapter(url):
    return OpenAIStreamingReply.from_config({"OPENAI_API_KEY": "sk-test", "OPENAI_BASE_URL": url, "PROVIDER_TIMEOUT": 3})


def test_openai_stream_yields_the_reply_as_it_arrives():
    fake = FakeOpenAI(["שלום", " דנה", "!", " אנחנו", " פתוחים", "."])
    try:
        ctx = CallerContext(business_name="מספרת רותי", hours="ראשון עד חמישי")
        pieces = list(_adapter(fake.url).stream("מתי אתם פתוחים?", ctx))
    finally:
        fake.close()
    assert "".join(pieces) == "שלום דנה! אנחנו פתוחים."
    request = fake.requests[0]
    assert request["path"] == "/v1/chat/completions" and request["body"]["stream"] is True
    assert request["authorization"] == "Bearer sk-test"
    assert request["body"]["messages"][-1] == {"role": "user", "content": "מתי אתם פתוחים?"}
    assert "מספרת רותי" in request["body"]["messages"][0]["content"]


@pytest.mark.parametrize("kwargs,reason", [
    ({"pieces": [], "status": 500}, "500"),
    ({"pieces": [], "raw_lines": [b"data: {not json\n\n"]}, "malformed"),
    ({"pieces": [], "raw_lines": [b"data: [DONE]\n\n"]}, "empty"),
])
def test_openai_stream_failures_are_provider_errors(kwargs, reason):
    fake = FakeOpenAI(**kwargs)
    try:
        with pytest.raises(ProviderError) as err:
            list(_adapter(fake.url).stream("שלום", CallerContext()))
    finally:
        fake.close()
    assert reason in err.value.reason


def test_openai_stream_without_a_key_is_refused_before_any_request():
    with pytest.raises(ProviderError, match="OPENAI_API_KEY"):
        list(OpenAIStreamingReply.from_config({}).stream("שלום", CallerContext()))


@pytest.mark.parametrize("provider", ["silero", "energy"])
def test_voice_activity_tells_hebrew_speech_from_line_silence(provider):
    """Both detectors, window by window: the caller's speech scores high, a quiet line low,
    and samples that do not fill a window wait for the next push."""
    import numpy as np

    from server.providers.vad import WINDOW, get_vad
    from server.providers import phone_audio as audio
    from server.tests.stream.media_client import hebrew_speech

    vad = get_vad({"VAD_PROVIDER": provider})
    assert vad.name == provider and vad.fallback_reason is None
    # What the session hands the detector: the phone line's 8 kHz μ-law, lifted to 16 kHz.
    speech = audio.resample(audio.ulaw_decode(hebrew_speech("שלום, מתי אתם פתוחים היום?")) / 32768.0, 8000, 16000)
    silence = np.random.default_rng(7).normal(0, 0.0005, 16000).astype(np.float32)  # line hiss

    stream = vad.stream()
    assert stream.push(speech[:WINDOW - 1]) == []
    speech_probs = stream.push(speech[WINDOW - 1:])
    quiet_probs = vad.stream().push(silence)
    assert len(quiet_probs) == len(silence) // WINDOW
    assert max(quiet_probs) < 0.3
    assert np.mean(np.array(speech_probs) > 0.5) > 0.5, speech_probs


@pytest.mark.parametrize("frame", ["[" * 100_000 + "]" * 100_000,
                                   '{"event": "start", "start": {"callSid": "CA\\ud800", "streamSid": "MZ1"}}',
                                   '{"event": "start", "start": {"callSid": "CA\\u0000", "streamSid": "MZ1"}}'])
def test_a_hostile_media_stream_frame_is_counted_as_malformed_not_a_crash(app, frame):
    from server.services.voice.stream.session import StreamSession
    session = StreamSession(ws=None, app=app)
    session.handle(frame)
    assert session.stats["malformed"] == 1 and session.call_sid is None and not session.closed
