"""Configuration read from the environment only (a `.env` file in the repo root is honoured).

The configuration is typed: one pydantic-settings group per area (`app`, `web`, `twilio`,
`meta`, `whatsapp`, `openai`, `google`, `agent`, `whisper`, `espeak`, `recordings`, `voice`,
`stream`, `export`), each field declared once with its environment variable name (README's
config table) and its one default. `load()` reads them; `flask_config()` derives the flat dict
Flask and its extensions need; the running app keeps the typed model on its config object
(`current()`), and providers receive the group they use.

Every key is documented in README.md. The one side effect beyond reading os.environ: a
development install without SECRET_KEY gets a random one, generated once and kept in
`<instance>/secret_key` (see instance_secret_key). Tests pass SECRET_KEY, or their own
INSTANCE_DIR, so they never write into the repo's instance/.

Tests build the app with flat overrides (`create_app({"VOICE_TURN_LIMIT": 3})`), and may set
`app.config["X"] = ...` afterwards: the app's config object re-validates the typed model on
every such write (KesherFlaskConfig), so typed values never go stale.
"""
from __future__ import annotations

import logging
import os
import secrets
import stat
import tempfile
from collections.abc import Mapping
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from dotenv import load_dotenv
from flask import Config as FlaskConfig
from pydantic import BaseModel, Field, ValidationError, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent
INSTANCE_DIR = REPO_ROOT / "instance"

# Published placeholders (old defaults, docs, examples): anyone can sign with them, so they
# never sign anything — production refuses them, development replaces them.
INSECURE_SECRET_KEYS = {"", "change-me", "dev-insecure-secret"}
MIN_SECRET_KEY_LENGTH = 32  # what `secrets.token_hex(16)` gives; `make prod` generates 64
SECRET_KEY_FILENAME = "secret_key"

log = logging.getLogger(__name__)


class ConfigError(RuntimeError):
    """The environment cannot run the app safely; the message says what to fix.

    Not a ValueError: raised inside a validator it propagates as itself, with its message."""


def setting(name: str, default: Any = None) -> Any:
    """A setting read from the environment variable `name` (exactly as README spells it)."""
    return Field(default, validation_alias=name)


def _lower(value: str) -> str:
    return value.strip().lower()


def _no_trailing_slash(value: str | None) -> str | None:
    """URLs are joined with "/path": "https://host/" + "/path" would double the slash."""
    return value.rstrip("/") if value is not None else None


_READ_ENV: ContextVar[bool] = ContextVar("kesher_config_read_env", default=True)


class Group(BaseSettings):
    """One area's settings. An unset, empty (`X=` in .env) or None value means the default."""

    model_config = SettingsConfigDict(case_sensitive=True, env_ignore_empty=True, populate_by_name=True,
                                      extra="ignore")

    @classmethod
    def settings_customise_sources(cls, settings_cls, init_settings, env_settings, dotenv_settings,
                                   file_secret_settings):
        # build(from_env=False): the given values over the defaults, the environment unread.
        return (init_settings, env_settings) if _READ_ENV.get() else (init_settings,)

    @model_validator(mode="before")
    @classmethod
    def _unset_means_default(cls, data: Any) -> Any:
        if isinstance(data, Mapping):
            return {k: v for k, v in data.items() if v is not None and v != ""}
        return data


class AppConfig(Group):
    env: str = setting("APP_ENV", "development")
    secret_key: str | None = setting("SECRET_KEY")
    instance_dir: str = setting("INSTANCE_DIR", str(INSTANCE_DIR))
    database_url: str | None = setting("DATABASE_URL")  # None: <instance>/kesher.db
    redis_url: str | None = setting("REDIS_URL")
    # Without Redis the job worker hands its live events to the web process here (loopback).
    realtime_relay_url: str | None = setting("REALTIME_RELAY_URL")
    host: str = setting("HOST", "")
    log_dir: str | None = setting("LOG_DIR")  # None: <instance>/logs
    log_level: str = setting("LOG_LEVEL", "INFO")
    media_dir: str | None = setting("MEDIA_DIR")  # None: <instance>/media
    frontend_dist: str | None = setting("FRONTEND_DIST")  # None: <repo>/dist

    _env = field_validator("env")(_lower)

    _urls = field_validator("realtime_relay_url", "host")(_no_trailing_slash)

    @field_validator("log_level")
    @classmethod
    def _upper(cls, value: str) -> str:
        return value.upper()

    @property
    def production(self) -> bool:
        return self.env == "production"


