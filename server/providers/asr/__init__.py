"""Speech-to-text: `transcribe(audio bytes) -> Transcript`, chosen by ASR_PROVIDER.

local  — faster-whisper on this machine (default; works offline)
openai — OpenAI's /audio/transcriptions
"""
from __future__ import annotations

import importlib
import threading
from dataclasses import dataclass
from typing import Protocol

from server.providers.errors import ProviderError

REGISTRY = {
    "local": "server.providers.asr.local_whisper:LocalWhisper",
    "openai": "server.providers.asr.openai:OpenAITranscriber",
}


@dataclass
class Transcript:
    text: str
    provider: str
    language: str | None = None


class SpeechToText(Protocol):
    name: str

    def transcribe(self, audio: bytes, filename: str = "recording.wav") -> Transcript: ...


_instances: dict[tuple, object] = {}
_lock = threading.Lock()


def _load(path: str):
    module, _, attr = path.partition(":")
    return getattr(importlib.import_module(module), attr)


def get_provider(kind_registry: dict, name: str, config: dict, config_keys: tuple[str, ...]):
    """One instance per (provider, relevant config) and process: a model loads once."""
    if name not in kind_registry:
        raise ProviderError(name, f"unknown provider {name!r}; choose one of {sorted(kind_registry)}")
    key = (kind_registry[name], tuple(str(config.get(k)) for k in config_keys))
    with _lock:
        instance = _instances.get(key)
        if instance is None:
            instance = _load(kind_registry[name])(config)
            _instances[key] = instance
    return instance


ASR_CONFIG_KEYS = ("WHISPER_MODEL", "WHISPER_CACHE_DIR", "WHISPER_PROMPT", "OPENAI_API_KEY",
                   "OPENAI_BASE_URL", "OPENAI_ASR_MODEL", "PROVIDER_TIMEOUT")


def get_asr(config: dict, name: str | None = None) -> SpeechToText:
    return get_provider(REGISTRY, name or config.get("ASR_PROVIDER") or "local", config, ASR_CONFIG_KEYS)
