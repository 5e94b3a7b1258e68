"""WhatsApp media: inbound attachments downloaded, converted and transcribed in jobs; files
staff send; the file route's authorization; what erasure, retention and export do with them.

Inbound (a row per attachment, made with the message in the webhook request):
  1. `pending` with the provider's reference; the webhook only queues a job.
  2. The job claims the row (compare-and-set on status/attempts, a lease in next_attempt_at),
     fetches the bytes through the provider's authenticated media API and the outbound
     policy, stores them (server.providers.media_store), converts a voice note to MP3 so
     every browser plays it, and marks it `ready` — or, on failure, back to `pending` with a
     growing delay, `failed` after WHATSAPP_MEDIA_MAX_ATTEMPTS or a permanent error.
  3. A voice note is then transcribed by the business's speech-to-text provider (the one
     calls use); the transcript replaces the "[audio]" placeholder in the message text.
A sweep every minute re-queues what is due: a job lost with a killed worker (a lease that
ran out), a retry, a transcription that never ran. Nothing waits forever.
"""
from __future__ import annotations

import hashlib
import logging
import mimetypes
import re
from datetime import datetime, timedelta
from pathlib import Path

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import and_, or_, select, update

from server import jobs
from server.config import current
from server.error_codes import ErrorCode
from server.errors import FieldError, Forbidden, NotFound, ValidationFailed
from server.extensions import db
from server.models import Business, WhatsAppMedia, WhatsAppMsg
from server.models.base import utcnow
from server.providers.media_store import get_store
from server.providers.whatsapp import NotConfigured, build_transport
from server.providers.whatsapp.base import MediaError, MediaLimits, MediaRef, OutboundMedia
from server.providers.whatsapp.media import PLAYABLE_AUDIO, acceptable_type, to_mp3
from server.services import realtime
from server.tenancy import BusinessScope, in_scope

log = logging.getLogger(__name__)

FILE_KINDS = ("audio", "image", "video", "document", "sticker")
OPEN_STATUSES = ("pending", "downloading")
STORE_FOLDER = "whatsapp"
EARLY_TOLERANCE = timedelta(milliseconds=500)
# A transcription queued this long ago and still pending was lost with its worker.
TRANSCRIBE_STALE = timedelta(minutes=2)
_SALT = "kesher.whatsapp-media"

EXTENSIONS = {"audio/ogg": "ogg", "audio/mpeg": "mp3", "audio/mp4": "m4a", "audio/aac": "aac", "audio/amr": "amr",
              "image/jpeg": "jpg", "image/png": "png", "image/webp": "webp", "video/mp4": "mp4", "video/3gpp": "3gp",
              "application/pdf": "pdf", "text/plain": "txt", "text/vcard": "vcf"}


def limits() -> MediaLimits:
    wa = current().whatsapp
    return MediaLimits(hosts=tuple(wa.media_host_list), max_bytes=wa.media_max_bytes, timeout=float(wa.media_timeout))


def _ext(content_type: str | None, filename: str | None = None) -> str:
    base = (content_type or "").split(";", 1)[0].strip().lower()
    if base in EXTENSIONS:
        return EXTENSIONS[base]
    suffix = Path(filename or "").suffix.lower().lstrip(".")
    if re.fullmatch(r"[a-z0-9]{1,8}", suffix):
        return suffix
    guessed = mimetypes.guess_extension(base) if base else None
    return (guessed or ".bin").lstrip(".")[:8]


def _clean(text: str | None, limit: int) -> str | None:
    """Text a database can store: no NUL, no lone surrogate, within the column."""
    if not isinstance(text, str) or not text:
        return None
    text = text.replace("\x00", "").encode("utf-8", "replace").decode("utf-8")
    return text[:limit] or None


def _clean_details(details: dict) -> dict:
    def clean(value):
        if isinstance(value, str):
            return _clean(value, 1024) or ""
        if isinstance(value, list):
            return [clean(v) for v in value]
        if isinstance(value, dict):
            return {str(k)[:64]: clean(v) for k, v in value.items()}
        return value
    return clean(dict(details or {}))


# ---- inbound: rows in the webhook, files in a job --------------------------------------

