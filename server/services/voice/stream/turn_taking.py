"""When has the caller finished speaking? Voice activity plus a Hebrew end-of-turn rule.

Silence alone is a poor judge: "אני רוצה לשאול על..." followed by a breath is not a finished
turn, while "מה שעות הפתיחה?" is finished the moment the voice stops. After a short pause the
utterance so far is transcribed (speculatively; thrown away if the caller goes on), and the
silence the agent waits for depends on how that partial transcript ends:

  complete    a question (question word first, or "?"), a closing phrase (תודה, ביי, כן, לא...)
              or a recognised request          → `eot_short_ms`
  incomplete  ends on a conjunction, preposition or hesitation (ו, של, אבל, כי, אה, אממ...)
              or a comma                        → `eot_long_ms`
  ("..." at the end is neither: Whisper writes it for a voice trailing off and for audio cut short)
  otherwise                                     → `eot_silence_ms`

All thresholds are per business (settings.stream_tuning), validated by `clean_tuning`.
"""
from __future__ import annotations

from typing import Any

from server.error_codes import ErrorCode
from server.errors import FieldError
from server.providers.reply.offline import detect_intents, normalise, word_forms

DEFAULTS: dict[str, float] = {
    "vad_threshold": 0.5,      # speech probability that starts speech
    "min_speech_ms": 100,      # voiced audio needed before it counts as speech
    "asr_start_ms": 160,       # pause before the speculative transcription starts
    "eot_short_ms": 300,       # silence that ends a turn that sounds complete
    "eot_silence_ms": 650,     # ... one that sounds neither complete nor cut off
    "eot_long_ms": 1300,       # ... one that ends on "and", "of", "umm"
    "barge_in_ms": 160,        # caller speech over the agent that stops the agent
    "max_utterance_ms": 20000,  # a turn never listens longer than this
}
LIMITS: dict[str, tuple[float, float]] = {
    "vad_threshold": (0.1, 0.95),
    "min_speech_ms": (40, 1000),
    "asr_start_ms": (60, 2000),
    "eot_short_ms": (100, 3000),
    "eot_silence_ms": (200, 5000),
    "eot_long_ms": (300, 8000),
    "barge_in_ms": (60, 1500),
    "max_utterance_ms": (2000, 60000),
}


def clean_tuning(value: Any, field: str, errors: dict) -> dict | None:
    """settings.stream_tuning: an object of the keys above, numbers within their limits."""
    if not isinstance(value, dict):
        errors[field] = FieldError(ErrorCode.NOT_OBJECT, "an object of " + ", ".join(DEFAULTS))
        return None
    out: dict[str, float] = {}
    for key, raw in value.items():
        if key not in LIMITS:
            errors[f"{field}.{key}"] = FieldError(ErrorCode.UNKNOWN_SETTING, "unknown setting")
            continue
        low, high = LIMITS[key]
        if isinstance(raw, bool) or not isinstance(raw, (int, float)) or not low <= raw <= high:
            errors[f"{field}.{key}"] = FieldError(ErrorCode.NUMBER_RANGE, f"a number from {low:g} to {high:g}",
                                                  min=low, max=high)
            continue
        out[key] = raw
    return out


def tuning_for(settings: dict | None) -> dict[str, float]:
    merged = dict(DEFAULTS)
    raw = (settings or {}).get("stream_tuning")
    if isinstance(raw, dict):
        merged.update({k: float(v) for k, v in raw.items() if k in DEFAULTS and isinstance(v, (int, float))})
    return merged


def _folded(words: str) -> frozenset[str]:
    return frozenset(normalise(words))


QUESTION_WORDS = _folded("מה מתי איפה איפוא למה מדוע כמה האם איך מי איזה איזו אילו אפשר יש תוכלו תוכל תוכלי")
CLOSERS = _folded("תודה ביי להתראות שלום כן לא בסדר אוקיי אוקי נכון בבקשה זהו סבבה מעולה יופי")
TRAILING = _folded("ו של את עם על אבל כי או אם ש אז גם רגע אה אהה אמ אממ אממם כאילו לגבי בגלל כמו "
                   "אני רציתי רוצה צריך צריכה יכול יכולה ה ל ב מ כש אחרי לפני בין")


def classify(text: str) -> str:
    """'complete' | 'incomplete' | 'unknown' for a (partial) transcript."""
    stripped = (text or "").strip()
    words = normalise(stripped)
    if not words:
        return "unknown"
    if words[-1] in TRAILING or stripped.endswith((",", "-")):
        return "incomplete"
    if stripped.endswith(("?", "!")):
        return "complete"
    if len(words) >= 2 and word_forms(words[0]) & QUESTION_WORDS:
        return "complete"
    if len(words) <= 3 and any(w in CLOSERS for w in words):
        return "complete"
    if stripped.endswith(("...", "…")):
        # Whisper writes "..." for a trailing-off voice and for audio that simply ended:
        # not enough to wait long, too much to answer at once.
        return "unknown"
    if any(i not in ("greeting",) for i in detect_intents(stripped)):
        return "complete"
    return "unknown"


def silence_needed(kind: str, tuning: dict[str, float]) -> float:
    return {"complete": tuning["eot_short_ms"], "incomplete": tuning["eot_long_ms"]}.get(
        kind, tuning["eot_silence_ms"])
