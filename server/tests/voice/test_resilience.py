"""Issue 7 audit: whatever breaks inside a turn (a responder bug, a stuck encoder, a full
disk, the database), the caller still hears the seed's sentence or the reply itself."""
from __future__ import annotations

import errno
import io
import logging
import os
import subprocess
import time
import wave
import xml.etree.ElementTree as ET
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select
from twilio.request_validator import RequestValidator

from server.models import CallLog, CallTurn, Customer
from server.providers.tts import Audio
from server.services.voice.prompts import REPLY_FALLBACK
from server.tests.voice.conftest import call_form, say_in_turn

MP3 = b"ID3\x04\x00\x00\x00\x00\x00\x00" + b"\xff\xfb\x90\x64" * 100


def twiml(response):
    assert response.status_code == 200, response.data
    assert response.mimetype == "text/xml"
    return ET.fromstring(response.data)


def _wav(seconds: float = 0.2) -> bytes:
    buf = io.BytesIO()
    with wave.open(buf, "wb") as wf:
        wf.setnchannels(1)
        wf.setsampwidth(2)
        wf.setframerate(8000)
        wf.writeframes(b"\x00\x01" * int(8000 * seconds))
    return buf.getvalue()


class _FakeTTS:
    name = "espeak"

    def synthesize(self, text):
        return Audio(data=MP3, ext="mp3", provider=self.name)


@pytest.fixture()
def fake_tts(monkeypatch):
    """Speech synthesis that needs no espeak: a fixed MP3."""
    monkeypatch.setattr("server.providers.tts.get_tts", lambda config, name=None: _FakeTTS())


@pytest.fixture()
def cloud(app, monkeypatch, voice_config, fake_server):
    """voice_config with OpenAI (transcription, and TTS when chosen) on the local fake server."""
    monkeypatch.setitem(app.config, "OPENAI_BASE_URL", f"{fake_server.url}/v1")
    return fake_server


def _ask_the_hours(client, fake_server):
    """A caller asks for the opening hours in one recorded turn; the TwiML that answers."""
    recording = say_in_turn(fake_server, "מתי אתם פתוחים?")
    client.post("/webhook/incoming_call", data=call_form())
    return twiml(client.post("/webhook/handle_recording", data=call_form(RecordingUrl=recording)))


def _turn(db):
    db.session.expire_all()
    return db.session.scalars(select(CallTurn)).one()


# ---- the reply: any exception gives the seed's sentence -------------------------------

def test_offline_responder_crash_makes_the_seed_sentence_the_spoken_reply(
        client, db, app, monkeypatch, cloud, fake_server, voice_business):
    monkeypatch.setitem(app.config, "TTS_PROVIDER", "openai")  # fails too: <Say> speaks the reply
    fake_server.route("POST", "/v1/audio/speech", status=503, body={"error": {"message": "down"}})

    def broken(self, transcript, ctx):
        raise RuntimeError("responder bug")
    monkeypatch.setattr("server.providers.reply.offline.OfflineResponder.reply", broken)
    root = _ask_the_hours(client, fake_server)

    say = root.find("Say")
    assert say is not None and say.text == REPLY_FALLBACK and say.attrib == {"language": "he-IL"}
    turn = _turn(db)
    assert turn.reply == REPLY_FALLBACK and turn.reply_provider == "fixed"
    assert turn.fallbacks[0] == {"stage": "reply", "reason": "offline: RuntimeError"}


def test_offline_responder_crash_with_working_speech_plays_the_seed_sentence(
        client, db, app, monkeypatch, cloud, fake_server, voice_business, fake_tts):
    def broken(self, transcript, ctx):
        raise KeyError("hours")
    monkeypatch.setattr("server.providers.reply.offline.OfflineResponder.reply", broken)
    recording = say_in_turn(fake_server, "מה עם ההזמנה שלי?")
    root = twiml(client.post("/webhook/handle_recording", data=call_form(RecordingUrl=recording)))
    turn = _turn(db)
    assert root.find("Play") is not None and root.find("Play").text == turn.audio_url
    assert turn.reply == REPLY_FALLBACK and turn.status == "ready"


def test_a_database_error_reading_the_callers_context_still_gives_the_seed_reply(
        client, db, app, monkeypatch, cloud, fake_server, voice_business):
    from sqlalchemy.exc import OperationalError
    monkeypatch.setitem(app.config, "TTS_PROVIDER", "openai")
    fake_server.route("POST", "/v1/audio/speech", status=503, body={})

    def lost(call, history=None, transcript=None):
        raise OperationalError("SELECT", {}, Exception("server closed the connection"))
    monkeypatch.setattr("server.services.voice.context.build_context", lost)
    root = _ask_the_hours(client, fake_server)
    assert root.find("Say").text == REPLY_FALLBACK
    turn = _turn(db)
    assert turn.reply == REPLY_FALLBACK
    assert {"stage": "reply", "reason": "context: OperationalError"} in turn.fallbacks


# ---- speech: a stuck encoder or a synthesis bug still says the reply -----------------

