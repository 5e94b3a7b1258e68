"""Hebrew text normalisation shared by search and the voice responder."""
from __future__ import annotations

import re
import unicodedata

# Cantillation marks and niqqud (points) live in U+0591..U+05C7, except the letters'
# punctuation maqaf (U+05BE), paseq (U+05C0), sof pasuq (U+05C3) and nun hafukha (U+05C6).
_NIQQUD = re.compile(r"[\u0591-\u05BD\u05BF\u05C1\u05C2\u05C4\u05C5\u05C7]")
_FINAL_LETTERS = str.maketrans({"ך": "כ", "ם": "מ", "ן": "נ", "ף": "פ", "ץ": "צ"})
_SPACES = re.compile(r"\s+")


def strip_niqqud(text: str) -> str:
    return _NIQQUD.sub("", unicodedata.normalize("NFC", text or ""))


def normalize_for_search(text: str) -> str:
    """Lower-case, niqqud removed, maqaf and punctuation to spaces, spaces collapsed.

    Final letters are kept: a user types them and the stored name has them too.
    """
    text = strip_niqqud(text).replace("\u05BE", " ").casefold()
    text = re.sub(r"[^\w@.+\-\s]", " ", text)
    return _SPACES.sub(" ", text).strip()


def fold_final_letters(text: str) -> str:
    """ך→כ, ם→מ ...: speech-to-text often picks the wrong form mid-phrase."""
    return text.translate(_FINAL_LETTERS)
