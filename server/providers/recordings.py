"""Downloads a Twilio recording: {RecordingUrl}.mp3 with the account's basic auth.

The URL comes from a webhook form, so it is fetched only through the outbound policy
(server.providers.safe_http): a host on RECORDING_HOSTS, public addresses unless the
host is listed literally, every redirect hop re-checked, and the Twilio credentials sent
only to the checked host — never to a redirect target elsewhere. The body is capped in
size and in time.
"""
from __future__ import annotations

import time

from server.config import KesherConfig, typed
from server.providers import safe_http
from server.providers.errors import ProviderError


def recording_hosts(config: KesherConfig | dict) -> list[str]:
    """RECORDING_HOSTS as a list: literal hosts and `*.domain` wildcards."""
    return typed(config).recordings.host_list


def twilio_auth(config: KesherConfig | dict) -> tuple[str, str] | None:
    twilio = typed(config).twilio
    return (twilio.account_sid, twilio.auth_token) if twilio.account_sid and twilio.auth_token else None


def download_recording(recording_url: str, config: KesherConfig | dict, fmt: str = "mp3") -> bytes:
    config = typed(config)
    url = recording_url if recording_url.endswith((".mp3", ".wav")) else f"{recording_url}.{fmt}"
    timeout = float(config.recordings.timeout)
    max_bytes = config.recordings.max_bytes
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