def test_ffmpeg_timeout_serves_wav_instead(monkeypatch):
    from server.providers.tts import espeak

    monkeypatch.setattr(espeak.shutil, "which", lambda name: f"/usr/bin/{name}")

    def stuck(argv, **kwargs):
        raise subprocess.TimeoutExpired(argv, kwargs.get("timeout"))
    monkeypatch.setattr(espeak.subprocess, "run", stuck)
    assert espeak.wav_to_mp3(b"RIFF....WAVE") is None


def test_ffmpeg_timeout_in_a_call_plays_the_reply_as_wav(
        client, db, app, monkeypatch, cloud, fake_server, voice_business):
    from server.providers.tts import espeak

    monkeypatch.setattr(espeak.EspeakTTS, "wav", lambda self, text: _wav())
    monkeypatch.setattr(espeak.shutil, "which", lambda name: f"/usr/bin/{name}")

    def stuck(argv, **kwargs):
        raise subprocess.TimeoutExpired(argv, kwargs.get("timeout"))
    monkeypatch.setattr(espeak.subprocess, "run", stuck)
    root = _ask_the_hours(client, fake_server)
    turn = _turn(db)
    play = root.find("Play")
    assert play is not None and play.text == turn.audio_url and turn.audio_url.endswith(".wav")
    assert "שעות הפעילות שלנו" in turn.reply and turn.fallbacks == []


def test_a_synthesis_bug_says_the_reply_itself(client, db, app, monkeypatch, cloud, fake_server, voice_business):
    from server.providers.tts import espeak

    def bug(self, text):
        raise ValueError("bad phoneme table")
    monkeypatch.setattr(espeak.EspeakTTS, "synthesize", bug)
    root = _ask_the_hours(client, fake_server)
    turn = _turn(db)
    say = root.find("Say")
    assert say is not None and say.text == turn.reply and say.attrib == {"language": "he-IL"}
    assert "שעות הפעילות שלנו" in turn.reply and turn.audio_url is None
    assert turn.fallbacks == [{"stage": "tts", "reason": "espeak: ValueError"}]


# ---- storage: a full disk is named, logged and leaves no partial file -------------------

def _disk_full(monkeypatch):
    real = Path.write_bytes

    def write_bytes(self, data):
        real(self, data[:10])  # the disk filled up part way
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(self))
    monkeypatch.setattr(Path, "write_bytes", write_bytes)


def test_save_audio_on_a_full_disk_names_the_fault_and_leaves_no_tmp_file(app, voice_config, monkeypatch, caplog):
    from server.providers import storage

    directory = storage.voice_dir(app.config)
    _disk_full(monkeypatch)
    with caplog.at_level(logging.ERROR, logger="server.providers.storage"), pytest.raises(OSError) as raised:
        storage.save_audio(app.config, b"x" * 100, "mp3", "https://voice.test")
    assert storage.storage_reason(raised.value) == "storage: ENOSPC (disk full)"
    assert list(directory.iterdir()) == []
    assert [r.levelno for r in caplog.records] == [logging.ERROR] and "ENOSPC" in caplog.text


def test_read_only_storage_is_named_in_the_reason():
    from server.providers.storage import storage_reason
    assert storage_reason(OSError(errno.EROFS, "Read-only file system")) == "storage: EROFS (read-only file system)"
    assert storage_reason(OSError("no errno")) == "storage: OSError"


def test_full_disk_during_a_call_says_the_reply_and_records_enospc(
        client, db, app, monkeypatch, cloud, fake_server, voice_business, fake_tts):
    recording = say_in_turn(fake_server, "מתי אתם פתוחים?")
    client.post("/webhook/incoming_call", data=call_form())
    _disk_full(monkeypatch)
    root = twiml(client.post("/webhook/handle_recording", data=call_form(RecordingUrl=recording)))
    turn = _turn(db)
    assert root.find("Say").text == turn.reply and "שעות הפעילות שלנו" in turn.reply
    assert turn.fallbacks == [{"stage": "tts", "reason": "storage: ENOSPC (disk full)"}]


# ---- retention: an hourly job deletes expired audio, calls' and tries' alike -------------

def test_audio_cleanup_runs_hourly_with_huey():
    from server.extensions import huey
    from server.tasks import voice as voice_tasks

    assert "cleanup_audio_task" in {task.name for task in huey._registry.periodic_tasks}
    task = voice_tasks.cleanup_audio_task.task_class()
    runs = [hour for hour in range(24) if task.validate_datetime(datetime(2026, 1, 1, hour, 41))]
    assert runs == list(range(24))
    assert not task.validate_datetime(datetime(2026, 1, 1, 3, 42))


