"""Hebrew text → espeak-ng phoneme input, so espeak says the vowels unpointed text lacks.

piper-tts ships Nakdimon (a niqqud model, ONNX) and rule-based Hebrew→IPA. Nakdimon
errs on some very common short words (לא → לְאַ, dropped altogether by the IPA rules),
so a small lexicon of corrections overrides them. Digits and Latin words stay outside
the [[...]] phoneme blocks: espeak's Hebrew voice reads numbers itself.

On top of piper's rules (see fix_word): a word-final ח/ע with patah is a furtive patah (מִשְׁלוֹחַ → miSl'oaX), doubled
consonants are said once (Modern Hebrew has no gemination), and stress is ultimate except
where Modern Hebrew puts it on the penult: segholates (מֶלֶךְ, בֹּקֶר, -eret), -ájim/-áit
(בַּיִת), the suffix -nu (שָׁלַחְנוּ, שֶׁלָּנוּ) and past -ti/-ta after a closed syllable
(שָׁלַחְתִּי). piper stresses every two-syllable word that ends in a consonant on the
penult, which is wrong for most of them (מָתַי, אַתֶּם, אֶפְשָׁר).
ר stays espeak's "r": its uvular Q" (ʁ) is closer on paper but the local Whisper understood
it worse through a phone line (bench/tts_variants.py: char similarity 0.70 → 0.62).
"""
from __future__ import annotations

import re
import threading
import unicodedata

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


# Niqqud marks used by the stress rules.
SHEVA, HIRIQ, SEGOL, PATAH, QAMATS, DAGESH = "\u05B0", "\u05B4", "\u05B6", "\u05B7", "\u05B8", "\u05BC"
FULL_VOWELS = set("\u05B1\u05B2\u05B3\u05B4\u05B5\u05B6\u05B7\u05B8\u05B9\u05BA\u05BB\u05C7")
GUTTURALS = set("אהחע")
_VOWEL = re.compile(r"[aeiou]")


def _letters(dotted_word: str) -> list[tuple[str, str]]:
    """`שָׁלוֹם` → [(ש, marks), (ל, ''), (ו, holam), (ם, '')]: base letters with their marks."""
    out: list[tuple[str, str]] = []
    for ch in unicodedata.normalize("NFC", dotted_word):
        if unicodedata.combining(ch) and out:
            out[-1] = (out[-1][0], out[-1][1] + ch)
        elif "\u05D0" <= ch <= "\u05EA":
            out.append((ch, ""))
    return out


def _nuclei(letters: list[tuple[str, str]]) -> list[tuple[int, str, bool]]:
    """(letter index, vowel mark, dagesh) for each full vowel; וֹ and וּ count as holam/qubutz."""
    out = []
    for i, (base, marks) in enumerate(letters):
        vowel = next((m for m in marks if m in FULL_VOWELS), None)
        if base == "ו" and DAGESH in marks and vowel is None and i > 0:
            vowel = "\u05BB"  # shuruk
        if vowel:
            out.append((i, vowel, DAGESH in marks))
    return out


def penult_stress(dotted_word: str) -> bool:
    """Does Modern Hebrew stress this word on the penultimate syllable? (Ultimate is the default.)"""
    letters = _letters(dotted_word)
    nuclei = _nuclei(letters)
    if len(nuclei) < 2 or not letters:
        return False
    last_base, last_marks = letters[-1]
    (i1, v1, _), (i2, v2, dagesh2) = nuclei[-2], nuclei[-1]
    silent_last = not last_marks and (last_base in "הא" or (last_base == "י" and v2 == HIRIQ))
    ends_in_vowel = i2 == len(letters) - 1 or (i2 == len(letters) - 2 and silent_last)
    if i2 == len(letters) - 1 and last_base == "ו" and letters[-2][0] == "נ":
        return True  # -nu: שָׁלַחְנוּ, שֶׁלָּנוּ, אֲנַחְנוּ
    if ends_in_vowel:
        # past -ti/-ta after a closed syllable: שָׁלַחְתִּי, הִזְמַנְתָּ
        before = letters[i2 - 1][1] if i2 >= 1 else ""
        if letters[i2][0] == "ת" and v2 in (HIRIQ, QAMATS) and SHEVA in before:
            return True
        return False
    adjacent = i2 == i1 + 1
    if adjacent and v2 == SEGOL and not dagesh2:
        return True  # segholates: מֶלֶךְ, בֹּקֶר, עֶרֶב, -eret/-elet
    if adjacent and v1 == PATAH and v2 == PATAH and letters[i2][0] in GUTTURALS and not dagesh2:
        return True  # נַעַר, פַּחַד
    if adjacent and v1 in (PATAH, QAMATS) and v2 == HIRIQ and letters[i2][0] == "י":
        return True  # בַּיִת, -ájim
    return False


def place_stress(phonemes: str, penult: bool) -> str:
    """Put the single primary stress mark before the last (or penultimate) vowel."""
    plain = phonemes.replace("'", "")
    vowels = [m.start() for m in _VOWEL.finditer(plain)]
    if not vowels:
        return plain
    at = vowels[-2] if penult and len(vowels) >= 2 else vowels[-1]
    return plain[:at] + "'" + plain[at:]


def fix_word(dotted_word: str, phonemes: str) -> str:
    """Apply the corrections in the module docstring to piper's phonemes for one word."""
    if not phonemes:
        return phonemes
    penult = penult_stress(dotted_word)
    last = _letters(dotted_word)[-1:]
    if last and last[0][0] in "חע" and PATAH in last[0][1]:
        # Furtive patah: the vowel comes before the final guttural and is not stressed.
        plain = phonemes.replace("'", "")
        if plain.endswith("Xa") and len(_VOWEL.findall(plain)) >= 2:
            phonemes, penult = plain[:-2] + "aX", True
        elif plain.endswith("a") and last[0][0] == "ע" and len(_VOWEL.findall(plain)) >= 2:
            phonemes, penult = plain, True
    # Doubled consonants (אֵלַיי → elajj) are said once.
    phonemes = re.sub(r"([bdfghjklmnpstvxzSXZ])\1", r"\1", phonemes)
    return place_stress(phonemes, penult)


def word_phonemes(dotted_word: str) -> str:
    from piper.hebrew.hebrew_ipa import hebrew_to_ipa
    plain = strip_niqqud(dotted_word).replace("״", "").replace('"', "")
    if plain in LEXICON:
        return LEXICON[plain]
    return fix_word(dotted_word, ipa_to_espeak(hebrew_to_ipa(dotted_word)))


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
