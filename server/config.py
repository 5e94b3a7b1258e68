"""Configuration read from the environment only (a `.env` file in the repo root is honoured).

Every key is documented in README.md. Nothing here has a side effect beyond reading
os.environ, so tests can build a config from a plain dict.
"""
from __future__ import annotations

import os
from pathlib import Path

from dotenv import load_dotenv

REPO_ROOT = Path(__file__).resolve().parent.parent
INSTANCE_DIR = REPO_ROOT / "instance"

# A development placeholder that must never protect a production deployment.
INSECURE_SECRET_KEYS = {"", "change-me", "dev-insecure-secret"}


class ConfigError(RuntimeError):
    """The environment cannot run the app safely; the message says what to fix."""


def _bool(value: str | None, default: bool = False) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(value: str | None, default: int) -> int:
    try:
        return int(value) if value not in (None, "") else default
    except ValueError as exc:
        raise ConfigError(f"expected an integer, got {value!r}") from exc


def _float(value: str | None, default: float) -> float:
    try:
        return float(value) if value not in (None, "") else default
    except ValueError as exc:
        raise ConfigError(f"expected a number, got {value!r}") from exc


def default_sqlite_url() -> str:
    return f"sqlite:///{INSTANCE_DIR / 'kesher.db'}"


def load_config(overrides: dict | None = None) -> dict:
    """Build the Flask config dict from the environment, then apply overrides (tests)."""
    load_dotenv(REPO_ROOT / ".env", override=False)
    env = os.environ
    app_env = env.get("APP_ENV", "development").strip().lower()
    database_url = env.get("DATABASE_URL") or default_sqlite_url()
    config = {
        "APP_ENV": app_env,
        "SECRET_KEY": env.get("SECRET_KEY") or "dev-insecure-secret",  # an empty SECRET_KEY= in .env means unset
        "SQLALCHEMY_DATABASE_URI": normalize_database_url(database_url),
        # hide_parameters: a failed statement's values (transcripts, messages, phones) never
        # reach an exception text, and so never a log.
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True, "hide_parameters": True},
        "REDIS_URL": env.get("REDIS_URL") or None,
        # Without Redis the job worker hands its live events to the web process here (loopback).
        "REALTIME_RELAY_URL": (env.get("REALTIME_RELAY_URL") or "").rstrip("/") or None,
        "HOST": (env.get("HOST") or "").rstrip("/"),
        "TWILIO_ACCOUNT_SID": env.get("TWILIO_ACCOUNT_SID") or None,
        "TWILIO_AUTH_TOKEN": env.get("TWILIO_AUTH_TOKEN") or None,
        "TWILIO_API_BASE": env.get("TWILIO_API_BASE") or "https://api.twilio.com",
        "META_ACCESS_TOKEN": env.get("META_ACCESS_TOKEN") or None,
        "META_APP_SECRET": env.get("META_APP_SECRET") or None,
        "META_GRAPH_BASE": env.get("META_GRAPH_BASE") or "https://graph.facebook.com",
        "META_GRAPH_VERSION": env.get("META_GRAPH_VERSION") or "v21.0",
        "WHATSAPP_VERIFY_TOKEN": env.get("WHATSAPP_VERIFY_TOKEN") or None,
        "WHATSAPP_HTTP_TIMEOUT": _float(env.get("WHATSAPP_HTTP_TIMEOUT"), 15.0),
        "WHATSAPP_SEND_LEASE_SECONDS": _float(env.get("WHATSAPP_SEND_LEASE_SECONDS"), 60.0),
        "WHATSAPP_RETRY_BASE_SECONDS": _float(env.get("WHATSAPP_RETRY_BASE_SECONDS"), 5.0),
        "WHATSAPP_RETRY_MAX_SECONDS": _float(env.get("WHATSAPP_RETRY_MAX_SECONDS"), 900.0),
        "WHATSAPP_MAX_ATTEMPTS": _int(env.get("WHATSAPP_MAX_ATTEMPTS"), 10),
        "WHATSAPP_RECONCILE_WAIT_SECONDS": _float(env.get("WHATSAPP_RECONCILE_WAIT_SECONDS"), 120.0),
        "OPENAI_API_KEY": env.get("OPENAI_API_KEY") or None,
        "OPENAI_BASE_URL": env.get("OPENAI_BASE_URL") or "https://api.openai.com/v1",
        "GOOGLE_APPLICATION_CREDENTIALS": env.get("GOOGLE_APPLICATION_CREDENTIALS") or None,
        "LOG_DIR": env.get("LOG_DIR") or str(INSTANCE_DIR / "logs"),
        "LOG_LEVEL": env.get("LOG_LEVEL", "INFO").upper(),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": _bool(env.get("SESSION_COOKIE_SECURE"), default=False),
        "SESSION_COOKIE_NAME": "kesher_session",
        "PERMANENT_SESSION_LIFETIME": _int(env.get("SESSION_LIFETIME_SECONDS"), 12 * 3600),
        "MAX_CONTENT_LENGTH": _int(env.get("MAX_CONTENT_LENGTH"), 16 * 1024 * 1024),
        "LOGIN_RATE_LIMIT": env.get("LOGIN_RATE_LIMIT", "5 per minute"),
        "RATELIMIT_STORAGE_URI": env.get("RATELIMIT_STORAGE_URI") or env.get("REDIS_URL") or "memory://",
        "RATELIMIT_HEADERS_ENABLED": True,
        # Redis down must not turn a login into a 500: limits move to this process's memory
        # (logged by Flask-Limiter) and back to Redis once it answers again.
        "RATELIMIT_SWALLOW_ERRORS": True,
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        "INSTANCE_DIR": str(INSTANCE_DIR),
        "MEDIA_DIR": env.get("MEDIA_DIR") or str(INSTANCE_DIR / "media"),
        "TRUSTED_PROXIES": _int(env.get("TRUSTED_PROXIES"), 0),
        "TESTING": False,
        # Voice agent (README "Phone agent"): providers, offline Whisper, recordings, audio.
        "ASR_PROVIDER": (env.get("ASR_PROVIDER") or "local").strip().lower(),
        "REPLY_PROVIDER": (env.get("REPLY_PROVIDER") or "offline").strip().lower(),
        "TTS_PROVIDER": (env.get("TTS_PROVIDER") or "espeak").strip().lower(),
        "WHISPER_MODEL": env.get("WHISPER_MODEL") or "",
        "WHISPER_CACHE_DIR": env.get("WHISPER_CACHE_DIR") or str(INSTANCE_DIR / "models"),
        "WHISPER_PROMPT": env.get("WHISPER_PROMPT") or "",
        "ESPEAK_MODE": (env.get("ESPEAK_MODE") or "g2p").strip().lower(),
        "ESPEAK_RATE": _int(env.get("ESPEAK_RATE"), 130),
        "ESPEAK_GAP": _int(env.get("ESPEAK_GAP"), 4),
        "OPENAI_ASR_MODEL": env.get("OPENAI_ASR_MODEL") or "whisper-1",
        "OPENAI_CHAT_MODEL": env.get("OPENAI_CHAT_MODEL") or "gpt-4o-mini",
        "OPENAI_TTS_MODEL": env.get("OPENAI_TTS_MODEL") or "gpt-4o-mini-tts",
        "OPENAI_TTS_VOICE": env.get("OPENAI_TTS_VOICE") or "alloy",
        "GOOGLE_TTS_BASE": env.get("GOOGLE_TTS_BASE") or "https://texttospeech.googleapis.com",
        "GOOGLE_API_KEY": env.get("GOOGLE_API_KEY") or None,
        "GOOGLE_TTS_VOICE": env.get("GOOGLE_TTS_VOICE") or "he-IL-Wavenet-A",
        "PROVIDER_TIMEOUT": _int(env.get("PROVIDER_TIMEOUT"), 10),
        "RECORDING_HOSTS": env.get("RECORDING_HOSTS") or "api.twilio.com",
        "RECORDING_TIMEOUT": _int(env.get("RECORDING_TIMEOUT"), 8),
        "RECORDING_MAX_BYTES": _int(env.get("RECORDING_MAX_BYTES"), 10 * 1024 * 1024),
        "VOICE_AUDIO_RETENTION_HOURS": _int(env.get("VOICE_AUDIO_RETENTION_HOURS"), 72),
        # Conversation (README "Phone agent"): Twilio waits 15 s for a webhook, so a turn not
        # ready by the deadline is answered through a hold line and <Redirect>s.
        "VOICE_TURN_DEADLINE": _float(env.get("VOICE_TURN_DEADLINE"), 9.0),
        "VOICE_HOLD_WAIT": _float(env.get("VOICE_HOLD_WAIT"), 9.0),
        "VOICE_REDIRECT_LIMIT": _int(env.get("VOICE_REDIRECT_LIMIT"), 3),
        "VOICE_TURN_STALE_SECONDS": _float(env.get("VOICE_TURN_STALE_SECONDS"), 90.0),
        "VOICE_TURN_LIMIT": _int(env.get("VOICE_TURN_LIMIT"), 10),
        "VOICE_TURN_THREADS": _int(env.get("VOICE_TURN_THREADS"), 8),
        # Realtime voice over Twilio Media Streams (README "Realtime voice").
        "VAD_PROVIDER": (env.get("VAD_PROVIDER") or "silero").strip().lower(),
        "STREAM_ASR_CONTEXT_S": _float(env.get("STREAM_ASR_CONTEXT_S"), 3.0),
        "STREAM_IDLE_SECONDS": _float(env.get("STREAM_IDLE_SECONDS"), 20.0),
        # Privacy (README "Privacy"): customer data exports.
        "EXPORT_DIR": env.get("EXPORT_DIR") or str(INSTANCE_DIR / "exports"),
        "EXPORT_LINK_TTL_SECONDS": _int(env.get("EXPORT_LINK_TTL_SECONDS"), 15 * 60),
        "EXPORT_RETENTION_HOURS": _int(env.get("EXPORT_RETENTION_HOURS"), 24),
    }
    if overrides:
        config.update(overrides)
    validate_config(config)
    return config


