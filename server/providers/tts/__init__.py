"""Text-to-speech: `synthesize(hebrew text) -> Audio` Twilio can <Play>, chosen by TTS_PROVIDER.

espeak — espeak-ng's Hebrew voice on this machine (default; works offline)
google — Google Cloud Text-to-Speech REST (he-IL)
openai — OpenAI's /audio/speech
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from server.providers.asr import get_provider

REGISTRY = {
    "espeak": "server.providers.tts.espeak:EspeakTTS",
    "google": "server.providers.tts.google:GoogleTTS",
    "openai": "server.providers.tts.openai:OpenAITTS",
}
TTS_CONFIG_KEYS = ("ESPEAK_MODE", "ESPEAK_RATE", "ESPEAK_GAP", "GOOGLE_TTS_BASE", "GOOGLE_API_KEY", "GOOGLE_TTS_VOICE",
                   "GOOGLE_APPLICATION_CREDENTIALS", "OPENAI_API_KEY", "OPENAI_BASE_URL",
                   "OPENAI_TTS_MODEL", "OPENAI_TTS_VOICE", "PROVIDER_TIMEOUT")
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


def get_tts(config: dict, name: str | None = None) -> TextToSpeech:
    return get_provider(REGISTRY, name or config.get("TTS_PROVIDER") or "espeak", config, TTS_CONFIG_KEYS)