def add_inbound(msg: WhatsAppMsg, refs: list[MediaRef]) -> list[WhatsAppMedia]:
    """Rows for a new inbound message's attachments (no commit: the message's transaction)."""
    rows = []
    for ref in list(refs)[:10]:
        has_file = ref.kind in FILE_KINDS and bool(ref.source)
        row = WhatsAppMedia(business_id=msg.business_id, kind=ref.kind, status="pending" if has_file else "ready",
                            source=_clean(ref.source, 2048), content_type=_clean(ref.content_type, 128),
                            filename=_clean(ref.filename, 255), details=_clean_details(ref.details), attempts=0,
                            next_attempt_at=utcnow() if has_file else None)
        msg.media.append(row)
        rows.append(row)
    return rows


def enqueue_fetches(media_ids: list[int]) -> None:
    """After the commit: one download job per pending row (the sweep catches any lost)."""
    for media_id in media_ids:
        try:
            jobs.enqueue("whatsapp_media.fetch_media_task", media_id)
        except Exception as exc:  # noqa: BLE001 - the row is pending: the sweep queues it again
            log.error("whatsapp media %s: could not queue its download (%s)", media_id, exc.__class__.__name__)


def attempt_fetch(media_id: int, now: datetime | None = None) -> float | None:
    """One download attempt. Returns seconds until the next attempt, or None."""
    now = now or utcnow()
    row = db.session.get(WhatsAppMedia, media_id)
    if row is None or row.status not in OPEN_STATUSES:
        return None
    if row.next_attempt_at and row.next_attempt_at > now + EARLY_TOLERANCE:
        return None  # a live attempt holds the lease, or a retry is already scheduled
    config = current().whatsapp
    prev_status, prev_attempts = row.status, row.attempts
    if prev_attempts >= config.media_max_attempts:
        return _fail(row, prev_status, prev_attempts, row.error or "gave up", now)
    lease = now + timedelta(seconds=max(float(config.media_lease_seconds), float(config.media_timeout) + 1))
    claimed = db.session.execute(
        update(WhatsAppMedia).where(WhatsAppMedia.id == media_id, WhatsAppMedia.status == prev_status,
                                    WhatsAppMedia.attempts == prev_attempts)
        .values(status="downloading", attempts=prev_attempts + 1, next_attempt_at=lease, updated_at=now)
    ).rowcount == 1
    db.session.commit()
    if not claimed:
        return None
    db.session.refresh(row)
    msg = db.session.get(WhatsAppMsg, row.message_id)
    try:
        transport = build_transport(msg.provider, current())
        got = transport.fetch_media(MediaRef(kind=row.kind, source=row.source, content_type=row.content_type),
                                    limits())
    except NotConfigured as exc:
        return _retry(row, MediaError(f"{msg.provider} not configured: {exc}"), now)
    except MediaError as exc:
        return _retry(row, exc, now)
    except Exception as exc:  # noqa: BLE001 - a bug must not loop forever, nor lose the row
        db.session.rollback()
        log.error("whatsapp media %s: download crashed (%s)", media_id, exc.__class__.__name__)
        return _retry(row, MediaError(f"internal error: {exc.__class__.__name__}", retryable=False), now)
    return _store(row, got.data, got.content_type or row.content_type, now)


def _store(row: WhatsAppMedia, data: bytes, content_type: str | None, now: datetime) -> float | None:
    store = get_store(current())
    content_type = (content_type or "application/octet-stream").split(";", 1)[0].strip().lower()
    key = store.put(STORE_FOLDER, row.business_id or 0, data, _ext(content_type, row.filename))
    playback_key, conversion_error = None, None
    if row.kind == "audio" and content_type not in PLAYABLE_AUDIO:
        try:
            playback_key = store.put(STORE_FOLDER, row.business_id or 0, to_mp3(data), "mp3")
        except MediaError as exc:
            conversion_error = f"not converted: {exc.reason}"  # the original still downloads
            log.warning("whatsapp media %s: voice note not converted (%s)", row.id, exc.reason)
    done = db.session.execute(
        update(WhatsAppMedia).where(WhatsAppMedia.id == row.id, WhatsAppMedia.status == "downloading",
                                    WhatsAppMedia.attempts == row.attempts)
        .values(status="ready", storage_key=key, playback_key=playback_key, content_type=content_type[:128],
                size=len(data), sha256=hashlib.sha256(data).hexdigest(), next_attempt_at=None,
                error=conversion_error, transcript_status="pending" if row.kind == "audio" else None,
                updated_at=now)).rowcount == 1
    db.session.commit()
    if not done:  # another attempt finished first (a lease that ran out): keep its files
        for extra in (key, playback_key):
            if extra:
                store.delete(extra)
        return None
    db.session.refresh(row)
    log.info("whatsapp media %s stored (%s, %d bytes)", row.id, content_type, len(data))
    _publish(row)
    if row.kind == "audio":
        jobs.enqueue("whatsapp_media.transcribe_media_task", row.id)
    return None


