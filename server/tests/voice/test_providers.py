"""Provider adapters against local servers that speak each provider's wire format."""
from __future__ import annotations

import base64
import hashlib
import os
import shutil
import sys

import pytest

from server.providers.asr import get_asr
from server.providers.asr.local_whisper import _echoes_prompt
from server.providers.errors import ProviderError
from server.providers.reply import CallerContext, get_reply
from server.providers.tts import get_tts

MP3 = b"ID3\x04\x00\x00\x00\x00\x00\x00" + b"\xff\xfb\x90\x64" * 100
needs_espeak = pytest.mark.skipif(shutil.which("espeak-ng") is None and not os.environ.get("CI"),
                                  reason="espeak-ng is installed by `make sysdeps` (root)")


def _cfg(fake_server, **extra):
    cfg = {"OPENAI_API_KEY": "sk-test-key-123456", "OPENAI_BASE_URL": f"{fake_server.url}/v1", "PROVIDER_TIMEOUT": 2}
    cfg.update(extra)
    return cfg


def _multipart_fields(seen) -> dict:
    from email.parser import BytesParser
    from email.policy import default
    raw = b"Content-Type: " + seen.headers["content-type"].encode() + b"\r\n\r\n" + seen.body
    message = BytesParser(policy=default).parsebytes(raw)
    fields = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        fields[name] = (part.get_filename(), part.get_payload(decode=True))
    return fields


def test_openai_transcription_sends_hebrew_audio_and_reads_the_text(fake_server):
    fake_server.route("POST", "/v1/audio/transcriptions", body={"text": " מה הסטטוס של ההזמנה? "})
    transcript = get_asr(_cfg(fake_server), "openai").transcribe(MP3, filename="recording.mp3")
    assert (transcript.text, transcript.provider) == ("מה הסטטוס של ההזמנה?", "openai")
    [seen] = fake_server.requests
    assert seen.headers["authorization"] == "Bearer sk-test-key-123456"
    fields = _multipart_fields(seen)
    assert fields["language"][1] == b"he" and fields["model"][1] == b"whisper-1"
    assert fields["file"] == ("recording.mp3", MP3)


def test_openai_transcription_error_is_a_provider_error_without_the_key(fake_server):
    fake_server.route("POST", "/v1/audio/transcriptions", status=401, body={"error": {"message": "bad key"}})
    with pytest.raises(ProviderError) as info:
        get_asr(_cfg(fake_server), "openai").transcribe(MP3)
    assert info.value.reason == "HTTP 401" and "sk-test" not in str(info.value)


def test_openai_without_a_key_fails_before_any_request(fake_server):
    with pytest.raises(ProviderError, match="OPENAI_API_KEY"):
        get_asr(_cfg(fake_server, OPENAI_API_KEY=None), "openai").transcribe(MP3)
    assert fake_server.requests == []


def test_openai_chat_reply_is_grounded_in_the_callers_record(fake_server):
    fake_server.route("POST", "/v1/chat/completions", body={
        "id": "chatcmpl-1", "object": "chat.completion",
        "choices": [{"index": 0, "finish_reason": "stop",
                     "message": {"role": "assistant", "content": "שלום דנה, ההזמנה שלך בדרך."}}]})
    ctx = CallerContext(business_name="מספרת רותי", customer_name="דנה כהן", known_customer=True,
                        tasks=[{"title": "תיקון מזגן", "status": "open", "due": "3.12"}], can_take_callback=True)
    result = get_reply(_cfg(fake_server), "openai").reply("תחזרו אליי לגבי ההזמנה", ctx)
    assert result.text == "שלום דנה, ההזמנה שלך בדרך." and result.provider == "openai"
    assert result.actions == [{"type": "callback", "note": "תחזרו אליי לגבי ההזמנה"}]
    body = fake_server.requests[0].json()
    assert body["model"] == "gpt-4o-mini"
    assert body["messages"][0]["role"] == "system" and "תיקון מזגן" in body["messages"][0]["content"]
    assert body["messages"][-1] == {"role": "user", "content": "תחזרו אליי לגבי ההזמנה"}