def _bool(value: Any) -> Any:
    if isinstance(value, str):
        return value.strip().lower() in {"1", "true", "yes", "on"}
    return value


class WebConfig(Group):
    session_cookie_secure: bool = setting("SESSION_COOKIE_SECURE", False)
    session_lifetime_seconds: int = setting("SESSION_LIFETIME_SECONDS", 12 * 3600)
    max_content_length: int = setting("MAX_CONTENT_LENGTH", 16 * 1024 * 1024)
    login_rate_limit: str = setting("LOGIN_RATE_LIMIT", "5 per minute")
    ratelimit_storage_uri: str | None = setting("RATELIMIT_STORAGE_URI")  # None: REDIS_URL, else memory://
    trusted_proxies: int = setting("TRUSTED_PROXIES", 0)

    _secure = field_validator("session_cookie_secure", mode="before")(_bool)


class TwilioConfig(Group):
    account_sid: str | None = setting("TWILIO_ACCOUNT_SID")
    auth_token: str | None = setting("TWILIO_AUTH_TOKEN")
    api_base: str = setting("TWILIO_API_BASE", "https://api.twilio.com")


class MetaConfig(Group):
    access_token: str | None = setting("META_ACCESS_TOKEN")
    app_secret: str | None = setting("META_APP_SECRET")
    graph_base: str = setting("META_GRAPH_BASE", "https://graph.facebook.com")
    graph_version: str = setting("META_GRAPH_VERSION", "v21.0")


class WhatsAppConfig(Group):
    verify_token: str | None = setting("WHATSAPP_VERIFY_TOKEN")
    http_timeout: float = setting("WHATSAPP_HTTP_TIMEOUT", 15.0)
    send_lease_seconds: float = setting("WHATSAPP_SEND_LEASE_SECONDS", 60.0)
    retry_base_seconds: float = setting("WHATSAPP_RETRY_BASE_SECONDS", 5.0)
    retry_max_seconds: float = setting("WHATSAPP_RETRY_MAX_SECONDS", 900.0)
    max_attempts: int = setting("WHATSAPP_MAX_ATTEMPTS", 10)
    reconcile_wait_seconds: float = setting("WHATSAPP_RECONCILE_WAIT_SECONDS", 120.0)
    # Inbound media (README "WhatsApp voice notes and media"): fetched only from these hosts
    # (literal, or `*.domain` resolving to public addresses), capped in size and time.
    media_hosts: str = setting("WHATSAPP_MEDIA_HOSTS", "api.twilio.com,*.twiliocdn.com,*.twilio.com,"
                                                       "graph.facebook.com,lookaside.fbsbx.com,*.fbsbx.com")
    media_max_bytes: int = setting("WHATSAPP_MEDIA_MAX_BYTES", 16 * 1024 * 1024)
    media_timeout: float = setting("WHATSAPP_MEDIA_TIMEOUT", 30.0)
    media_max_attempts: int = setting("WHATSAPP_MEDIA_MAX_ATTEMPTS", 6)
    media_retry_base_seconds: float = setting("WHATSAPP_MEDIA_RETRY_BASE_SECONDS", 30.0)
    # How long a worker holds an attachment it is downloading; after that the sweep retries it.
    media_lease_seconds: float = setting("WHATSAPP_MEDIA_LEASE_SECONDS", 120.0)
    # How long the signed link Twilio fetches an outbound file from stays valid.
    media_link_ttl_seconds: int = setting("WHATSAPP_MEDIA_LINK_TTL_SECONDS", 3600)

    @property
    def media_host_list(self) -> list[str]:
        return [h.strip() for h in self.media_hosts.split(",") if h.strip()]


