"""The real offline chain, end to end, with nothing mocked:

espeak-ng speaks a Hebrew request → it is served as a Twilio recording (8 kHz MP3) by a
real HTTP server → the local Whisper transcribes it → the responder answers from the
CRM → espeak-ng speaks the answer → the TwiML <Play>s a file that exists and is audio.

It loads the Whisper model (a second or two) and decodes real audio, so it runs on the
SQLite lane only: nothing in it depends on the database engine, and CI's PostgreSQL
lane runs every database-facing voice test already.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import xml.etree.ElementTree as ET
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from server.models import CallTurn
from server.tests.voice.conftest import call_form

# Skipped on a laptop without the engines; never in CI (`.ci/run` sets CI and installs them).
pytestmark = [
    pytest.mark.skipif(not (shutil.which("espeak-ng") and shutil.which("ffmpeg")) and not os.environ.get("CI"),
                       reason="espeak-ng and ffmpeg are installed by `make sysdeps` (root)"),
]


@pytest.fixture(autouse=True)
def _sqlite_lane_only(app):
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        pytest.skip("offline audio chain runs on the SQLite lane (no database-specific behaviour)")


def phone_recording(text: str) -> bytes:
    """What Twilio would hand us: the caller's speech as an 8 kHz mono MP3."""
    from server.providers.tts.espeak import EspeakTTS
    wav = EspeakTTS.from_config({"ESPEAK_MODE": "g2p", "ESPEAK_RATE": 130}).wav(text)
    return subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-f", "wav", "-i", "pipe:0",
                           "-ar", "8000", "-ac", "1", "-codec:a", "libmp3lame", "-b:a", "32k", "-f", "mp3", "pipe:1"],
                          input=wav, capture_output=True, check=True).stdout


def decoded_seconds(data: bytes) -> float:
    pcm = subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-i", "pipe:0", "-f", "s16le", "-ac", "1",
                          "-ar", "8000", "pipe:1"], input=data, capture_output=True, check=True).stdout
    return len(pcm) / 2 / 8000


def test_caller_asks_for_opening_hours_and_hears_them_from_the_business_settings(
        client, db, app, monkeypatch, fake_server, voice_config, voice_business, make_customer):
    make_customer(voice_business, name="דנה כהן", phone="+972502345678")
    for key, value in {"ASR_PROVIDER": "local", "REPLY_PROVIDER": "offline", "TTS_PROVIDER": "espeak",
                       "ESPEAK_MODE": "g2p", "OPENAI_API_KEY": None}.items():
        monkeypatch.setitem(app.config, key, value)
    fake_server.route("GET", "/2010-04-01/Accounts/AC123/Recordings/RE1.mp3",
                      body=phone_recording("מה שעות הפתיחה שלכם?"), headers={"Content-Type": "audio/mpeg"})

    client.post("/webhook/incoming_call", data=call_form())
    response = client.post("/webhook/handle_recording", data=call_form(
        RecordingUrl=f"{fake_server.url}/2010-04-01/Accounts/AC123/Recordings/RE1"))

    root = ET.fromstring(response.data)
    turn = db.session.scalars(select(CallTurn)).one()
    assert turn.fallbacks == [], turn.fallbacks
    assert (turn.asr_provider, turn.reply_provider, turn.tts_provider) == ("local", "offline", "espeak")
    assert turn.transcript.strip()                        # Whisper heard the request...
    assert "hours" in turn.intents, turn.transcript       # ...the responder understood it...
    assert "ראשון עד חמישי 09:00 עד 17:00" in turn.reply  # ...and answered from the business's settings
    play = root.find("Play")
    assert play is not None and play.text == turn.audio_url
    audio = client.get(urlsplit(play.text).path)
    assert audio.status_code == 200 and audio.mimetype == "audio/mpeg"
    assert decoded_seconds(audio.data) > 2.0             # a spoken sentence, not an empty file
    assert turn.latencies["asr_ms"] > 0 and turn.latencies["tts_ms"] > 0


def test_local_whisper_rejects_audio_it_cannot_decode(app):
    from server.providers.asr import get_asr
    from server.providers.errors import ProviderError
    asr = get_asr(app.config, "local")
    with pytest.raises(ProviderError, match="transcription failed"):
        asr.transcribe(b"this is not audio at all")
