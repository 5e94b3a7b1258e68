"""Small helpers shared by the HTTP adapters."""
from __future__ import annotations

import requests


def describe_http_error(exc: Exception) -> str:
    """A short reason fit for logs and the API: status and class, never headers or bodies with keys."""
    if isinstance(exc, requests.HTTPError) and exc.response is not None:
        return f"HTTP {exc.response.status_code}"
    if isinstance(exc, requests.Timeout):
        return "timeout"
    if isinstance(exc, requests.ConnectionError):
        return "connection failed"
    if isinstance(exc, ValueError):
        return "invalid response"
    return exc.__class__.__name__