class OpenAIConfig(Group):
    api_key: str | None = setting("OPENAI_API_KEY")
    base_url: str = setting("OPENAI_BASE_URL", "https://api.openai.com/v1")
    asr_model: str = setting("OPENAI_ASR_MODEL", "whisper-1")
    chat_model: str = setting("OPENAI_CHAT_MODEL", "gpt-4o-mini")
    tts_model: str = setting("OPENAI_TTS_MODEL", "gpt-4o-mini-tts")
    tts_voice: str = setting("OPENAI_TTS_VOICE", "alloy")

    _urls = field_validator("base_url")(_no_trailing_slash)


class GoogleConfig(Group):
    application_credentials: str | None = setting("GOOGLE_APPLICATION_CREDENTIALS")
    api_key: str | None = setting("GOOGLE_API_KEY")
    tts_base: str = setting("GOOGLE_TTS_BASE", "https://texttospeech.googleapis.com")
    tts_voice: str = setting("GOOGLE_TTS_VOICE", "he-IL-Wavenet-A")

    _urls = field_validator("tts_base")(_no_trailing_slash)


class AgentConfig(Group):
    """Which provider does each step of the voice agent, and how long an outside one may take."""
    asr_provider: str = setting("ASR_PROVIDER", "local")
    reply_provider: str = setting("REPLY_PROVIDER", "offline")
    tts_provider: str = setting("TTS_PROVIDER", "espeak")
    provider_timeout: int = setting("PROVIDER_TIMEOUT", 10)

    _names = field_validator("asr_provider", "reply_provider", "tts_provider")(_lower)


class WhisperConfig(Group):
    model: str = setting("WHISPER_MODEL", "")
    cache_dir: str | None = setting("WHISPER_CACHE_DIR")  # None: <instance>/models
    prompt: str = setting("WHISPER_PROMPT", "")


class EspeakConfig(Group):
    mode: str = setting("ESPEAK_MODE", "g2p")
    rate: int = setting("ESPEAK_RATE", 130)
    gap: int = setting("ESPEAK_GAP", 4)
    mp3: bool = setting("ESPEAK_MP3", True)  # tests that only need the WAV skip the ffmpeg step

    _mode = field_validator("mode")(_lower)
    _mp3 = field_validator("mp3", mode="before")(_bool)


class RecordingsConfig(Group):
    hosts: str = setting("RECORDING_HOSTS", "api.twilio.com")
    timeout: int = setting("RECORDING_TIMEOUT", 8)
    max_bytes: int = setting("RECORDING_MAX_BYTES", 10 * 1024 * 1024)
    audio_retention_hours: int = setting("VOICE_AUDIO_RETENTION_HOURS", 72)

    @property
    def host_list(self) -> list[str]:
        return [h for h in self.hosts.split(",") if h.strip()]


class VoiceConfig(Group):
    """The recorded-turn conversation (README "Phone agent"): Twilio waits 15 s for a webhook,
    so a turn not ready by the deadline is answered through a hold line and <Redirect>s."""
    turn_deadline: float = setting("VOICE_TURN_DEADLINE", 9.0)
    hold_wait: float = setting("VOICE_HOLD_WAIT", 9.0)
    redirect_limit: int = setting("VOICE_REDIRECT_LIMIT", 3)
    turn_stale_seconds: float = setting("VOICE_TURN_STALE_SECONDS", 90.0)
    turn_limit: int = setting("VOICE_TURN_LIMIT", 10)
    turn_threads: int = setting("VOICE_TURN_THREADS", 8)


class StreamConfig(Group):
    """Realtime voice over Twilio Media Streams (README "Realtime voice")."""
    vad_provider: str = setting("VAD_PROVIDER", "silero")
    asr_context_s: float = setting("STREAM_ASR_CONTEXT_S", 3.0)
    idle_seconds: float = setting("STREAM_IDLE_SECONDS", 20.0)

    _vad = field_validator("vad_provider")(_lower)


