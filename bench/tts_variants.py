"""Which offline TTS variant does the local Whisper understand best?

For 10 short Hebrew service phrases: speak with each espeak variant, resample to 8 kHz
(what a phone line carries), transcribe with the offline Whisper, and count the phrases
that survive the round trip. Prints, per variant: exact (normalised) matches, phrases
whose responder intent survives, and mean character similarity.

    .venv/bin/python bench/tts_variants.py [--prompt] [--rate 150]
"""
from __future__ import annotations

import argparse
import ctypes
import difflib
import io
import os
import shutil
import struct
import subprocess
import sys
import time
import wave

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from server.hebrew import fold_final_letters, normalize_for_search  # noqa: E402

PHRASES = [
    "מה הסטטוס של ההזמנה שלי",
    "אני רוצה לדבר עם נציג",
    "מתי אתם פתוחים",
    "תחזרו אליי בבקשה",
    "מה המצב של החשבונית",
    "אני רוצה לקבוע תור",
    "תודה רבה, להתראות",
    "כמה עולה המשלוח",
    "ההזמנה שלי עוד לא הגיעה",
    "אפשר לבטל את ההזמנה",
]


def norm(text: str) -> str:
    return fold_final_letters(normalize_for_search(text)).replace(".", "").replace(",", "").replace("?", "").strip()


def to_8k(wav: bytes) -> bytes:
    if shutil.which("sox"):
        out = subprocess.run(["sox", "-t", "wav", "-", "-r", "8000", "-c", "1", "-t", "wav", "-"],
                             input=wav, capture_output=True, check=True).stdout
        return out
    if shutil.which("ffmpeg"):
        return subprocess.run(["ffmpeg", "-loglevel", "error", "-f", "wav", "-i", "pipe:0", "-ar", "8000", "-ac", "1",
                               "-f", "wav", "pipe:1"], input=wav, capture_output=True, check=True).stdout
    return wav


def espeak_system(arg: str, rate: int) -> bytes:
    return subprocess.run(["espeak-ng", "-v", "he", "-s", str(rate), "--stdout", arg], capture_output=True,
                          check=True).stdout


class Espeak152:
    """espeak-ng 1.52 from the espeakng-loader wheel, driven through its C API."""

    def __init__(self, rate: int):
        import espeakng_loader
        self.lib = ctypes.cdll.LoadLibrary(espeakng_loader.get_library_path())
        data = espeakng_loader.get_data_path().encode()
        self.sample_rate = self.lib.espeak_Initialize(2, 0, data, 0)  # AUDIO_OUTPUT_SYNCHRONOUS
        self.samples: list[bytes] = []
        CB = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p)

        def callback(wav, n, events):
            if n > 0:
                self.samples.append(ctypes.string_at(wav, n * 2))
            return 0
        self._cb = CB(callback)
        self.lib.espeak_SetSynthCallback(self._cb)
        self.lib.espeak_SetVoiceByName(b"he")
        self.lib.espeak_SetParameter(1, rate, 0)  # espeakRATE

    def version(self) -> str:
        self.lib.espeak_Info.restype = ctypes.c_char_p
        return self.lib.espeak_Info(None).decode()

    def __call__(self, text: str) -> bytes:
        self.samples = []
        raw = text.encode() + b"\0"
        self.lib.espeak_Synth(raw, len(raw), 0, 0, 0, 1, None, None)  # POS_CHARACTER, espeakCHARS_UTF8
        pcm = b"".join(self.samples)
        buf = io.BytesIO()
        with wave.open(buf, "wb") as w:
            w.setnchannels(1); w.setsampwidth(2); w.setframerate(self.sample_rate); w.writeframes(pcm)
        return buf.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--prompt", action="store_true", help="use a service-vocabulary initial_prompt")
    parser.add_argument("--rate", type=int, default=150)
    args = parser.parse_args()

    from piper.phonemize_hebrew import HebrewPhonemizer
    from server.providers.asr.local_whisper import LocalWhisper
    from server.providers.tts import hebrew_g2p
    from server.providers.reply.offline import detect_intents

    asr = LocalWhisper({"WHISPER_CACHE_DIR": os.environ.get("WHISPER_CACHE_DIR", "instance/models"),
                        "WHISPER_PROMPT": "הזמנה, חשבונית, נציג, שעות פתיחה, משלוח, תור" if args.prompt else ""})
    phonemizer = HebrewPhonemizer()
    saved_lexicon = dict(hebrew_g2p.LEXICON)

    def g2p_plain(text):
        hebrew_g2p.LEXICON.clear()
        try:
            return hebrew_g2p.to_espeak_input(text)
        finally:
            hebrew_g2p.LEXICON.update(saved_lexicon)

    variants = {
        "raw text, espeak 1.51": lambda t: espeak_system(t, args.rate),
        "Nakdimon niqqud, espeak 1.51": lambda t: espeak_system(phonemizer.diacritizer(t), args.rate),
    }
    try:
        e152 = Espeak152(args.rate)
        variants[f"raw text, espeak {e152.version()}"] = e152
        variants[f"Nakdimon niqqud, espeak {e152.version()}"] = lambda t: e152(phonemizer.diacritizer(t))
    except (ImportError, OSError) as exc:
        print("espeakng-loader unavailable:", exc)
    variants["piper G2P → [[phonemes]]"] = lambda t: espeak_system(g2p_plain(t), args.rate)
    variants["piper G2P + lexicon → [[phonemes]]"] = lambda t: espeak_system(hebrew_g2p.to_espeak_input(t), args.rate)

    asr.transcribe(to_8k(espeak_system("שלום", args.rate)))  # load the model outside the timings
    print(f"{len(PHRASES)} phrases, espeak rate {args.rate}, 8 kHz, Whisper base int8, prompt={'yes' if args.prompt else 'no'}")
    for name, speak in variants.items():
        exact = intents_ok = 0
        sims = []
        started = time.perf_counter()
        for phrase in PHRASES:
            heard = asr.transcribe(to_8k(speak(phrase))).text
            exact += norm(heard) == norm(phrase)
            sims.append(difflib.SequenceMatcher(None, norm(heard), norm(phrase)).ratio())
            want = set(detect_intents(phrase))
            intents_ok += bool(want) and want <= set(detect_intents(heard))
            if os.environ.get("VERBOSE"):
                print(f"   {phrase} → {heard}")
        print(f"{name:40s} exact {exact}/{len(PHRASES)}  intent kept {intents_ok}/{len(PHRASES)}  "
              f"char similarity {sum(sims) / len(sims):.2f}  ({time.perf_counter() - started:.1f} s)")


if __name__ == "__main__":
    main()
