"""OpenAI speech-to-text: POST {OPENAI_BASE_URL}/audio/transcriptions (multipart), language he."""
from __future__ import annotations

import requests

from server.config import AgentConfig, KesherConfig, OpenAIConfig
from server.providers.configured import Configured
from server.providers.asr import Transcript
from server.providers.errors import ProviderError
from server.providers.http import describe_http_error


class OpenAITranscriber(Configured):
    name = "openai"

    @classmethod
    def config_groups(cls, config: KesherConfig) -> tuple:
        return (config.openai, config.agent)

    def __init__(self, openai: OpenAIConfig, agent: AgentConfig):
        self.api_key = openai.api_key
        self.base_url = openai.base_url
        self.model = openai.asr_model
        self.timeout = float(agent.provider_timeout)

    def transcribe(self, audio: bytes, filename: str = "recording.wav") -> Transcript:
        if not self.api_key:
            raise ProviderError(self.name, "OPENAI_API_KEY is not set")
        mime = "audio/mpeg" if filename.endswith(".mp3") else "audio/wav"
        try:
            response = requests.post(
                f"{self.base_url}/audio/transcriptions",
                headers={"Authorization": f"Bearer {self.api_key}"},
                data={"model": self.model, "language": "he", "response_format": "json", "temperature": "0"},
                files={"file": (filename, audio, mime)},
                timeout=self.timeout,
            )
            response.raise_for_status()
            text = response.json().get("text")
        except (requests.RequestException, ValueError) as exc:
            raise ProviderError(self.name, describe_http_error(exc)) from exc
        if not isinstance(text, str):
            raise ProviderError(self.name, "response without text")
        return Transcript(text=text.strip(), provider=self.name, language="he")