def _retry(row: WhatsAppMedia, exc: MediaError, now: datetime) -> float | None:
    config = current().whatsapp
    if not exc.retryable or row.attempts >= config.media_max_attempts:
        reason = exc.reason if not exc.retryable else f"gave up after {row.attempts} attempts: {exc.reason}"
        return _fail(row, "downloading", row.attempts, reason, now)
    delay = min(float(config.media_retry_base_seconds) * (2 ** (row.attempts - 1)), 3600.0)
    db.session.execute(
        update(WhatsAppMedia).where(WhatsAppMedia.id == row.id, WhatsAppMedia.status == "downloading",
                                    WhatsAppMedia.attempts == row.attempts)
        .values(status="pending", next_attempt_at=now + timedelta(seconds=delay), error=exc.reason[:255],
                updated_at=now))
    db.session.commit()
    log.warning("whatsapp media %s: attempt %d failed (%s); next try in %.1fs", row.id, row.attempts, exc.reason,
                delay)
    return delay


def _fail(row: WhatsAppMedia, status: str, attempts: int, reason: str, now: datetime) -> None:
    failed = db.session.execute(
        update(WhatsAppMedia).where(WhatsAppMedia.id == row.id, WhatsAppMedia.status == status,
                                    WhatsAppMedia.attempts == attempts)
        .values(status="failed", next_attempt_at=None, error=reason[:255], updated_at=now)).rowcount == 1
    db.session.commit()
    if failed:
        db.session.refresh(row)
        log.error("whatsapp media %s failed: %s", row.id, reason)
        _publish(row)
    return None


def _publish(row: WhatsAppMedia) -> None:
    realtime.publish(row.business_id, "whatsapp.media", {"id": row.id, "message_id": row.message_id,
                                                         "status": row.status})


def due_media(now: datetime | None = None, horizon_seconds: float = 60, limit: int = 500) -> dict:
    """What the sweep queues: downloads due before the next sweep, lost transcriptions."""
    now = now or utcnow()
    fetch = db.session.execute(
        select(WhatsAppMedia.id, WhatsAppMedia.next_attempt_at)
        .where(WhatsAppMedia.status.in_(OPEN_STATUSES),
               or_(WhatsAppMedia.next_attempt_at.is_(None),
                   WhatsAppMedia.next_attempt_at <= now + timedelta(seconds=horizon_seconds)))
        .order_by(WhatsAppMedia.next_attempt_at).limit(limit)).all()
    transcribe = db.session.scalars(
        select(WhatsAppMedia.id).where(WhatsAppMedia.status == "ready", WhatsAppMedia.transcript_status == "pending",
                                       WhatsAppMedia.updated_at < now - TRANSCRIBE_STALE).limit(limit)).all()
    db.session.commit()
    return {"fetch": [(r.id, r.next_attempt_at) for r in fetch], "transcribe": list(transcribe)}


# ---- voice notes: the transcript -------------------------------------------------------

def transcribe(media_id: int) -> str | None:
    """Job body: the voice note's transcript, by the business's speech-to-text provider."""
    from server.providers.errors import ProviderError
    from server.services.voice import pipeline

    row = db.session.get(WhatsAppMedia, media_id)
    if row is None or row.kind != "audio" or row.status != "ready" or row.transcript_status != "pending":
        return None
    # Claim it: a second job (the sweep's) finds it no longer pending.
    claimed = db.session.execute(update(WhatsAppMedia).where(
        WhatsAppMedia.id == media_id, WhatsAppMedia.transcript_status == "pending",
        WhatsAppMedia.updated_at == row.updated_at).values(updated_at=utcnow())).rowcount == 1
    db.session.commit()
    if not claimed:
        return None
    db.session.refresh(row)
    config = current()
    business = db.session.get(Business, row.business_id) if row.business_id else None
    result = pipeline.TurnResult()
    try:
        audio = get_store(config).local_path(row.playback_key or row.storage_key).read_bytes()
        ok = pipeline.transcribe(config, audio, result,
                                 pipeline.provider_names(config, business.settings if business else None),
                                 filename="voice.mp3" if row.playback_key or row.content_type in PLAYABLE_AUDIO
                                 else f"voice.{_ext(row.content_type)}", label="whatsapp")
    except (OSError, ValueError, ProviderError) as exc:
        ok = False
        result.fallbacks.append({"stage": "asr", "reason": exc.__class__.__name__})
    if not ok:
        reason = (result.fallbacks[-1].get("reason") if result.fallbacks else None) or "no transcript"
        row.transcript_status = "failed"
        row.error = f"transcription: {reason}"[:255]
        db.session.commit()
        log.warning("whatsapp media %s: no transcript (%s)", row.id, reason)
        _publish(row)
        return None
    text = result.transcript.strip()
    row.transcript = text
    row.transcript_status = "done"
    msg = db.session.get(WhatsAppMsg, row.message_id)
    answer = None
    if msg is not None and msg.direction == "inbound" and (msg.body or "").startswith("[audio]"):
        # Search, the inbox preview and the WhatsApp agent read the text: the words, not a placeholder.
        msg.body = text
        msg.flags = {**(msg.flags or {}), "transcribed": True}
        if msg.customer_id is not None and text and msg.agent_status is None:
            msg.agent_status = "pending"  # the agent answers a voice note by its words
            answer = msg.id
    db.session.commit()
    log.info("whatsapp media %s transcribed by %s", row.id, result.providers.get("asr"))
    _publish(row)
    if answer is not None:
        try:
            jobs.enqueue("whatsapp.answer_inbound", answer)
        except Exception as exc:  # noqa: BLE001 — the message is pending: the agent's sweep picks it up
            log.error("whatsapp %s: could not enqueue the agent's answer (%s)", answer, exc.__class__.__name__)
    return text