def test_openai_chat_malformed_answer_is_a_provider_error(fake_server):
    fake_server.route("POST", "/v1/chat/completions", body={"choices": []})
    with pytest.raises(ProviderError):
        get_reply(_cfg(fake_server), "openai").reply("שלום", CallerContext())


def test_google_tts_asks_for_hebrew_mp3_and_decodes_it(fake_server):
    fake_server.route("POST", "/v1/text:synthesize", body={"audioContent": base64.b64encode(MP3).decode()})
    tts = get_tts({"GOOGLE_TTS_BASE": fake_server.url, "GOOGLE_API_KEY": "AIza-test-key", "PROVIDER_TIMEOUT": 2},
                  "google")
    audio = tts.synthesize("שלום דנה")
    assert (audio.data, audio.ext, audio.provider, audio.mime) == (MP3, "mp3", "google", "audio/mpeg")
    seen = fake_server.requests[0]
    assert seen.headers["x-goog-api-key"] == "AIza-test-key"
    body = seen.json()
    assert body["input"] == {"text": "שלום דנה"} and body["voice"]["languageCode"] == "he-IL"
    assert body["audioConfig"]["audioEncoding"] == "MP3"


def test_google_tts_error_and_garbage_are_provider_errors(fake_server):
    cfg = {"GOOGLE_TTS_BASE": fake_server.url, "GOOGLE_API_KEY": "AIza-test-key", "PROVIDER_TIMEOUT": 2}
    fake_server.route("POST", "/v1/text:synthesize", status=403, body={"error": {"code": 403}})
    with pytest.raises(ProviderError, match="HTTP 403"):
        get_tts(cfg, "google").synthesize("שלום")
    fake_server.route("POST", "/v1/text:synthesize", body={"audioContent": base64.b64encode(b"not audio").decode()})
    with pytest.raises(ProviderError, match="not MP3"):
        get_tts(cfg, "google").synthesize("שלום")


def test_google_tts_without_credentials_says_what_to_set():
    with pytest.raises(ProviderError, match="GOOGLE_API_KEY"):
        get_tts({"GOOGLE_TTS_BASE": "http://127.0.0.1:9"}, "google").synthesize("שלום")


def test_openai_speech_returns_mp3(fake_server):
    fake_server.route("POST", "/v1/audio/speech", body=MP3, headers={"Content-Type": "audio/mpeg"})
    audio = get_tts(_cfg(fake_server), "openai").synthesize("שלום")
    assert audio.data == MP3 and audio.ext == "mp3"
    assert fake_server.requests[0].json() == {"model": "gpt-4o-mini-tts", "voice": "alloy", "input": "שלום",
                                              "response_format": "mp3"}


def test_unknown_provider_name_is_a_provider_error():
    with pytest.raises(ProviderError, match="unknown provider"):
        get_tts({}, "polly")


@needs_espeak
@pytest.mark.parametrize("mode", ["raw", "g2p"])
def test_espeak_speaks_hebrew_as_mp3(mode):
    audio = get_tts({"ESPEAK_MODE": mode}, "espeak").synthesize("שלום, ההזמנה שלך מוכנה.")
    assert audio.provider == "espeak"
    if shutil.which("ffmpeg"):
        assert audio.ext == "mp3" and (audio.data[:3] == b"ID3" or audio.data[0] == 0xFF)
    assert len(audio.data) > 3000


@needs_espeak
def test_espeak_word_gap_pauses_between_words():
    from server.providers.tts.espeak import EspeakTTS
    text = "מה המצב של ההזמנה שלי"
    tight = EspeakTTS.from_config({"ESPEAK_MODE": "raw", "ESPEAK_GAP": 0}).wav(text)
    default = EspeakTTS.from_config({"ESPEAK_MODE": "raw"}).wav(text)
    assert len(default) > len(tight) + 4 * 0.04 * 22050 * 2  # 4 gaps of 40 ms, 22 kHz 16-bit


