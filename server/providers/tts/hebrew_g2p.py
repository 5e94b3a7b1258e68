"""Hebrew text → espeak-ng phoneme input, so espeak says the vowels unpointed text lacks.

piper-tts ships Nakdimon (a niqqud model, ONNX) and rule-based Hebrew→IPA. Nakdimon
errs on some very common short words (לא → לְאַ, dropped altogether by the IPA rules),
so a small lexicon of corrections overrides them. Digits and Latin words stay outside
the [[...]] phoneme blocks: espeak's Hebrew voice reads numbers itself.
"""
from __future__ import annotations

import re
import threading

from server.hebrew import strip_niqqud

# IPA (piper's G2P) → espeak-ng phoneme mnemonics of the Hebrew voice (see `espeak-ng -v he -x`).
IPA_TO_ESPEAK = {"ʃ": "S", "ʒ": "Z", "ʁ": "r", "χ": "X", "ʔ": "?", "ʕ": "?", "ˈ": "'", "ɡ": "g", "ˌ": ""}

# Unpointed word → espeak phonemes, for words the model or the rules get wrong.
LEXICON = {
    "לא": "l'o", "של": "S'el", "שלי": "Sel'i", "שלך": "Sel'xa", "שלכם": "Sel'axem", "אני": "an'i",
    "את": "'et", "עם": "'im", "מה": "m'a", "זה": "z'e", "יש": "j'eS", "אין": "'ejn", "כן": "k'en",
    "שלום": "Sal'om", "תודה": "tod'a", "רבה": "rab'a", "בבקשה": "bevakaS'a", "להתראות": "lehitra'ot",
    "הזמנה": "hazman'a", "ההזמנה": "hahazman'a", "חשבונית": "XeSbon'it", "החשבונית": "haXeSbon'it",
    "נציג": "nats'ig", "פתוחים": "petuX'im", "סגורים": "sgur'im", "משימה": "mesim'a",
    "היום": "haj'om", "מחר": "maX'ar", "שעות": "Sa'ot", "הפעילות": "hape'ilut", "עד": "'ad",
}

_HEBREW_WORD = re.compile(r"[\u0590-\u05FF\"'״׳]+")
_TOKEN = re.compile(r"[\u0590-\u05FF\"'״׳]+|[^\s\u0590-\u05FF]+")


class G2PUnavailable(RuntimeError):
    pass


_phonemizer = None
_lock = threading.Lock()


def _load():
    global _phonemizer
    with _lock:
        if _phonemizer is None:
            try:
                from piper.phonemize_hebrew import HebrewPhonemizer
            except ImportError as exc:
                raise G2PUnavailable("piper-tts is not installed") from exc
            _phonemizer = HebrewPhonemizer()
    return _phonemizer


def ipa_to_espeak(ipa: str) -> str:
    return "".join(IPA_TO_ESPEAK.get(ch, ch) for ch in ipa).strip()


def word_phonemes(dotted_word: str) -> str:
    from piper.hebrew.hebrew_ipa import hebrew_to_ipa
    plain = strip_niqqud(dotted_word).replace("״", "").replace('"', "")
    if plain in LEXICON:
        return LEXICON[plain]
    return ipa_to_espeak(hebrew_to_ipa(dotted_word))


def to_espeak_input(text: str) -> str:
    """`מה המצב?` → `[[m'a hamats'av]] ?`: Hebrew words as phonemes, the rest as text."""
    phonemizer = _load()
    with _lock:
        dotted = phonemizer.diacritizer(text)
    out: list[str] = []
    block: list[str] = []
    for token in _TOKEN.findall(dotted):
        if _HEBREW_WORD.fullmatch(token):
            phonemes = word_phonemes(token)
            if phonemes:
                block.append(phonemes)
            continue
        if block:
            out.append("[[" + " ".join(block) + "]]")
            block = []
        out.append(token)
    if block:
        out.append("[[" + " ".join(block) + "]]")
    return " ".join(out)
