"""Telephone audio for Twilio Media Streams: 8 kHz G.711 μ-law in 20 ms frames.

Pure codecs and resampling, shared by the streamed call (services/voice) and the streaming
speech-to-text (providers/asr/whisper_stream), so a provider needs no service.

numpy rather than the stdlib's audioop: audioop is deprecated and gone in Python 3.13.
"""
from __future__ import annotations

import io
import shutil
import subprocess
import wave

import numpy as np

RATE = 8000
FRAME_SAMPLES = 160          # 20 ms at 8 kHz, one byte a sample in μ-law
FRAME_MS = 20
_BIAS = 0x84


def _decode_table() -> np.ndarray:
    u = (~np.arange(256, dtype=np.int32)) & 0xFF
    sign = u & 0x80
    exponent = (u >> 4) & 0x07
    mantissa = u & 0x0F
    magnitude = (((mantissa << 3) + _BIAS) << exponent) - _BIAS
    return np.where(sign != 0, -magnitude, magnitude).astype(np.int16)


_DECODE = _decode_table()


def ulaw_decode(data: bytes) -> np.ndarray:
    """μ-law bytes → int16 samples."""
    return _DECODE[np.frombuffer(data, dtype=np.uint8)]


_SEG_END = np.array([0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF, 0x1FFF])


def ulaw_encode(samples: np.ndarray) -> bytes:
    """int16 samples → μ-law bytes: G.711 as the reference g711.c (and audioop.lin2ulaw) does it."""
    x = samples.astype(np.int32) >> 2
    negative = x < 0
    magnitude = np.minimum(np.where(negative, -x, x), 8159) + 0x21
    segment = np.searchsorted(_SEG_END, magnitude, side="left")
    value = np.where(segment >= 8, 0x7F,
                     (np.minimum(segment, 7) << 4) | ((magnitude >> (np.minimum(segment, 7) + 1)) & 0x0F))
    return (value ^ np.where(negative, 0x7F, 0xFF)).astype(np.uint8).tobytes()


def resample(samples: np.ndarray, source_rate: int, target_rate: int) -> np.ndarray:
    """Band-limited resampling of a whole clip (FFT): float32 in, float32 out."""
    if source_rate == target_rate or len(samples) == 0:
        return samples.astype(np.float32)
    n = int(round(len(samples) * target_rate / source_rate))
    spectrum = np.fft.rfft(samples.astype(np.float64))
    out = np.zeros(n // 2 + 1, dtype=complex)
    keep = min(len(out), len(spectrum))
    out[:keep] = spectrum[:keep]
    return (np.fft.irfft(out, n) * (n / len(samples))).astype(np.float32)


def upsample_frame(samples: np.ndarray) -> np.ndarray:
    """One 8 kHz frame → 16 kHz by linear interpolation: cheap, good enough for voice activity."""
    x = samples.astype(np.float32) / 32768.0
    out = np.empty(len(x) * 2, dtype=np.float32)
    out[0::2] = x
    out[1:-1:2] = (x[:-1] + x[1:]) / 2
    out[-1] = x[-1]
    return out


def to_int16(samples: np.ndarray) -> np.ndarray:
    return np.clip(np.round(samples * 32767.0), -32768, 32767).astype(np.int16)


def wav_to_pcm(data: bytes) -> tuple[np.ndarray, int]:
    """A 16-bit PCM WAV → (mono float32 samples, rate). espeak's streamed WAV has a bogus length
    in its header, so the data chunk is read to the end of the buffer, not by nframes."""
    with wave.open(io.BytesIO(data)) as wf:
        rate, channels, width = wf.getframerate(), wf.getnchannels(), wf.getsampwidth()
    if width != 2:
        raise ValueError(f"{8 * width}-bit WAV is not supported")
    offset = data.find(b"data")
    if offset < 0:
        raise ValueError("WAV without a data chunk")
    body = data[offset + 8:]
    body = body[: len(body) - len(body) % (2 * channels)]
    pcm = np.frombuffer(body, dtype="<i2").astype(np.float32) / 32768.0
    if channels > 1:
        pcm = pcm.reshape(-1, channels).mean(axis=1)
    return pcm, rate


def decode_any(data: bytes, timeout: float = 20) -> tuple[np.ndarray, int]:
    """MP3 (or anything ffmpeg reads) → 8 kHz mono float32."""
    ffmpeg = shutil.which("ffmpeg")
    if not ffmpeg:
        raise ValueError("decoding compressed audio needs ffmpeg")
    result = subprocess.run([ffmpeg, "-hide_banner", "-loglevel", "error", "-i", "pipe:0", "-f", "s16le",
                             "-ac", "1", "-ar", str(RATE), "pipe:1"], input=data, capture_output=True,
                            timeout=timeout, check=False)
    if result.returncode != 0:
        raise ValueError("ffmpeg could not decode the audio")
    return np.frombuffer(result.stdout, dtype="<i2").astype(np.float32) / 32768.0, RATE


def to_phone(pcm: np.ndarray, rate: int) -> bytes:
    """Any float32 clip → 8 kHz μ-law bytes for Twilio."""
    return ulaw_encode(to_int16(resample(pcm, rate, RATE)))


def frames(ulaw: bytes, size: int = FRAME_SAMPLES) -> list[bytes]:
    """Split into 20 ms frames; the last one is padded with μ-law silence (0xFF)."""
    out = [ulaw[i:i + size] for i in range(0, len(ulaw), size)]
    if out and len(out[-1]) < size:
        out[-1] = out[-1] + b"\xff" * (size - len(out[-1]))
    return out


def wav_bytes(samples: np.ndarray, rate: int) -> bytes:
    """float32 or int16 samples → a 16-bit mono WAV (for providers that take a file)."""
    pcm = samples if samples.dtype == np.int16 else to_int16(samples)
    buf = io.BytesIO()
    with wave.open(buf, "wb") as wf:
        wf.setnchannels(1)
        wf.setsampwidth(2)
        wf.setframerate(rate)
        wf.writeframes(pcm.tobytes())
    return buf.getvalue()