class ExportConfig(Group):
    """Privacy (README "Privacy"): customer data exports."""
    dir: str | None = setting("EXPORT_DIR")  # None: <instance>/exports
    link_ttl_seconds: int = setting("EXPORT_LINK_TTL_SECONDS", 15 * 60)
    retention_hours: int = setting("EXPORT_RETENTION_HOURS", 24)
    # The sweep puts an export idle this long back in the queue, and fails one lost this often.
    stuck_minutes: float = setting("EXPORT_STUCK_MINUTES", 15)
    max_requeues: int = setting("EXPORT_MAX_REQUEUES", 3)


GROUPS: dict[str, type[Group]] = {
    "app": AppConfig, "web": WebConfig, "twilio": TwilioConfig, "meta": MetaConfig,
    "whatsapp": WhatsAppConfig, "openai": OpenAIConfig, "google": GoogleConfig, "agent": AgentConfig,
    "whisper": WhisperConfig, "espeak": EspeakConfig, "recordings": RecordingsConfig,
    "voice": VoiceConfig, "stream": StreamConfig, "export": ExportConfig,
}
# Environment variable → (group, field): the one table of names, derived from the groups.
ENV_NAMES: dict[str, tuple[str, str]] = {
    info.validation_alias: (group, field)
    for group, cls in GROUPS.items() for field, info in cls.model_fields.items()
}
# Flask's own spelling of a typed setting, accepted as an override (tests pass the database URI).
FLASK_SPELLINGS = {"SQLALCHEMY_DATABASE_URI": "DATABASE_URL", "PERMANENT_SESSION_LIFETIME": "SESSION_LIFETIME_SECONDS"}


class KesherConfig(BaseModel):
    """The whole configuration: one typed group per area. Paths left unset are placed in the
    instance folder here; `load()` adds the SECRET_KEY resolution and the production checks."""
    app: AppConfig
    web: WebConfig
    twilio: TwilioConfig
    meta: MetaConfig
    whatsapp: WhatsAppConfig
    openai: OpenAIConfig
    google: GoogleConfig
    agent: AgentConfig
    whisper: WhisperConfig
    espeak: EspeakConfig
    recordings: RecordingsConfig
    voice: VoiceConfig
    stream: StreamConfig
    export: ExportConfig
    # Not a setting: where SECRET_KEY came from when resolve_secret_key generated it (doctor).
    secret_key_file: str | None = None

    @model_validator(mode="after")
    def _derived_and_checked(self, info: ValidationInfo) -> KesherConfig:
        instance = Path(self.app.instance_dir)
        self.app.database_url = normalize_database_url(self.app.database_url or default_sqlite_url(instance))
        self.app.log_dir = self.app.log_dir or str(instance / "logs")
        self.app.media_dir = self.app.media_dir or str(instance / "media")
        self.whisper.cache_dir = self.whisper.cache_dir or str(instance / "models")
        self.export.dir = self.export.dir or str(instance / "exports")
        self.web.ratelimit_storage_uri = self.web.ratelimit_storage_uri or self.app.redis_url or "memory://"
        if (info.context or {}).get("startup"):
            resolve_secret_key(self)
            validate_config(self)
        return self

    def flat(self) -> dict[str, Any]:
        """Every setting under its environment variable name."""
        return {name: getattr(getattr(self, group), field) for name, (group, field) in ENV_NAMES.items()}

    def value(self, name: str) -> Any:
        """One setting by its environment variable name (e.g. the webhook secret to check)."""
        group, field = ENV_NAMES[name]
        return getattr(getattr(self, group), field)

    def updated(self, flat: Mapping[str, Any]) -> KesherConfig:
        """A copy with some settings replaced (flat names), re-validated; no startup checks."""
        config = build({**self.flat(), **flat}, from_env=False)
        config.secret_key_file = self.secret_key_file
        return config


