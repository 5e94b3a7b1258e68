"""Deletes a caller recording held by Twilio: DELETE {RecordingUrl}.json with the account's
basic auth (204 No Content; 404 means it is already gone).

Erasure and retention use it: the recordings of a call live at Twilio, not only here.
Only hosts in RECORDING_HOSTS are contacted, as for downloads. Without Twilio
credentials nothing can be deleted remotely: that is reported, never hidden.
"""
from __future__ import annotations

import re
from urllib.parse import urlsplit

import requests

from server.providers.errors import ProviderError
from server.providers.http import describe_http_error
from server.providers.recordings import _host_allowed


def delete_recording(recording_url: str, config: dict) -> str:
    """'deleted' or 'already gone'; ProviderError when Twilio refuses or cannot be reached."""
    parts = urlsplit(recording_url)
    allowed = (config.get("RECORDING_HOSTS") or "api.twilio.com").split(",")
    if parts.scheme not in ("https", "http") or not parts.hostname or not _host_allowed(parts.hostname, allowed):
        raise ProviderError("recording", "recording host not allowed")
    sid, token = config.get("TWILIO_ACCOUNT_SID"), config.get("TWILIO_AUTH_TOKEN")
    if not (sid and token):
        raise ProviderError("recording", "no Twilio credentials")
    url = re.sub(r"\.(mp3|wav|json)$", "", recording_url) + ".json"
    timeout = float(config.get("RECORDING_TIMEOUT") or 8)
    try:
        response = requests.delete(url, auth=(sid, token), timeout=(min(timeout, 5), timeout))
    except requests.RequestException as exc:
        raise ProviderError("recording", describe_http_error(exc)) from exc
    if response.status_code == 404:
        return "already gone"
    if response.status_code not in (200, 204):
        raise ProviderError("recording", f"HTTP {response.status_code}")
    return "deleted"
