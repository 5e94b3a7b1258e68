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

All thresholds are per business (settings.stream_tuning; limits and defaults in schemas/settings.py).
"""
from __future__ import annotations

from server.providers.reply.offline import detect_intents, normalise, word_forms
from server.schemas.settings import TUNING_LIMITS, BusinessSettings, StreamTuning, as_settings

# The defaults and limits live with the setting (schemas/settings.StreamTuning).
DEFAULTS: dict[str, float] = StreamTuning.model_construct().values()
LIMITS: dict[str, tuple[float, float]] = TUNING_LIMITS


def tuning_for(settings: BusinessSettings | dict | None) -> dict[str, float]:
    """Every threshold of a business's streamed calls: its own, else the default."""
    return as_settings(settings).stream_tuning.values()


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
