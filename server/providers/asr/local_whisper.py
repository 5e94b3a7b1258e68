"""Offline speech-to-text with faster-whisper (CTranslate2), Hebrew, int8 on CPU.

The model loads once per process (the registry keeps one instance) and is shared by
every thread behind a lock: CTranslate2 models are not cheap to duplicate and a call
center on 2 cores gains nothing from running two decodes at once.
"""
from __future__ import annotations

import io
import logging
import threading
import time

from server.config import KesherConfig, WhisperConfig
from server.providers.configured import Configured
from server.hebrew import normalize_for_search
from server.providers.asr import Transcript
from server.providers.errors import ProviderError

log = logging.getLogger(__name__)


class LocalWhisper(Configured):
    name = "local"

    @classmethod
    def config_groups(cls, config: KesherConfig) -> tuple:
        return (config.whisper,)

    def __init__(self, whisper: WhisperConfig):
        self.model_ref = whisper.model
        self.cache_dir = whisper.cache_dir
        self.prompt = whisper.prompt or None
        self._model = None
        self._lock = threading.Lock()
        self.load_ms: float | None = None

    def _ensure_model(self):
        if self._model is not None:
            return self._model
        try:
            from faster_whisper import WhisperModel
        except ImportError as exc:  # pragma: no cover - requirements.txt installs it
            raise ProviderError(self.name, "faster-whisper is not installed") from exc
        from server.providers.asr.whisper_model import ModelUnavailable, assemble_base_model
        started = time.perf_counter()
        try:
            path = self.model_ref or str(assemble_base_model(self.cache_dir))
        except ModelUnavailable as exc:
            raise ProviderError(self.name, str(exc)) from exc
        try:
            # A path, or a model name faster-whisper resolves from its local cache.
            self._model = WhisperModel(path, device="cpu", compute_type="int8", local_files_only=True)
        except Exception as exc:  # noqa: BLE001 - a broken model must fall back, not crash the call
            raise ProviderError(self.name, f"cannot load model: {exc.__class__.__name__}") from exc
        self.load_ms = (time.perf_counter() - started) * 1000
        log.info("loaded Whisper model %s in %.0f ms", path, self.load_ms)
        return self._model

    def transcribe(self, audio: bytes, filename: str = "recording.wav") -> Transcript:
        with self._lock:
            model = self._ensure_model()
            try:
                segments, info = model.transcribe(
                    io.BytesIO(audio), language="he", task="transcribe", beam_size=5,
                    temperature=0.0, no_repeat_ngram_size=3, condition_on_previous_text=False,
                    initial_prompt=self.prompt, vad_filter=False,
                )
                text = " ".join(s.text.strip() for s in segments).strip()
            except Exception as exc:  # noqa: BLE001 - undecodable audio is a transcription failure
                raise ProviderError(self.name, f"transcription failed: {exc.__class__.__name__}") from exc
        if self.prompt and _echoes_prompt(text, self.prompt):
            # On unclear audio Whisper can return its prompt: that is not what the caller said.
            log.warning("Whisper returned its prompt; treating the recording as unclear")
            text = ""
        return Transcript(text=text, provider=self.name, language=info.language)


def _echoes_prompt(text: str, prompt: str) -> bool:
    said = normalize_for_search(text)
    return bool(said) and said in normalize_for_search(prompt)
