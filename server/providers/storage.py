"""Audio files the agent plays: stored under MEDIA_DIR/voice, served at /media/voice/<name>.

Names are random (128 bits): a reply can hold a customer's name or invoice amount, and
Twilio fetches it without a login. Files older than the retention period are deleted.
"""
from __future__ import annotations

import errno
import logging
import os
import re
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from server.config import KesherConfig, typed

log = logging.getLogger(__name__)

VOICE_SUBDIR = "voice"
# The storage faults an operator must act on, named in the turn's fallback reason.
_ERRNO_MEANING = {errno.ENOSPC: "disk full", errno.EROFS: "read-only file system", errno.EDQUOT: "quota exceeded",
                  errno.EACCES: "permission denied"}
URL_PREFIX = "/media/voice/"
_NAME = re.compile(r"^[0-9a-f]{32}\.(mp3|wav)$")


@dataclass
class StoredAudio:
    name: str
    path: Path
    url: str


def voice_dir(config: KesherConfig | dict) -> Path:
    path = Path(typed(config).app.media_dir) / VOICE_SUBDIR
    path.mkdir(parents=True, exist_ok=True)
    return path


def public_url(base_url: str, name: str) -> str:
    return base_url.rstrip("/") + URL_PREFIX + name


def save_audio(config: KesherConfig | dict, data: bytes, ext: str, base_url: str) -> StoredAudio:
    if ext not in ("mp3", "wav"):
        raise ValueError(f"unsupported audio type {ext!r}")
    name = f"{secrets.token_hex(16)}.{ext}"
    tmp = None
    try:
        directory = voice_dir(config)
        tmp = directory / f".{name}.tmp"
        tmp.write_bytes(data)
        os.replace(tmp, directory / name)  # never serve a half-written file
    except OSError as exc:
        log.error("cannot store reply audio under %s: %s", typed(config).app.media_dir, storage_reason(exc))
        if tmp is not None:
            tmp.unlink(missing_ok=True)  # a partial file would only fill the disk further
        raise
    return StoredAudio(name=name, path=directory / name, url=public_url(base_url, name))


def storage_reason(exc: OSError) -> str:
    """`storage: ENOSPC (disk full)` — what a turn's fallback says when audio cannot be stored."""
    code = exc.errno
    if code is None:
        return f"storage: {exc.__class__.__name__}"
    name = errno.errorcode.get(code, str(code))
    meaning = _ERRNO_MEANING.get(code)
    return f"storage: {name} ({meaning})" if meaning else f"storage: {name}"


def is_valid_name(name: str) -> bool:
    return bool(_NAME.match(name))


def cleanup(config: KesherConfig | dict, retention_hours: float | None = None, now: float | None = None) -> int:
    """Delete stored audio older than the retention period; returns how many files went."""
    config = typed(config)
    hours = float(retention_hours if retention_hours is not None else config.recordings.audio_retention_hours)
    cutoff = (now if now is not None else time.time()) - hours * 3600
    removed = 0
    for entry in voice_dir(config).iterdir():
        if entry.is_file() and entry.stat().st_mtime < cutoff:
            entry.unlink(missing_ok=True)
            removed += 1
    return removed
