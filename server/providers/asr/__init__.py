"""Speech-to-text: `transcribe(audio bytes) -> Transcript`, chosen by ASR_PROVIDER.

local  — faster-whisper on this machine (default; works offline)
openai — OpenAI's /audio/transcriptions
"""
from __future__ import annotations

import importlib
import threading
from dataclasses import dataclass
from typing import Protocol

from server.config import KesherConfig, typed
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


def get_provider(kind_registry: dict, name: str, config: KesherConfig):
    """One instance per (provider, the typed config groups it reads) and process: a model loads
    once. A provider class names its groups (`config_groups(config)`) and receives them."""
    if name not in kind_registry:
        raise ProviderError(name, f"unknown provider {name!r}; choose one of {sorted(kind_registry)}")
    cls = _load(kind_registry[name])
    groups = cls.config_groups(config)
    key = (kind_registry[name], tuple(group.model_dump_json() for group in groups))
    with _lock:
        instance = _instances.get(key)
        if instance is None:
            instance = cls(*groups)
            _instances[key] = instance
    return instance


def get_asr(config: KesherConfig | dict, name: str | None = None) -> SpeechToText:
    config = typed(config)
    return get_provider(REGISTRY, name or config.agent.asr_provider, config)