def test_g2p_turns_hebrew_into_espeak_phonemes_and_keeps_numbers_as_text():
    pytest.importorskip("piper.phonemize_hebrew")
    from server.providers.tts.hebrew_g2p import to_espeak_input
    out = to_espeak_input("ההזמנה שלי עוד לא הגיעה, מספר 12")
    assert out.startswith("[[hahazman'a Sel'i") and "l'o" in out  # the lexicon fixes Nakdimon's לא
    assert " 12" in out and "[[" in out.split("12")[0]


def test_whisper_echoing_its_prompt_is_not_a_transcript():
    prompt = "הזמנה, חשבונית, נציג, שעות פתיחה"
    assert _echoes_prompt("הזמנה, חשבונית", prompt)
    assert not _echoes_prompt("מה עם החשבונית שלי", prompt)


def test_whisper_model_is_assembled_from_two_parts_and_verified(tmp_path, monkeypatch):
    from server.providers.asr import whisper_model
    for pkg, part, content in (("fakewhisper_a", "model.bin.part1", b"first-half-"),
                               ("fakewhisper_b", "model.bin.part2", b"second-half")):
        data = tmp_path / "site" / pkg / "data"
        data.mkdir(parents=True)
        (tmp_path / "site" / pkg / "__init__.py").write_text("")
        (data / part).write_bytes(content)
    for name in whisper_model.SIDE_FILES:
        (tmp_path / "site" / "fakewhisper_a" / "data" / name).write_text("{}")
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    monkeypatch.setattr(whisper_model, "PACKAGE_PAIRS", (("fakewhisper_a", "fakewhisper_b"),))

    monkeypatch.setattr(whisper_model, "MODEL_SHA256", hashlib.sha256(b"tampered").hexdigest())
    with pytest.raises(whisper_model.ModelUnavailable):
        whisper_model.assemble_base_model(tmp_path / "cache")
    assert not (tmp_path / "cache" / "whisper-base-ct2").exists()

    monkeypatch.setattr(whisper_model, "MODEL_SHA256", hashlib.sha256(b"first-half-second-half").hexdigest())
    folder = whisper_model.assemble_base_model(tmp_path / "cache")
    assert (folder / "model.bin").read_bytes() == b"first-half-second-half"
    assert sorted(p.name for p in folder.iterdir()) == [".sha256", "config.json", "model.bin", "tokenizer.json",
                                                        "vocabulary.txt"]
    sys.modules.pop("fakewhisper_a", None)
    sys.modules.pop("fakewhisper_b", None)



# ---- local Whisper: loaded once, int8 on CPU, Hebrew decoding settings ---------------------

def test_local_whisper_loads_the_model_once_per_process_int8_on_cpu_and_decodes_hebrew(app, monkeypatch, tmp_path):
    import threading
    from types import SimpleNamespace

    import faster_whisper

    loads, decodes = [], []

    class FakeWhisperModel:
        def __init__(self, path, **kwargs):
            loads.append((path, kwargs))

        def transcribe(self, audio, **kwargs):
            decodes.append(kwargs)
            segments = iter([SimpleNamespace(text=" מתי אתם "), SimpleNamespace(text="פתוחים?")])
            return segments, SimpleNamespace(language="he")
    monkeypatch.setattr(faster_whisper, "WhisperModel", FakeWhisperModel)
    config = {**app.config, "WHISPER_MODEL": str(tmp_path / "ivrit-ct2"), "WHISPER_PROMPT": None}

    texts = []
    threads = [threading.Thread(target=lambda: texts.append(get_asr(config, "local").transcribe(b"RIFF").text))
               for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    texts.append(get_asr(config, "local").transcribe(b"RIFF").text)

    assert texts == ["מתי אתם פתוחים?"] * 5
    assert loads == [(str(tmp_path / "ivrit-ct2"), {"device": "cpu", "compute_type": "int8", "local_files_only": True})]
    assert len(decodes) == 5
    for kwargs in decodes:
        assert kwargs["language"] == "he" and kwargs["task"] == "transcribe"
        assert kwargs["temperature"] in (0, 0.0, [0], [0.0], (0,), (0.0,))
        assert kwargs["no_repeat_ngram_size"] >= 2
