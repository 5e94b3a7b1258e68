"""OpenAI text-to-speech: POST {OPENAI_BASE_URL}/audio/speech → MP3 bytes."""
from __future__ import annotations

import requests

from server.config import AgentConfig, KesherConfig, OpenAIConfig
from server.providers.configured import Configured
from server.providers.errors import ProviderError
from server.providers.http import describe_http_error
from server.providers.tts import Audio


class OpenAITTS(Configured):
    name = "openai"

    @classmethod
    def config_groups(cls, config: KesherConfig) -> tuple:
        return (config.openai, config.agent)

    def __init__(self, openai: OpenAIConfig, agent: AgentConfig):
        self.api_key = openai.api_key
        self.base_url = openai.base_url
        self.model = openai.tts_model
        self.voice = openai.tts_voice
        self.timeout = float(agent.provider_timeout)

    def synthesize(self, text: str) -> Audio:
        if not self.api_key:
            raise ProviderError(self.name, "OPENAI_API_KEY is not set")
        try:
            response = requests.post(
                f"{self.base_url}/audio/speech",
                headers={"Authorization": f"Bearer {self.api_key}"},
                json={"model": self.model, "voice": self.voice, "input": text, "response_format": "mp3"},
                timeout=self.timeout,
            )
            response.raise_for_status()
        except requests.RequestException as exc:
            raise ProviderError(self.name, describe_http_error(exc)) from exc
        if not response.content or not _looks_like_mp3(response.content):
            raise ProviderError(self.name, "response is not MP3 audio")
        return Audio(data=response.content, ext="mp3", provider=self.name)


def _looks_like_mp3(data: bytes) -> bool:
    return data[:3] == b"ID3" or (len(data) > 1 and data[0] == 0xFF and (data[1] & 0xE0) == 0xE0)