def _split(flat: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Flat names → per-group keyword arguments; names that are not typed settings are left out."""
    groups: dict[str, dict[str, Any]] = {name: {} for name in GROUPS}
    for key, value in flat.items():
        key = FLASK_SPELLINGS.get(key, key)
        if key in ENV_NAMES:
            group, _field = ENV_NAMES[key]
            groups[group][key] = value
    return groups


def build(flat: Mapping[str, Any], *, from_env: bool, startup: bool = False) -> KesherConfig:
    """The typed model from flat settings, over the environment's (from_env) or the defaults."""
    token = _READ_ENV.set(from_env)
    try:
        groups = {name: GROUPS[name](**values) for name, values in _split(flat).items()}
        return KesherConfig.model_validate(groups, context={"startup": startup})
    except ValidationError as exc:
        problems = "; ".join(f"{error['loc'][-1] if error['loc'] else ''}: {error['msg']}" for error in exc.errors())
        raise ConfigError(f"invalid configuration: {problems}") from exc
    finally:
        _READ_ENV.reset(token)


def load(overrides: Mapping[str, Any] | None = None) -> KesherConfig:
    """The configuration from the environment (and .env), then overrides (tests), checked."""
    load_dotenv(REPO_ROOT / ".env", override=False)
    return build(overrides or {}, from_env=True, startup=True)


def flask_config(config: KesherConfig) -> dict[str, Any]:
    """The flat dict Flask and its extensions read, derived from the typed model in one place.
    It also carries every setting under its environment name, for `app.config["X"]` readers."""
    return {
        **config.flat(),
        **({"SECRET_KEY_FILE": config.secret_key_file} if config.secret_key_file else {}),
        "SECRET_KEY": config.app.secret_key,
        "SQLALCHEMY_DATABASE_URI": config.app.database_url,
        # hide_parameters: a failed statement's values (transcripts, messages, phones) never
        # reach an exception text, and so never a log.
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True, "hide_parameters": True},
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": config.web.session_cookie_secure,
        "SESSION_COOKIE_NAME": "kesher_session",
        "PERMANENT_SESSION_LIFETIME": config.web.session_lifetime_seconds,
        "MAX_CONTENT_LENGTH": config.web.max_content_length,
        "RATELIMIT_STORAGE_URI": config.web.ratelimit_storage_uri,
        "RATELIMIT_HEADERS_ENABLED": True,
        # Redis down must not turn a login into a 500: limits move to this process's memory
        # (logged by Flask-Limiter) and back to Redis once it answers again.
        "RATELIMIT_SWALLOW_ERRORS": True,
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        "TESTING": False,
    }


def load_config(overrides: dict | None = None) -> dict:
    """The Flask config dict from the environment, then overrides (tests)."""
    return flask_settings(load(overrides), overrides)


def flask_settings(config: KesherConfig, overrides: Mapping[str, Any] | None = None) -> dict:
    """flask_config(config) plus the overrides that are not typed settings (TESTING, keys only
    Flask or a test reads); typed settings come from the model, validated and normalised."""
    settings = flask_config(config)
    settings.update({k: v for k, v in (overrides or {}).items() if k not in settings or k in FLASK_ONLY})
    return settings


FLASK_ONLY = {"TESTING", "SQLALCHEMY_ENGINE_OPTIONS", "SESSION_COOKIE_HTTPONLY", "SESSION_COOKIE_SAMESITE",
              "SESSION_COOKIE_NAME", "RATELIMIT_HEADERS_ENABLED", "RATELIMIT_SWALLOW_ERRORS",
              "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED"}


class KesherFlaskConfig(FlaskConfig):
    """The app's config: Flask's flat dict plus the typed model (`.typed`). Writing a setting
    by its environment name (`app.config["VOICE_TURN_LIMIT"] = 3`, monkeypatch.setitem)
    re-validates the typed model, so the two never disagree."""

    typed: KesherConfig | None = None

    def __setitem__(self, key: str, value: Any) -> None:
        super().__setitem__(key, value)
        if self.typed is not None and FLASK_SPELLINGS.get(key, key) in ENV_NAMES:
            self.typed = self.typed.updated({key: value})

    def __delitem__(self, key: str) -> None:
        super().__delitem__(key)
        if self.typed is not None and FLASK_SPELLINGS.get(key, key) in ENV_NAMES:
            self.typed = self.typed.updated({key: None})

    def update(self, *args: Any, **kwargs: Any) -> None:  # type: ignore[override]
        for key, value in dict(*args, **kwargs).items():
            self[key] = value