def test_audio_cleanup_job_deletes_only_expired_audio_including_agent_tries(
        client, db, app, monkeypatch, voice_config, login_as, make_business, fake_tts):
    from server.providers import storage
    from server.tasks import voice as voice_tasks

    monkeypatch.setitem(app.config, "VOICE_AUDIO_RETENTION_HOURS", 24)
    login_as("staff", business=make_business("מספרת רותי"))
    tried = client.post("/api/agent/try", json={"text": "מתי אתם פתוחים?"}).get_json()
    try_file = storage.voice_dir(app.config) / tried["audio_url"].rsplit("/", 1)[1]
    call_audio = storage.save_audio(app.config, MP3, "mp3", "https://voice.test")
    fresh = storage.save_audio(app.config, MP3, "mp3", "https://voice.test")
    expired = time.time() - 25 * 3600
    for path in (try_file, call_audio.path):
        os.utime(path, (expired, expired))

    assert voice_tasks.cleanup_audio_task.call_local() == 2
    assert not try_file.exists() and not call_audio.path.exists() and fresh.path.exists()


# ---- signatures behind the proxy (HOST empty) -------------------------------------------

@pytest.fixture()
def proxied_app(app):
    from server.app_factory import create_app
    from server.tests.conftest import make_test_config
    return create_app(make_test_config(TRUSTED_PROXIES=1, HOST="", TWILIO_AUTH_TOKEN="auth-token-xyz"))


PROXY_HEADERS = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "pub.example", "X-Forwarded-For": "203.0.113.9"}


def test_signature_behind_the_proxy_is_checked_on_the_forwarded_public_url(proxied_app, db, voice_business):
    form = call_form()
    signature = RequestValidator("auth-token-xyz").compute_signature("https://pub.example/webhook/incoming_call", form)
    with proxied_app.test_client() as c:
        response = c.post("/webhook/incoming_call", data=form, headers={**PROXY_HEADERS, "X-Twilio-Signature": signature})
    assert twiml(response).find("Record") is not None
    db.session.expire_all()
    assert db.session.scalar(select(func.count(CallLog.id))) == 1


def test_forged_signature_behind_the_proxy_is_403_and_stores_nothing(proxied_app, db, voice_business):
    form = call_form()
    # Signed for the internal URL gunicorn sees, not the public one Twilio called.
    internal = RequestValidator("auth-token-xyz").compute_signature("http://localhost/webhook/incoming_call", form)
    forged = RequestValidator("another-token").compute_signature("https://pub.example/webhook/incoming_call", form)
    with proxied_app.test_client() as c:
        for signature in (internal, forged):
            response = c.post("/webhook/incoming_call", data=form,
                              headers={**PROXY_HEADERS, "X-Twilio-Signature": signature})
            assert response.status_code == 403 and response.get_json() == {"error": "invalid signature", "code": "invalid_signature"}
    db.session.expire_all()
    assert db.session.scalar(select(func.count(CallLog.id))) == 0
    assert db.session.scalar(select(func.count(Customer.id))) == 0


# ---- the database down: the caller is still recorded, not handed Twilio's error ---------

def test_incoming_call_with_the_database_down_still_answers_the_record_twiml(caplog):
    from server.app_factory import create_app
    from server.tests.conftest import make_test_config

    # Port 1 on loopback: nothing listens, so the connection is refused at once.
    down = create_app(make_test_config(SQLALCHEMY_DATABASE_URI="postgresql+psycopg://nobody@127.0.0.1:1/none",
                                       SQLALCHEMY_ENGINE_OPTIONS={"connect_args": {"connect_timeout": 2}}))
    with caplog.at_level(logging.ERROR, logger="server.services.voice"):
        response = down.test_client().post("/webhook/incoming_call", data=call_form())
    root = twiml(response)
    record = root.find("Record")
    assert record is not None and record.attrib == {
        "action": "/webhook/handle_recording", "finishOnKey": "*", "maxLength": "30", "method": "POST",
        "playBeep": "true", "timeout": "5", "trim": "do-not-trim"}
    assert "database unavailable" in caplog.text and "CA0001" in caplog.text


# ---- a CallSid that is not one is never stored ---------------------------------------------

@pytest.mark.parametrize("path", ["/webhook/incoming_call", "/webhook/handle_recording", "/webhook/call_status"])
@pytest.mark.parametrize("body", [
    b"CallSid=CA%FF%FE%FD&From=%2B972502345678&To=%2B97235551234",
    b"CallSid=" + b"CA" + b"f" * 10_240 + b"&From=%2B972502345678&To=%2B97235551234",
    b"CallSid=CA%FF%FE&RecordingUrl=file%3A%2F%2F%2Fetc%2Fpasswd&From=%2B972502345678&To=%2B97235551234",
], ids=["non-utf8", "10kb", "file-url"])
def test_a_forged_call_sid_is_answered_and_nothing_is_stored(client, db, voice_config, voice_business, path, body):
    response = client.post(path, data=body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200
    db.session.expire_all()
    assert db.session.scalar(select(func.count(CallLog.id))) == 0
    assert db.session.scalar(select(func.count(Customer.id))) == 0


def test_a_file_url_as_recording_is_never_read(client, db, voice_config):
    response = client.post("/webhook/handle_recording", data={"RecordingUrl": "file:///etc/passwd"})
    assert twiml(response).find("Say").text == "תקלה זמנית בהורדת ההקלטה. כיצד לעזור?"
