"""Text-to-speech: `synthesize(hebrew text) -> Audio` Twilio can <Play>, chosen by TTS_PROVIDER.

espeak — espeak-ng's Hebrew voice on this machine (default; works offline)
google — Google Cloud Text-to-Speech REST (he-IL)
openai — OpenAI's /audio/speech
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from server.config import KesherConfig, typed
from server.providers.asr import get_provider

REGISTRY = {
    "espeak": "server.providers.tts.espeak:EspeakTTS",
    "google": "server.providers.tts.google:GoogleTTS",
    "openai": "server.providers.tts.openai:OpenAITTS",
}
MIME = {"mp3": "audio/mpeg", "wav": "audio/wav"}


@dataclass
class Audio:
    data: bytes
    ext: str  # "mp3" | "wav"
    provider: str

    @property
    def mime(self) -> str:
        return MIME[self.ext]


class TextToSpeech(Protocol):
    name: str

    def synthesize(self, text: str) -> Audio: ...


def get_tts(config: KesherConfig | dict, name: str | None = None) -> TextToSpeech:
    config = typed(config)
    return get_provider(REGISTRY, name or config.agent.tts_provider, config)
