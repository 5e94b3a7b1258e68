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
                 "WHATSAPP_VERIFY_TOKEN", "MEDIA_DIR"):
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
