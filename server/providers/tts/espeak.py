"""Offline Hebrew speech with espeak-ng (a Debian package; `make install` installs it).

ESPEAK_MODE picks how text reaches espeak:
  raw — the plain text (espeak guesses the missing vowels; often wrong)
  g2p — niqqud restored by piper's Nakdimon model, Hebrew→IPA rules, a small lexicon of
        corrections, then espeak phoneme input [[...]] (see hebrew_g2p.py)
ESPEAK_GAP adds a pause between words, in units of 10 ms at the normal speed (espeak -g):
at 4 the local Whisper understood the 8 kHz speech better (bench/tts_variants.py).
The WAV is encoded to MP3 with ffmpeg when it is installed (a tenth of the size for
Twilio to fetch), else served as WAV.
"""
from __future__ import annotations

import logging
import shutil
import subprocess

from server.config import AgentConfig, EspeakConfig, KesherConfig
from server.providers.configured import Configured
from server.providers.errors import ProviderError
from server.providers.tts import Audio

log = logging.getLogger(__name__)


def espeak_binary() -> str | None:
    return shutil.which("espeak-ng") or shutil.which("espeak")


def wav_to_mp3(wav: bytes, timeout: float = 20) -> bytes | None:
    ffmpeg = shutil.which("ffmpeg")
    if not ffmpeg:
        return None
    try:
        result = subprocess.run(
            [ffmpeg, "-hide_banner", "-loglevel", "error", "-f", "wav", "-i", "pipe:0",
             "-ac", "1", "-ar", "22050", "-codec:a", "libmp3lame", "-b:a", "48k", "-f", "mp3", "pipe:1"],
            input=wav, capture_output=True, timeout=timeout, check=False)
    except (subprocess.TimeoutExpired, OSError) as exc:
        # A stuck or broken encoder must not cost the caller the reply: Twilio plays WAV too.
        log.warning("ffmpeg MP3 encoding failed (%s); serving WAV", exc.__class__.__name__)
        return None
    return result.stdout if result.returncode == 0 and result.stdout else None


class EspeakTTS(Configured):
    name = "espeak"

    @classmethod
    def config_groups(cls, config: KesherConfig) -> tuple:
        return (config.espeak, config.agent)

    def __init__(self, espeak: EspeakConfig, agent: AgentConfig):
        self.mode = espeak.mode
        self.rate = espeak.rate
        self.gap = espeak.gap
        self.timeout = float(agent.provider_timeout) * 2
        self.encode_mp3 = espeak.mp3

    def espeak_input(self, text: str) -> str:
        if self.mode == "g2p":
            from server.providers.tts.hebrew_g2p import G2PUnavailable, to_espeak_input
            try:
                return to_espeak_input(text)
            except G2PUnavailable as exc:
                log.warning("espeak g2p unavailable (%s); speaking plain text", exc)
        return text

    def wav(self, text: str) -> bytes:
        binary = espeak_binary()
        if binary is None:
            raise ProviderError(self.name, "espeak-ng is not installed (apt-get install espeak-ng)")
        try:
            result = subprocess.run([binary, "-v", "he", "-s", str(self.rate), "-g", str(self.gap), "--stdout",
                                     self.espeak_input(text)],
                                    capture_output=True, timeout=self.timeout, check=False)
        except subprocess.TimeoutExpired as exc:
            raise ProviderError(self.name, "timeout") from exc
        if result.returncode != 0 or result.stdout[:4] != b"RIFF":
            raise ProviderError(self.name, f"espeak-ng failed (exit {result.returncode})")
        return result.stdout

    def synthesize(self, text: str) -> Audio:
        if not (text or "").strip():
            raise ProviderError(self.name, "empty text")
        wav = self.wav(text)
        if self.encode_mp3:
            mp3 = wav_to_mp3(wav)
            if mp3:
                return Audio(data=mp3, ext="mp3", provider=self.name)
        return Audio(data=wav, ext="wav", provider=self.name)