def normalize_database_url(url: str) -> str:
    """Accept the common `postgres://` / `postgresql://` spellings and use psycopg 3."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


def validate_config(config: dict) -> None:
    if config["APP_ENV"] == "production" and config["SECRET_KEY"] in INSECURE_SECRET_KEYS:
        raise ConfigError(
            "APP_ENV=production needs a real SECRET_KEY (not empty, not 'change-me'): "
            "generate one with `python -c 'import secrets; print(secrets.token_hex(32))'`"
        )
    if config.get("WHATSAPP_SEND_LEASE_SECONDS", 60) <= config.get("WHATSAPP_HTTP_TIMEOUT", 15):
        # A send still waiting for the provider must never look abandoned to another worker.
        raise ConfigError("WHATSAPP_SEND_LEASE_SECONDS must be longer than WHATSAPP_HTTP_TIMEOUT")


def secret_values(config: dict) -> list[str]:
    """The configured secrets, so the log filter can mask them wherever they appear."""
    keys = ("SECRET_KEY", "TWILIO_AUTH_TOKEN", "OPENAI_API_KEY", "META_APP_SECRET",
            "META_ACCESS_TOKEN", "GOOGLE_API_KEY", "WHATSAPP_VERIFY_TOKEN")
    values = [config.get(k) for k in keys]
    values += [v for k, v in os.environ.items() if k.endswith(("_TOKEN", "_SECRET", "_API_KEY", "_PASSWORD"))]
    return sorted({v for v in values if isinstance(v, str) and len(v) >= 6}, key=len, reverse=True)
