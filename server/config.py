"""Configuration read from the environment only (a `.env` file in the repo root is honoured).

Every key is documented in README.md. The one side effect beyond reading os.environ: a
development install without SECRET_KEY gets a random one, generated once and kept in
`<instance>/secret_key` (see instance_secret_key). Tests pass SECRET_KEY, or their own
INSTANCE_DIR, so they never write into the repo's instance/.
"""
from __future__ import annotations

import logging
import os
import secrets
import stat
import tempfile
from pathlib import Path

from dotenv import load_dotenv

REPO_ROOT = Path(__file__).resolve().parent.parent
INSTANCE_DIR = REPO_ROOT / "instance"

# Published placeholders (old defaults, docs, examples): anyone can sign with them, so they
# never sign anything — production refuses them, development replaces them.
INSECURE_SECRET_KEYS = {"", "change-me", "dev-insecure-secret"}
MIN_SECRET_KEY_LENGTH = 32  # what `secrets.token_hex(16)` gives; `make prod` generates 64
SECRET_KEY_FILENAME = "secret_key"

log = logging.getLogger(__name__)


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


def default_sqlite_url(instance_dir: Path = INSTANCE_DIR) -> str:
    return f"sqlite:///{instance_dir / 'kesher.db'}"


def load_config(overrides: dict | None = None) -> dict:
    """Build the Flask config dict from the environment, then apply overrides (tests)."""
    load_dotenv(REPO_ROOT / ".env", override=False)
    env = os.environ
    app_env = env.get("APP_ENV", "development").strip().lower()
    instance_dir = Path(env.get("INSTANCE_DIR") or INSTANCE_DIR)
    database_url = env.get("DATABASE_URL") or default_sqlite_url(instance_dir)
    config = {
        "APP_ENV": app_env,
        # Unset (an empty SECRET_KEY= in .env counts as unset): resolve_secret_key decides.
        "SECRET_KEY": env.get("SECRET_KEY") or None,
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
        "LOG_DIR": env.get("LOG_DIR") or str(instance_dir / "logs"),
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
        "INSTANCE_DIR": str(instance_dir),
        "MEDIA_DIR": env.get("MEDIA_DIR") or str(instance_dir / "media"),
        "TRUSTED_PROXIES": _int(env.get("TRUSTED_PROXIES"), 0),
        "TESTING": False,
        # Voice agent (README "Phone agent"): providers, offline Whisper, recordings, audio.
        "ASR_PROVIDER": (env.get("ASR_PROVIDER") or "local").strip().lower(),
        "REPLY_PROVIDER": (env.get("REPLY_PROVIDER") or "offline").strip().lower(),
        "TTS_PROVIDER": (env.get("TTS_PROVIDER") or "espeak").strip().lower(),
        "WHISPER_MODEL": env.get("WHISPER_MODEL") or "",
        "WHISPER_CACHE_DIR": env.get("WHISPER_CACHE_DIR") or str(instance_dir / "models"),
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
        "EXPORT_DIR": env.get("EXPORT_DIR") or str(instance_dir / "exports"),
        "EXPORT_LINK_TTL_SECONDS": _int(env.get("EXPORT_LINK_TTL_SECONDS"), 15 * 60),
        "EXPORT_RETENTION_HOURS": _int(env.get("EXPORT_RETENTION_HOURS"), 24),
    }
    if overrides:
        config.update(overrides)
    resolve_secret_key(config)
    validate_config(config)
    return config


def secret_key_problem(value: str | None) -> str | None:
    """Why this SECRET_KEY cannot protect a production deployment, or None."""
    if not value or not value.strip():
        return "is not set"
    if value.strip() in INSECURE_SECRET_KEYS:
        return "is a published placeholder"
    if len(value) < MIN_SECRET_KEY_LENGTH:
        return f"is shorter than {MIN_SECRET_KEY_LENGTH} characters"
    return None


def resolve_secret_key(config: dict) -> None:
    """Outside production, an unset or published SECRET_KEY becomes this install's own random
    one. Production keeps what it was given, and validate_config refuses a weak one: a key
    generated on one host would differ on the next and log everybody out behind a balancer."""
    value = config.get("SECRET_KEY")
    if config["APP_ENV"] == "production" or (value and value.strip() not in INSECURE_SECRET_KEYS):
        return
    if value:
        log.warning("SECRET_KEY is a published placeholder: using this install's generated key instead")
    path = Path(config["INSTANCE_DIR"]) / SECRET_KEY_FILENAME
    config["SECRET_KEY"] = instance_secret_key(path)
    config["SECRET_KEY_FILE"] = str(path)


