"""Speech-to-text for a live call: one utterance of 16 kHz samples, as fast as the CPU allows.

With the local Whisper this reuses the provider's loaded model (and its lock) but encodes only
the utterance plus a little silence instead of Whisper's fixed 30 s window: on 2 cores the
base model's encoder drops from ~1 s to ~40 ms and transcripts of short phone phrases come out
the same. Greedy decoding, no timestamps. Any other provider gets a WAV file as usual.
"""
from __future__ import annotations

import numpy as np

from server.providers.asr import Transcript
from server.providers.errors import ProviderError

SAMPLE_RATE = 16000


def transcribe_utterance(asr, samples: np.ndarray, context_s: float = 3.0) -> Transcript:
    from server.providers.asr.local_whisper import LocalWhisper, _echoes_prompt

    if not isinstance(asr, LocalWhisper):
        from server.providers.phone_audio import wav_bytes
        return asr.transcribe(wav_bytes(samples, SAMPLE_RATE), filename="utterance.wav")
    if context_s <= 0:
        return asr.transcribe(_wav(samples), filename="utterance.wav")
    with asr._lock:
        model = asr._ensure_model()
        try:
            text = _short_context(model, samples.astype(np.float32), context_s, asr.prompt)
        except Exception as exc:  # noqa: BLE001 - a decode failure is a transcription failure
            raise ProviderError(asr.name, f"transcription failed: {exc.__class__.__name__}") from exc
    if asr.prompt and _echoes_prompt(text, asr.prompt):
        text = ""
    return Transcript(text=text, provider=asr.name, language="he")


def _wav(samples):
    from server.providers.phone_audio import wav_bytes
    return wav_bytes(samples, SAMPLE_RATE)


def _short_context(model, samples: np.ndarray, context_s: float, prompt_text: str | None) -> str:
    from faster_whisper.tokenizer import Tokenizer
    from faster_whisper.transcribe import get_ctranslate2_storage

    features = model.feature_extractor(samples)
    frames = min(3000, features.shape[1] + int(context_s * 100))
    frames += frames % 2  # the encoder halves the frame count
    if features.shape[1] < frames:
        features = np.pad(features, ((0, 0), (0, frames - features.shape[1])))
    features = np.ascontiguousarray(features[:, :frames][None])
    encoded = model.model.encode(get_ctranslate2_storage(features), to_cpu=False)
    tokenizer = Tokenizer(model.hf_tokenizer, True, task="transcribe", language="he")
    prompt = [tokenizer.sot, tokenizer.language, tokenizer.transcribe, tokenizer.no_timestamps]
    if prompt_text:
        prompt = [tokenizer.sot_prev] + tokenizer.encode(" " + prompt_text.strip())[-100:] + prompt
    result = model.model.generate(encoded, [prompt], beam_size=1, max_length=min(224, 20 + frames // 10),
                                  suppress_blank=True, no_repeat_ngram_size=3)
    return tokenizer.decode(result[0].sequences_ids[0]).strip()


def warm_up(asr) -> None:
    """Load the local model (once per process); a no-op for cloud providers."""
    from server.providers.asr.local_whisper import LocalWhisper
    if isinstance(asr, LocalWhisper):
        with asr._lock:
            asr._ensure_model()
