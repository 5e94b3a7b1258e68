"""Audio a call left behind: agent replies under MEDIA_DIR, caller recordings (Twilio)."""
from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit


def local_media_path(url: str | None, media_dir: str) -> Path | None:
    """The file under MEDIA_DIR an audio URL points at (`…/media/<sub>/<name>`), else None.

    Only paths that stay inside MEDIA_DIR count: a crafted URL cannot point outside it.
    """
    if not url:
        return None
    path = urlsplit(url).path
    marker = "/media/"
    if marker not in path:
        return None
    relative = path.split(marker, 1)[1]
    root = Path(media_dir).resolve()
    candidate = (root / relative).resolve()
    if candidate == root or root not in candidate.parents:
        return None
    return candidate


def is_remote(url: str | None) -> bool:
    return bool(url) and urlsplit(url).scheme in ("http", "https") and "/media/" not in urlsplit(url).path


def call_audio(calls, media_dir: str) -> tuple[list[tuple[str, Path]], list[tuple[str, str]]]:
    """(label, local file) pairs and (label, remote URL) pairs of every call's audio."""
    local: list[tuple[str, Path]] = []
    remote: list[tuple[str, str]] = []
    for call in calls:
        urls = [(f"call-{call.id}-recording", call.recording_url, "recordings")]
        for turn in call.turns:
            urls.append((f"call-{call.id}-turn-{turn.index}-caller", turn.recording_url, "recordings"))
            urls.append((f"call-{call.id}-turn-{turn.index}-agent", turn.audio_url, "agent"))
        seen: set[str] = set()
        for label, url, kind in urls:
            if not url or url in seen:
                continue
            seen.add(url)
            path = local_media_path(url, media_dir)
            if path is not None:
                local.append((f"audio/{kind}/{label}{path.suffix}", path))
            elif is_remote(url):
                remote.append((f"audio/{kind}/{label}", url))
    return local, remote
