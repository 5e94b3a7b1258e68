"""Fetching an inbound attachment's bytes, and what the inbox accepts as one.

A media URL comes from a webhook (Twilio's MediaUrl) or from the provider's answer about a
media id (Meta's `url`), so it goes through the outbound policy (server.providers.safe_http)
like a call recording: a host on WHATSAPP_MEDIA_HOSTS, every redirect hop re-checked, the
credentials only for the first host. The body is capped in size and time, and its type
must be one the inbox can show.
"""
from __future__ import annotations

import time

from server.providers import safe_http
from server.providers.errors import ProviderError
from server.providers.whatsapp.base import Downloaded, MediaError, MediaLimits

# Types a browser would run rather than show: never stored, never served.
REFUSED_TYPES = ("text/html", "application/xhtml+xml", "image/svg+xml", "application/javascript",
                 "text/javascript", "application/x-msdownload")
ALLOWED_MAJOR = ("audio", "image", "video", "application", "text")


def acceptable_type(content_type: str | None) -> bool:
    base = (content_type or "").split(";", 1)[0].strip().lower()
    if not base or "/" not in base or base in REFUSED_TYPES:
        return False
    return base.split("/", 1)[0] in ALLOWED_MAJOR


def download(url: str, limits: MediaLimits, *, auth: tuple[str, str] | None = None,
             bearer: str | None = None) -> Downloaded:
    deadline = time.monotonic() + limits.timeout
    try:
        with safe_http.fetch("GET", url, list(limits.hosts), auth=auth, bearer=bearer,
                             timeout=limits.timeout) as response:
            if response.status >= 400:
                # 404 right after the webhook is a provider still storing it: worth another try.
                permanent = response.status in (400, 401, 403, 410)
                raise MediaError(f"HTTP {response.status}", retryable=not permanent)
            content_type = response.headers.get("Content-Type")
            if not acceptable_type(content_type):
                raise MediaError(f"content type {(content_type or 'none')[:60]} refused", retryable=False)
            declared = response.headers.get("Content-Length")
            if declared and declared.isdigit() and int(declared) > limits.max_bytes:
                raise MediaError("too large", retryable=False)
            chunks, size = [], 0
            for chunk in response.stream(64 * 1024):
                size += len(chunk)
                if size > limits.max_bytes:
                    raise MediaError("too large", retryable=False)
                if time.monotonic() > deadline:
                    raise MediaError("timeout")
                chunks.append(chunk)
    except safe_http.UrlRefused as exc:
        raise MediaError(f"url refused ({exc.why})", retryable=False) from None
    except ProviderError as exc:
        raise MediaError(exc.reason) from None
    data = b"".join(chunks)
    if not data:
        raise MediaError("empty file")
    return Downloaded(data=data, content_type=content_type.split(";", 1)[0].strip().lower())


# What every browser plays; WhatsApp's voice notes are OGG/Opus, which Safari does not.
PLAYABLE_AUDIO = ("audio/mpeg", "audio/mp3", "audio/aac", "audio/mp4", "audio/x-m4a")


def to_mp3(data: bytes, timeout: float = 60.0) -> bytes:
    """Any audio ffmpeg reads → MP3 (mono, 64 kbit/s: speech). MediaError when it cannot."""
    import shutil
    import subprocess

    ffmpeg = shutil.which("ffmpeg")
    if not ffmpeg:
        raise MediaError("ffmpeg is not installed", retryable=False)
    try:
        result = subprocess.run([ffmpeg, "-hide_banner", "-loglevel", "error", "-i", "pipe:0", "-vn", "-ac", "1",
                                 "-codec:a", "libmp3lame", "-b:a", "64k", "-f", "mp3", "pipe:1"],
                                input=data, capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise MediaError("conversion timed out") from None
    if result.returncode != 0 or not result.stdout:
        raise MediaError("audio could not be converted", retryable=False)
    return result.stdout