def instance_secret_key(path: Path) -> str:
    """The key kept in `path`, generated (mode 0600) by whichever process asks first.

    `make run` starts the web process and the job worker at the same moment, and both must
    sign with the same key (the worker's live-event relay). The key is written to a private
    temporary file and hard-linked into place: a link never replaces an existing file, so
    exactly one process's key wins, and no process ever reads a half-written file.
    """
    try:
        return _read_secret_file(path)
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)  # mkstemp: mode 0600
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(tmp, path)
            log.info("generated this install's SECRET_KEY in %s", path)
        except FileExistsError:
            pass  # another process got there first: its key is the one
        except OSError as exc:
            raise ConfigError(f"cannot create {path} ({exc.strerror}): set SECRET_KEY instead") from exc
    finally:
        os.unlink(tmp)
    return _read_secret_file(path)


def _read_secret_file(path: Path) -> str:
    mode = stat.S_IMODE(os.stat(path).st_mode)
    if mode & 0o077:
        os.chmod(path, 0o600)  # a copy or an unpack widened it: only this user may read the key
        log.warning("%s was readable by other users: now 0600", path)
    value = path.read_text().strip()
    if secret_key_problem(value):
        raise ConfigError(f"{path} does not hold a usable key: delete it to generate a new one, or set SECRET_KEY")
    return value


def normalize_database_url(url: str) -> str:
    """Accept the common `postgres://` / `postgresql://` spellings and use psycopg 3."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


def validate_config(config: dict) -> None:
    if config["APP_ENV"] == "production":
        problem = secret_key_problem(config.get("SECRET_KEY"))
        if problem:
            raise ConfigError(
                f"APP_ENV=production needs a strong SECRET_KEY, and this one {problem}: "
                "generate one with `python -c 'import secrets; print(secrets.token_hex(32))'`"
            )
        validate_webhook_secrets(config)
    if config.get("WHATSAPP_SEND_LEASE_SECONDS", 60) <= config.get("WHATSAPP_HTTP_TIMEOUT", 15):
        # A send still waiting for the provider must never look abandoned to another worker.
        raise ConfigError("WHATSAPP_SEND_LEASE_SECONDS must be longer than WHATSAPP_HTTP_TIMEOUT")


def validate_webhook_secrets(config: dict) -> None:
    """Production: a configured transport must be able to verify the webhooks it sends.

    Unsigned webhooks would let anyone inject calls, messages and leads into any business.
    Without any Twilio or Meta settings the app still starts (a deployment that uses neither),
    and server/webhooks.py answers every unverifiable webhook 403.
    """
    if config.get("TWILIO_ACCOUNT_SID") and not config.get("TWILIO_AUTH_TOKEN"):
        raise ConfigError("APP_ENV=production with TWILIO_ACCOUNT_SID needs TWILIO_AUTH_TOKEN: "
                          "it verifies Twilio's voice and WhatsApp webhooks (X-Twilio-Signature)")
    for key in ("META_ACCESS_TOKEN", "WHATSAPP_VERIFY_TOKEN"):
        if config.get(key) and not config.get("META_APP_SECRET"):
            raise ConfigError(f"APP_ENV=production with {key} needs META_APP_SECRET: "
                              "it verifies Meta's WhatsApp webhooks (X-Hub-Signature-256)")


def secret_values(config: dict) -> list[str]:
    """The configured secrets, so the log filter can mask them wherever they appear."""
    keys = ("SECRET_KEY", "TWILIO_AUTH_TOKEN", "OPENAI_API_KEY", "META_APP_SECRET",
            "META_ACCESS_TOKEN", "GOOGLE_API_KEY", "WHATSAPP_VERIFY_TOKEN")
    values = [config.get(k) for k in keys]
    values += [v for k, v in os.environ.items() if k.endswith(("_TOKEN", "_SECRET", "_API_KEY", "_PASSWORD"))]
    return sorted({v for v in values if isinstance(v, str) and len(v) >= 6}, key=len, reverse=True)