# ---- reading a file --------------------------------------------------------------------

INLINE_TYPES = ("audio/", "image/jpeg", "image/png", "image/webp", "image/gif", "video/mp4", "application/pdf")


def open_media(business_id: BusinessScope, media_id: int) -> tuple[Path, str, str, bool]:
    """(file, content type, download name, show inline) of a stored attachment in scope."""
    row = db.session.get(WhatsAppMedia, media_id)
    if row is None or not in_scope(business_id, row.business_id):
        raise NotFound("media not found", code=ErrorCode.MEDIA_NOT_FOUND)
    return _file_of(row)


def _file_of(row: WhatsAppMedia) -> tuple[Path, str, str, bool]:
    key = row.playback_key or row.storage_key
    if row.status != "ready" or not key:
        raise NotFound("media not found", code=ErrorCode.MEDIA_NOT_FOUND)
    path = get_store(current()).local_path(key)
    if not path.is_file():
        raise NotFound("media not found", code=ErrorCode.MEDIA_NOT_FOUND)
    content_type = row.served_content_type or "application/octet-stream"
    name = row.filename if row.filename and not row.playback_key else f"whatsapp-{row.id}.{_ext(content_type)}"
    inline = content_type.startswith(INLINE_TYPES) and acceptable_type(content_type)
    return path, content_type, name, inline


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current().app.secret_key, salt=_SALT)


def signed_url(row: WhatsAppMedia) -> str | None:
    """A link a provider fetches without a login (Twilio's MediaUrl); None without HOST."""
    host = current().app.host
    if not host:
        return None
    return f"{host}/media/whatsapp/{_serializer().dumps(row.id)}"


def open_signed(token: str) -> tuple[Path, str, str, bool]:
    try:
        media_id = _serializer().loads(token, max_age=current().whatsapp.media_link_ttl_seconds)
    except SignatureExpired:
        raise Forbidden("link expired", code=ErrorCode.LINK_EXPIRED) from None
    except BadSignature:
        raise Forbidden("invalid link", code=ErrorCode.INVALID_LINK) from None
    row = db.session.get(WhatsAppMedia, int(media_id))
    if row is None:
        raise NotFound("media not found", code=ErrorCode.MEDIA_NOT_FOUND)
    return _file_of(row)


# ---- outbound: a file staff send -------------------------------------------------------

MB = 1024 * 1024
# Twilio and Meta both take these (Twilio: images 5 MB, any message 16 MB; Meta: images 5 MB,
# documents 100 MB, capped here by Twilio's 16 MB and the upload limit).
OUTBOUND_TYPES = {
    "image/jpeg": ("image", 5 * MB, (b"\xff\xd8\xff",)),
    "image/png": ("image", 5 * MB, (b"\x89PNG\r\n\x1a\n",)),
    "application/pdf": ("document", 16 * MB, (b"%PDF",)),
    "application/msword": ("document", 16 * MB, (b"\xd0\xcf\x11\xe0",)),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ("document", 16 * MB, (b"PK",)),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ("document", 16 * MB, (b"PK",)),
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": ("document", 16 * MB, (b"PK",)),
}
OUTBOUND_EXTENSIONS = {"jpg": "image/jpeg", "jpeg": "image/jpeg", "png": "image/png", "pdf": "application/pdf",
                       "doc": "application/msword",
                       "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                       "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                       "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation"}


