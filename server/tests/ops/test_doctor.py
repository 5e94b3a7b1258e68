import json

import pytest

from server.services import doctor

SECRETS = {
    "SECRET_KEY": "doctor-test-secret-key-0123456789",
    "TWILIO_ACCOUNT_SID": "ACdoctortestsid0000000000000000000",
    "TWILIO_AUTH_TOKEN": "twilio-token-doctor-9f8e7d",
    "OPENAI_API_KEY": "sk-doctor-openai-key-abcdef",
    "META_ACCESS_TOKEN": "meta-access-token-doctor-5555",
    "META_APP_SECRET": "meta-app-secret-doctor-6666",
    "WHATSAPP_VERIFY_TOKEN": "verify-token-doctor-7777",
}


REAL_PROBE_ENGINES = doctor.probe_engines
PRESENT = {"espeak": (True, "/usr/bin/espeak-ng, Hebrew voice"), "ffmpeg": (True, "/usr/bin/ffmpeg"),
           "whisper": (True, "base model"), "g2p": (True, "piper Nakdimon + Hebrew IPA rules")}


@pytest.fixture(autouse=True)
def _engines_present(monkeypatch):
    """The report's other items do not depend on what this machine has installed."""
    monkeypatch.setattr(doctor, "probe_engines", lambda config: dict(PRESENT))


def _run(app, *args):
    return app.test_cli_runner().invoke(args=["doctor", *args])


@pytest.fixture()
def configured(app, db, monkeypatch):
    for key, value in SECRETS.items():
        monkeypatch.setitem(app.config, key, value)
    monkeypatch.setitem(app.config, "REDIS_URL", "redis://:redis-pass-doctor-77@127.0.0.1:6379/15")
    monkeypatch.setitem(app.config, "RATELIMIT_STORAGE_URI", "redis://:redis-pass-doctor-77@127.0.0.1:6379/15")
    monkeypatch.setattr(doctor, "_ping_redis", lambda url: (True, "reachable"))
    return app


def test_doctor_lists_every_item_and_never_prints_a_secret(configured):
    result = _run(configured)
    assert result.exit_code == 0, result.output
    for secret in list(SECRETS.values()) + ["redis-pass-doctor-77"]:
        assert secret not in result.output
    for item in ("SECRET_KEY", "DATABASE_URL", "migrations", "REDIS_URL", "job queue", "Socket.IO message queue",
                 "rate limiter storage", "ASR_PROVIDER", "REPLY_PROVIDER", "TTS_PROVIDER", "Twilio", "Meta WhatsApp",
                 "WHATSAPP_VERIFY_TOKEN", "MEDIA_DIR", "espeak-ng", "Whisper model", "ffmpeg", "piper Hebrew G2P"):
        assert item in result.output, item
    assert "redis://:***@127.0.0.1:6379/15" in result.output


def test_doctor_json_shows_cloud_choice_with_its_offline_fallback(configured, monkeypatch):
    monkeypatch.setitem(configured.config, "REPLY_PROVIDER", "openai")
    monkeypatch.setitem(configured.config, "TTS_PROVIDER", "google")  # no Google credentials
    result = _run(configured, "--json")
    assert result.exit_code == 0, result.output
    checks = {c["item"]: c for c in json.loads(result.output)}
    reply = checks["reply (REPLY_PROVIDER)"]
    assert (reply["status"], reply["active"]) == ("ok", "openai")
    assert "offline Hebrew responder" in reply["detail"]
    tts = checks["text-to-speech (TTS_PROVIDER)"]
    assert tts["status"] == "fallback" and tts["active"].startswith("espeak-ng")
    assert "GOOGLE_APPLICATION_CREDENTIALS" in tts["detail"]
    assert checks["speech-to-text (ASR_PROVIDER)"]["status"] == "offline"
    assert all(secret not in result.output for secret in SECRETS.values())


def test_doctor_offline_defaults_without_any_provider(app, db, monkeypatch):
    for key in ("ASR_PROVIDER", "REPLY_PROVIDER", "TTS_PROVIDER"):
        monkeypatch.delenv(key, raising=False)
    checks = {c.item: c for c in doctor.run_checks(app.config, db)}
    assert checks["speech-to-text (ASR_PROVIDER)"].active == "local faster-whisper (offline)"
    assert checks["text-to-speech (TTS_PROVIDER)"].active == "espeak-ng Hebrew voice (offline)"
    assert checks["REDIS_URL"].status == "offline"
    assert checks["job queue"].status == "offline" and "Redis" not in checks["job queue"].active
    assert checks["migrations"].status == "ok"


def test_doctor_fails_in_production_with_the_placeholder_secret(app, db, monkeypatch):
    monkeypatch.setitem(app.config, "APP_ENV", "production")
    monkeypatch.setitem(app.config, "SECRET_KEY", "dev-insecure-secret")
    result = _run(app)
    assert result.exit_code == 1
    assert "SECRET_KEY" in result.output and "error" in result.output
    assert "dev-insecure-secret" not in result.output


def test_doctor_flags_businesses_on_the_development_whatsapp_transport(app, db, make_business):
    make_business("מספרה דנה", whatsapp_provider="dev")
    make_business("פיצה יוסי", whatsapp_provider="twilio")
    check = next(c for c in doctor.run_checks(app.config, db) if c.item == "WhatsApp transport per business")
    assert check.status == "fallback"
    assert check.active == "dev: 1, twilio: 1"
    assert "nothing is delivered" in check.detail