def typed(config: KesherConfig | Mapping[str, Any]) -> KesherConfig:
    """The typed model of a running app's config, or one built from a plain flat dict (tests and
    tools that pass {"ESPEAK_RATE": 130}: unnamed settings take their defaults, not the env)."""
    if isinstance(config, KesherConfig):
        return config
    if isinstance(config, KesherFlaskConfig) and config.typed is not None:
        return config.typed
    return build(config, from_env=False)


def current() -> KesherConfig:
    """The running app's typed configuration."""
    from flask import current_app
    return typed(current_app.config)


def default_sqlite_url(instance_dir: Path = INSTANCE_DIR) -> str:
    return f"sqlite:///{instance_dir / 'kesher.db'}"


def secret_key_problem(value: str | None) -> str | None:
    """Why this SECRET_KEY cannot protect a production deployment, or None."""
    if not value or not value.strip():
        return "is not set"
    if value.strip() in INSECURE_SECRET_KEYS:
        return "is a published placeholder"
    if len(value) < MIN_SECRET_KEY_LENGTH:
        return f"is shorter than {MIN_SECRET_KEY_LENGTH} characters"
    return None


def resolve_secret_key(config: KesherConfig) -> None:
    """Outside production, an unset or published SECRET_KEY becomes this install's own random
    one. Production keeps what it was given, and validate_config refuses a weak one: a key
    generated on one host would differ on the next and log everybody out behind a balancer."""
    value = config.app.secret_key
    if config.app.production or (value and value.strip() not in INSECURE_SECRET_KEYS):
        return
    if value:
        log.warning("SECRET_KEY is a published placeholder: using this install's generated key instead")
    path = Path(config.app.instance_dir) / SECRET_KEY_FILENAME
    config.app.secret_key = instance_secret_key(path)
    config.secret_key_file = str(path)


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


def validate_config(config: KesherConfig) -> None:
    if config.app.production:
        problem = secret_key_problem(config.app.secret_key)
        if problem:
            raise ConfigError(
                f"APP_ENV=production needs a strong SECRET_KEY, and this one {problem}: "
                "generate one with `python -c 'import secrets; print(secrets.token_hex(32))'`"
            )
        validate_webhook_secrets(config)
    if config.whatsapp.send_lease_seconds <= config.whatsapp.http_timeout:
        # A send still waiting for the provider must never look abandoned to another worker.
        raise ConfigError("WHATSAPP_SEND_LEASE_SECONDS must be longer than WHATSAPP_HTTP_TIMEOUT")


def validate_webhook_secrets(config: KesherConfig) -> None:
    """Production: a configured transport must be able to verify the webhooks it sends.

    Unsigned webhooks would let anyone inject calls, messages and leads into any business.
    Without any Twilio or Meta settings the app still starts (a deployment that uses neither),
    and server/webhooks.py answers every unverifiable webhook 403.
    """
    if config.twilio.account_sid and not config.twilio.auth_token:
        raise ConfigError("APP_ENV=production with TWILIO_ACCOUNT_SID needs TWILIO_AUTH_TOKEN: "
                          "it verifies Twilio's voice and WhatsApp webhooks (X-Twilio-Signature)")
    for key, value in (("META_ACCESS_TOKEN", config.meta.access_token),
                       ("WHATSAPP_VERIFY_TOKEN", config.whatsapp.verify_token)):
        if value and not config.meta.app_secret:
            raise ConfigError(f"APP_ENV=production with {key} needs META_APP_SECRET: "
                              "it verifies Meta's WhatsApp webhooks (X-Hub-Signature-256)")


def secret_values(config: KesherConfig | Mapping[str, Any]) -> list[str]:
    """The configured secrets, so the log filter can mask them wherever they appear."""
    config = typed(config)
    values = [config.app.secret_key, config.twilio.auth_token, config.openai.api_key, config.meta.app_secret,
              config.meta.access_token, config.google.api_key, config.whatsapp.verify_token]
    values += [v for k, v in os.environ.items() if k.endswith(("_TOKEN", "_SECRET", "_API_KEY", "_PASSWORD"))]
    return sorted({v for v in values if isinstance(v, str) and len(v) >= 6}, key=len, reverse=True)
