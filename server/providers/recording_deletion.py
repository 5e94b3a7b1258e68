"""Deletes a caller recording held by Twilio: DELETE {RecordingUrl}.json with the account's
basic auth (204 No Content; 404 means it is already gone).

Erasure and retention use it: the recordings of a call live at Twilio, not only here.
The URL is contacted only through the outbound policy (server.providers.safe_http), as
for downloads; a DELETE never follows a redirect. Without Twilio credentials nothing can
be deleted remotely: that is reported, never hidden.
"""
from __future__ import annotations

import re

from server.config import KesherConfig, typed
from server.providers import safe_http
from server.providers.errors import ProviderError
from server.providers.recordings import recording_hosts, twilio_auth


def delete_recording(recording_url: str, config: KesherConfig | dict) -> str:
    """'deleted' or 'already gone'; ProviderError when Twilio refuses or cannot be reached."""
    config = typed(config)
    auth = twilio_auth(config)
    url = re.sub(r"\.(mp3|wav|json)$", "", recording_url) + ".json"
    try:  # refused before anything else, whatever the credentials
        safe_http.check_allowed(url, recording_hosts(config))
    except ProviderError as exc:
        raise ProviderError("recording", exc.reason) from exc
    if auth is None:
        raise ProviderError("recording", "no Twilio credentials")
    timeout = float(config.recordings.timeout)
    try:
        with safe_http.fetch("DELETE", url, recording_hosts(config), auth=auth, timeout=timeout,
                             max_redirects=0) as response:
            status = response.status
    except ProviderError as exc:
        raise ProviderError("recording", exc.reason) from exc
    if status == 404:
        return "already gone"
    if status not in (200, 204):
        raise ProviderError("recording", f"HTTP {status}")
    return "deleted"
