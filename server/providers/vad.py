"""Voice activity detection on streamed 16 kHz audio: `stream().push(samples) -> [probability]`.

silero — the Silero VAD v6 ONNX model that ships inside faster-whisper (default; offline),
         run one 32 ms window at a time with its recurrent state carried between windows
energy — a loudness gate, used when onnxruntime or the model is missing (the fallback is
         named on the call so it is never silent)
"""
from __future__ import annotations

import logging
import threading

import numpy as np

from server.config import KesherConfig, typed

log = logging.getLogger(__name__)

WINDOW = 512    # samples at 16 kHz: 32 ms, the window Silero was trained on
CONTEXT = 64    # samples of the previous window Silero v5/v6 expect in front of each one

_model = None
_model_lock = threading.Lock()


def _silero_session():
    global _model
    with _model_lock:
        if _model is None:
            from faster_whisper.vad import get_vad_model
            _model = get_vad_model()
    return _model.session


class _WindowedStream:
    """Cuts the incoming samples into the model's windows; one speech probability each."""

    def __init__(self):
        self.pending = np.zeros(0, dtype=np.float32)

    def push(self, samples: np.ndarray) -> list[float]:
        self.pending = np.concatenate([self.pending, samples.astype(np.float32)])
        probs = []
        while len(self.pending) >= WINDOW:
            window, self.pending = self.pending[:WINDOW], self.pending[WINDOW:]
            probs.append(self.probability(window))
        return probs

    def probability(self, window: np.ndarray) -> float:
        raise NotImplementedError


class SileroStream(_WindowedStream):
    def __init__(self, session):
        super().__init__()
        self.session = session
        self.h = np.zeros((1, 1, 128), dtype=np.float32)
        self.c = np.zeros((1, 1, 128), dtype=np.float32)
        self.context = np.zeros(CONTEXT, dtype=np.float32)

    def probability(self, window: np.ndarray) -> float:
        batch = np.concatenate([self.context, window])[None, :]
        out, self.h, self.c = self.session.run(None, {"input": batch, "h": self.h, "c": self.c})
        self.context = window[-CONTEXT:]
        return float(np.asarray(out).reshape(-1)[0])


class EnergyStream(_WindowedStream):
    """-50 dBFS → 0, -30 dBFS → 1: crude, but keeps a call going without the model."""

    def probability(self, window: np.ndarray) -> float:
        rms = float(np.sqrt(np.mean(window ** 2)) + 1e-9)
        dbfs = 20 * np.log10(rms)
        return float(np.clip((dbfs + 50) / 20, 0, 1))


class VoiceActivity:
    def __init__(self, name: str, fallback_reason: str | None = None):
        self.name = name
        self.fallback_reason = fallback_reason

    def stream(self):
        return SileroStream(_silero_session()) if self.name == "silero" else EnergyStream()


def get_vad(config: KesherConfig | dict) -> VoiceActivity:
    wanted = typed(config).stream.vad_provider
    if wanted == "energy":
        return VoiceActivity("energy")
    try:
        _silero_session()
        return VoiceActivity("silero")
    except Exception as exc:  # noqa: BLE001 - no model / no onnxruntime: the energy gate answers
        log.warning("Silero VAD unavailable (%s); using the energy gate", exc.__class__.__name__)
        return VoiceActivity("energy", fallback_reason=f"silero unavailable: {exc.__class__.__name__}")
