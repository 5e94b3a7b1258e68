"""Downloads a Twilio recording: {RecordingUrl}.mp3 with the account's basic auth.

The URL comes from a webhook form, so it is fetched only through the outbound policy
(server.providers.safe_http): a host on RECORDING_HOSTS, public addresses unless the
host is listed literally, every redirect hop re-checked, and the Twilio credentials sent
only to the checked host — never to a redirect target elsewhere. The body is capped in
size and in time.
"""
from __future__ import annotations

import time

from server.providers import safe_http
from server.providers.errors import ProviderError


def recording_hosts(config) -> list[str]:
    """RECORDING_HOSTS as a list: literal hosts and `*.domain` wildcards."""
    return [h for h in (config.get("RECORDING_HOSTS") or "api.twilio.com").split(",") if h.strip()]


def twilio_auth(config) -> tuple[str, str] | None:
    sid, token = config.get("TWILIO_ACCOUNT_SID"), config.get("TWILIO_AUTH_TOKEN")
    return (sid, token) if sid and token else None


def download_recording(recording_url: str, config: dict, fmt: str = "mp3") -> bytes:
    url = recording_url if recording_url.endswith((".mp3", ".wav")) else f"{recording_url}.{fmt}"
    timeout = float(config.get("RECORDING_TIMEOUT") or 8)
    max_bytes = int(config.get("RECORDING_MAX_BYTES") or 10 * 1024 * 1024)
    deadline = time.monotonic() + timeout
    try:
        with safe_http.fetch("GET", url, recording_hosts(config), auth=twilio_auth(config),
                             timeout=timeout) as response:
            if response.status >= 400:
                raise ProviderError("recording", f"HTTP {response.status}")
            declared = response.headers.get("Content-Length")
            if declared and declared.isdigit() and int(declared) > max_bytes:
                raise ProviderError("recording", "recording too large")
            chunks, size = [], 0
            for chunk in response.stream(64 * 1024):
                size += len(chunk)
                if size > max_bytes:
                    raise ProviderError("recording", "recording too large")
                if time.monotonic() > deadline:
                    raise ProviderError("recording", "timeout")
                chunks.append(chunk)
    except ProviderError as exc:
        if exc.provider == "recording":
            raise
        raise ProviderError("recording", exc.reason) from exc
    data = b"".join(chunks)
    if not data:
        raise ProviderError("recording", "empty recording")
    return data
