"""Downloads a Twilio recording: {RecordingUrl}.mp3 with the account's basic auth.

Only hosts in RECORDING_HOSTS are fetched (the URL comes from a webhook form: without
this, anyone who can post to it could make the server fetch internal addresses and,
worse, send it the Twilio credentials). The body is capped in size and in time.
"""
from __future__ import annotations

import time
from urllib.parse import urlsplit

import requests

from server.providers.errors import ProviderError
from server.providers.http import describe_http_error


def _host_allowed(host: str, allowed: list[str]) -> bool:
    host = host.lower()
    for pattern in allowed:
        pattern = pattern.strip().lower()
        if not pattern:
            continue
        if pattern.startswith("*.") and (host.endswith(pattern[1:]) or host == pattern[2:]):
            return True
        if host == pattern:
            return True
    return False


def download_recording(recording_url: str, config: dict, fmt: str = "mp3") -> bytes:
    parts = urlsplit(recording_url)
    allowed = [h for h in (config.get("RECORDING_HOSTS") or "api.twilio.com").split(",")]
    if parts.scheme not in ("https", "http") or not parts.hostname or not _host_allowed(parts.hostname, allowed):
        raise ProviderError("recording", "recording host not allowed")
    url = recording_url if recording_url.endswith((".mp3", ".wav")) else f"{recording_url}.{fmt}"
    sid, token = config.get("TWILIO_ACCOUNT_SID"), config.get("TWILIO_AUTH_TOKEN")
    auth = (sid, token) if sid and token else None
    timeout = float(config.get("RECORDING_TIMEOUT") or 8)
    max_bytes = int(config.get("RECORDING_MAX_BYTES") or 10 * 1024 * 1024)
    deadline = time.monotonic() + timeout
    try:
        with requests.get(url, auth=auth, timeout=(min(timeout, 5), timeout), stream=True) as response:
            response.raise_for_status()
            declared = response.headers.get("Content-Length")
            if declared and declared.isdigit() and int(declared) > max_bytes:
                raise ProviderError("recording", "recording too large")
            chunks, size = [], 0
            for chunk in response.iter_content(64 * 1024):
                size += len(chunk)
                if size > max_bytes:
                    raise ProviderError("recording", "recording too large")
                if time.monotonic() > deadline:
                    raise ProviderError("recording", "timeout")
                chunks.append(chunk)
    except requests.RequestException as exc:
        raise ProviderError("recording", describe_http_error(exc)) from exc
    data = b"".join(chunks)
    if not data:
        raise ProviderError("recording", "empty recording")
    return data
