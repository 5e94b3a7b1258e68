"""The one error every provider raises, so the pipeline can fall back without knowing SDKs."""
from __future__ import annotations


class ProviderError(RuntimeError):
    """A provider could not do its job. `reason` is short, safe to log and to show (no secrets)."""

    def __init__(self, provider: str, reason: str):
        super().__init__(f"{provider}: {reason}")
        self.provider = provider
        self.reason = reason