def test_unknown_provider_is_an_error(app, db, monkeypatch):
    monkeypatch.setitem(app.config, "ASR_PROVIDER", "nonesuch")
    check = next(c for c in doctor.run_checks(app.config, db) if c.item.startswith("speech-to-text"))
    assert check.status == "error" and "unknown provider" in check.detail


def test_safe_url_hides_passwords():
    assert doctor.safe_url("postgresql+psycopg://kesher:hunter22@db:5432/kesher") == \
        "postgresql+psycopg://kesher:***@db:5432/kesher"
    assert "hunter22" not in doctor.safe_url("redis://:hunter22@r:6379/0")


# ---- the offline engines ------------------------------------------------------------------

@pytest.fixture()
def nothing_installed(app, monkeypatch, tmp_path):
    """No espeak-ng, no ffmpeg, no piper, no Whisper model: a bare server."""
    monkeypatch.setattr(doctor, "probe_engines", REAL_PROBE_ENGINES)
    monkeypatch.setattr("shutil.which", lambda name, *a, **k: None)
    monkeypatch.setattr(doctor.importlib.util, "find_spec", lambda name, *a: None)
    monkeypatch.setattr("server.providers.asr.whisper_model._package_dir", lambda name: None)
    monkeypatch.setitem(app.config, "WHISPER_MODEL", "")
    monkeypatch.setitem(app.config, "WHISPER_CACHE_DIR", str(tmp_path / "models"))
    for key in ("ASR_PROVIDER", "TTS_PROVIDER", "ESPEAK_MODE"):
        monkeypatch.setitem(app.config, key, None)
        monkeypatch.delenv(key, raising=False)
    return app


def _checks(app, db):
    return {c.item: c for c in doctor.run_checks(app.config, db)}


def test_missing_offline_engines_are_errors_not_active_providers(nothing_installed, db, monkeypatch):
    for key, value in SECRETS.items():
        monkeypatch.setitem(nothing_installed.config, key, value)
    checks = _checks(nothing_installed, db)
    asr, tts = checks["speech-to-text (ASR_PROVIDER)"], checks["text-to-speech (TTS_PROVIDER)"]
    assert (asr.status, asr.active) == ("error", "none") and "no Whisper model" in asr.detail
    assert (tts.status, tts.active) == ("error", "none") and "espeak-ng not installed" in tts.detail
    engines = {item: c for item, c in checks.items() if c.area == "engines"}
    assert {item: (c.status, c.active) for item, c in engines.items()} == {
        "espeak-ng (Hebrew voice)": ("error", "missing"),
        "Whisper model (offline speech-to-text)": ("error", "missing"),
        "ffmpeg (MP3 for Twilio)": ("warn", "missing"),
        "piper Hebrew G2P (vowels for espeak)": ("warn", "missing"),
    }
    result = _run(nothing_installed)
    assert result.exit_code == 1 and "espeak-ng not installed" in result.output
    assert all(secret not in result.output for secret in SECRETS.values())


def test_espeak_without_a_hebrew_voice_is_reported(nothing_installed, db, monkeypatch):
    import subprocess
    monkeypatch.setattr("shutil.which", lambda name, *a, **k: "/usr/bin/espeak-ng" if name == "espeak-ng" else None)
    listing = "Pty Language       Age/Gender VoiceName          File                 Other Languages\n"
    monkeypatch.setattr(doctor.subprocess, "run", lambda argv, **kw: subprocess.CompletedProcess(argv, 0, listing, ""))
    check = _checks(nothing_installed, db)["espeak-ng (Hebrew voice)"]
    assert check.status == "error" and "no Hebrew voice" in check.detail

    listing += " 5  he              --/M      Hebrew             sem/he\n"
    assert _checks(nothing_installed, db)["espeak-ng (Hebrew voice)"].status == "ok"


def test_whisper_model_from_a_path_or_the_assembled_cache(nothing_installed, db, monkeypatch, tmp_path):
    from server.providers.asr.whisper_model import MODEL_SHA256
    model = tmp_path / "ivrit-ct2"
    model.mkdir()
    monkeypatch.setitem(nothing_installed.config, "WHISPER_MODEL", str(model))
    assert _checks(nothing_installed, db)["Whisper model (offline speech-to-text)"].status == "error"
    (model / "model.bin").write_bytes(b"ct2")
    check = _checks(nothing_installed, db)["Whisper model (offline speech-to-text)"]
    assert check.status == "ok" and str(model) in check.active

    monkeypatch.setitem(nothing_installed.config, "WHISPER_MODEL", "")
    cache = tmp_path / "models" / "whisper-base-ct2"
    cache.mkdir(parents=True)
    (cache / "model.bin").write_bytes(b"ct2")
    (cache / ".sha256").write_text(MODEL_SHA256 + "\n")
    assert _checks(nothing_installed, db)["speech-to-text (ASR_PROVIDER)"].status == "offline"


def test_a_cloud_provider_whose_offline_fallback_is_missing_is_a_warning(nothing_installed, db, monkeypatch):
    monkeypatch.setitem(nothing_installed.config, "TTS_PROVIDER", "openai")
    monkeypatch.setitem(nothing_installed.config, "OPENAI_API_KEY", SECRETS["OPENAI_API_KEY"])
    checks = _checks(nothing_installed, db)
    tts = checks["text-to-speech (TTS_PROVIDER)"]
    assert (tts.status, tts.active) == ("warn", "openai") and tts.detail.startswith("on error: nothing")
    # espeak only backs OpenAI up here, and G2P is not used: neither is an error.
    assert checks["espeak-ng (Hebrew voice)"].status == "warn"
    assert checks["piper Hebrew G2P (vowels for espeak)"].status == "offline"