def check_upload(filename: str | None, data: bytes | None) -> tuple[str, str, str]:
    """(kind, content type, clean file name) of a file staff may send, else a 422 whose code
    the SPA shows in Hebrew: file_required, media_type_not_allowed {allowed}, file_too_large {max}."""
    if not data:
        raise ValidationFailed({"file": FieldError(ErrorCode.FILE_REQUIRED, "a file is required")})
    name = _clean(Path(filename or "").name, 200) or "file"
    ext = Path(name).suffix.lower().lstrip(".")
    content_type = OUTBOUND_EXTENSIONS.get(ext)
    allowed = sorted(OUTBOUND_EXTENSIONS)
    if content_type is None or not data.startswith(OUTBOUND_TYPES[content_type][2]):
        raise ValidationFailed({"file": FieldError(ErrorCode.MEDIA_TYPE_NOT_ALLOWED,
                                                   "WhatsApp accepts JPG/PNG images and PDF/Office documents",
                                                   allowed=allowed)})
    kind, max_bytes, _ = OUTBOUND_TYPES[content_type]
    if len(data) > max_bytes:
        raise ValidationFailed({"file": FieldError(ErrorCode.FILE_TOO_LARGE, f"at most {max_bytes} bytes",
                                                   max=max_bytes, max_mb=max_bytes // MB)})
    return kind, content_type, name


def add_outbound(msg: WhatsAppMsg, kind: str, content_type: str, filename: str, data: bytes) -> WhatsAppMedia:
    """Store the file and its row on a queued message (no commit: the message's transaction)."""
    key = get_store(current()).put(STORE_FOLDER, msg.business_id or 0, data, _ext(content_type, filename))
    row = WhatsAppMedia(business_id=msg.business_id, kind=kind, status="ready", content_type=content_type,
                        filename=filename, size=len(data), sha256=hashlib.sha256(data).hexdigest(),
                        storage_key=key, details={}, attempts=0)
    msg.media.append(row)
    return row


def outbound_media(msg: WhatsAppMsg) -> tuple:
    store = get_store(current())
    return tuple(OutboundMedia(kind=row.kind, content_type=row.content_type or "application/octet-stream",
                               filename=row.filename or f"file.{_ext(row.content_type)}",
                               path=str(store.local_path(row.storage_key)), url=signed_url(row))
                 for row in msg.media if row.storage_key and row.status == "ready")


# ---- privacy: export, erasure, retention -----------------------------------------------

def export_files(messages) -> list[tuple[str, Path]]:
    """(name in the ZIP, file) of every stored attachment of these messages."""
    store = get_store(current())
    files = []
    for msg in messages:
        for row in msg.media:
            if row.storage_key and row.status == "ready":
                name = f"whatsapp/message-{msg.id}-media-{row.id}.{_ext(row.content_type, row.filename)}"
                files.append((name, store.local_path(row.storage_key)))
    return files


def erase_media(messages) -> dict:
    """Delete the files and what the rows say of the person (transcript, file name, location,
    the provider's link); the row stays as `erased`: the message had an attachment. No commit."""
    store = get_store(current())
    counts = {"media": 0, "media_files": 0, "media_files_failed": 0}
    for msg in messages:
        for row in msg.media:
            if row.status == "erased":
                continue
            counts["media"] += 1
            for key in (row.storage_key, row.playback_key):
                if not key:
                    continue
                try:
                    if store.delete(key):
                        counts["media_files"] += 1
                except (OSError, ValueError) as exc:
                    counts["media_files_failed"] += 1
                    log.warning("whatsapp media %s: file not deleted (%s)", row.id, exc.__class__.__name__)
            row.status = "erased"
            row.storage_key = row.playback_key = row.source = None
            row.transcript = None
            row.transcript_status = None
            row.filename = None
            row.details = {}
            row.error = None
            row.next_attempt_at = None
    return counts


def messages_with_media_before(business_id: int | None, cutoff: datetime) -> list[WhatsAppMsg]:
    owner = WhatsAppMsg.business_id.is_(None) if business_id is None else WhatsAppMsg.business_id == business_id
    return list(db.session.scalars(select(WhatsAppMsg).where(
        owner, WhatsAppMsg.created_at < cutoff,
        WhatsAppMsg.media.any(and_(WhatsAppMedia.status != "erased")))))
