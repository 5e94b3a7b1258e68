"""Which offline TTS variant does the local Whisper understand best?

For short Hebrew service phrases: speak with each espeak variant, resample to 8 kHz
(what a phone line carries), transcribe with the offline Whisper, and count the phrases
that survive the round trip. Prints, per variant and per phrase set: exact (normalised)
matches, phrases whose responder intent survives (out of those that have one), and mean
character similarity.

Two phrase sets: PHRASES, the set the G2P work looked at, and HELD_OUT, never tuned on
(a change that only helps PHRASES is overfitting). The rate defaults to the app's
ESPEAK_RATE (load_config), and "production" speaks through EspeakTTS itself.

    .venv/bin/python bench/tts_variants.py [--prompt] [--rate N] [--only SUBSTRING] [VERBOSE=1]
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

# Never tune on these: hours, prices, appointments, delivery, invoices, a greeting with a name.
HELD_OUT = [
    "שלום דנה, איך אפשר לעזור",
    "השעות שלנו עד חמש בערב",
    "החבילה תגיע מחר בבוקר",
    "שלחנו לך את הקבלה במייל",
    "מתי הטכנאי יגיע לתיקון",
    "תעביר אותי למנהל בבקשה",
    "אפשר שמישהו יתקשר אליי",
    "כמה עולה תספורת אצלכם",
    "התור שלך נקבע ליום שלישי",
    "תודה על הסבלנות, יום טוב",
]
SETS = {"tuned": PHRASES, "held-out": HELD_OUT}


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


def score(asr, speak, phrases: list[str], detect_intents) -> tuple[int, int, int, float]:
    """(exact, intent kept, phrases that have an intent, mean char similarity)."""
    exact = intents_ok = with_intent = 0
    sims = []
    for phrase in phrases:
        heard = asr.transcribe(to_8k(speak(phrase))).text
        exact += norm(heard) == norm(phrase)
        sims.append(difflib.SequenceMatcher(None, norm(heard), norm(phrase)).ratio())
        want = set(detect_intents(phrase))
        with_intent += bool(want)
        intents_ok += bool(want) and want <= set(detect_intents(heard))
        if os.environ.get("VERBOSE"):
            print(f"   {phrase} → {heard}")
    return exact, intents_ok, with_intent, sum(sims) / len(sims)


def main() -> None:
    from server.config import load_config
    app_config = load_config()
    parser = argparse.ArgumentParser()
    parser.add_argument("--prompt", action="store_true", help="use a service-vocabulary initial_prompt")
    parser.add_argument("--rate", type=int, default=app_config["ESPEAK_RATE"],
                        help="espeak words per minute (default: the app's ESPEAK_RATE)")
    parser.add_argument("--only", default="", help="run only the variants whose name contains this")
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
    from server.providers.tts.espeak import EspeakTTS
    production = EspeakTTS({**app_config, "ESPEAK_MODE": "g2p", "ESPEAK_RATE": args.rate})
    variants["production: EspeakTTS g2p (wav)"] = production.wav
    variants = {name: speak for name, speak in variants.items() if args.only.lower() in name.lower()}

    asr.transcribe(to_8k(espeak_system("שלום", args.rate)))  # load the model outside the timings
    print(f"{len(PHRASES)} tuned + {len(HELD_OUT)} held-out phrases, espeak rate {args.rate}, 8 kHz, "
          f"Whisper base int8, prompt={'yes' if args.prompt else 'no'}")
    for name, speak in variants.items():
        for set_name, phrases in SETS.items():
            started = time.perf_counter()
            exact, intents_ok, with_intent, sim = score(asr, speak, phrases, detect_intents)
            print(f"{name:40s} {set_name:8s}  exact {exact}/{len(phrases)}  intent kept {intents_ok}/{with_intent}  "
                  f"char similarity {sim:.2f}  ({time.perf_counter() - started:.1f} s)")


if __name__ == "__main__":
    main()
