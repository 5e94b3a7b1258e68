"""Google Cloud Text-to-Speech REST: POST {GOOGLE_TTS_BASE}/v1/text:synthesize, he-IL, MP3.

Authentication: an API key (GOOGLE_API_KEY, sent as X-Goog-Api-Key) or a service account
(GOOGLE_APPLICATION_CREDENTIALS) through google-auth when it is installed.
"""
from __future__ import annotations

import base64
import binascii

import requests

from server.config import AgentConfig, GoogleConfig, KesherConfig
from server.providers.configured import Configured
from server.providers.errors import ProviderError
from server.providers.http import describe_http_error
from server.providers.tts import Audio
from server.providers.tts.openai import _looks_like_mp3

SCOPE = "https://www.googleapis.com/auth/cloud-platform"


class GoogleTTS(Configured):
    name = "google"

    @classmethod
    def config_groups(cls, config: KesherConfig) -> tuple:
        return (config.google, config.agent)

    def __init__(self, google: GoogleConfig, agent: AgentConfig):
        self.base_url = google.tts_base
        self.api_key = google.api_key
        self.credentials_file = google.application_credentials
        self.voice = google.tts_voice
        self.timeout = float(agent.provider_timeout)
        self._credentials = None

    def _auth_headers(self) -> dict:
        if self.api_key:
            return {"X-Goog-Api-Key": self.api_key}
        if self.credentials_file:
            try:
                import google.auth.transport.requests
                from google.oauth2 import service_account
            except ImportError as exc:
                raise ProviderError(self.name, "google-auth is not installed for a service account") from exc
            try:
                if self._credentials is None:
                    self._credentials = service_account.Credentials.from_service_account_file(
                        self.credentials_file, scopes=[SCOPE])
                if not self._credentials.valid:
                    self._credentials.refresh(google.auth.transport.requests.Request())
            except Exception as exc:  # noqa: BLE001 - any auth failure is a provider failure
                raise ProviderError(self.name, f"service account: {exc.__class__.__name__}") from exc
            return {"Authorization": f"Bearer {self._credentials.token}"}
        raise ProviderError(self.name, "set GOOGLE_API_KEY or GOOGLE_APPLICATION_CREDENTIALS")

    def synthesize(self, text: str) -> Audio:
        body = {
            "input": {"text": text},
            "voice": {"languageCode": "he-IL", "name": self.voice},
            "audioConfig": {"audioEncoding": "MP3", "sampleRateHertz": 22050},
        }
        try:
            response = requests.post(f"{self.base_url}/v1/text:synthesize", json=body,
                                     headers=self._auth_headers(), timeout=self.timeout)
            response.raise_for_status()
            content = response.json()["audioContent"]
            data = base64.b64decode(content, validate=True)
        except (requests.RequestException, ValueError, KeyError, TypeError, binascii.Error) as exc:
            raise ProviderError(self.name, describe_http_error(exc)) from exc
        if not _looks_like_mp3(data):
            raise ProviderError(self.name, "response is not MP3 audio")
        return Audio(data=data, ext="mp3", provider=self.name)
