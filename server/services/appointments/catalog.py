"""A caller's question about the price list: which service, and price, duration or a booking.

Pure: the services come in as plain values, nothing is read from the database.
`match_service(services, "כמה עולה החלקה?")` → CatalogMatch(services=(החלקה,), asks={"price"}).
`answer(match)` → "החלקה עולה 450 ₪ ולוקחת כשעתיים".

Matching is forgiving the way speech-to-text needs (niqqud, final letters, prefixes
ו/ב/ל/ה/מ/ש, plural and construct endings, a letter or two of spelling noise) and never
invents: no service whose main word was heard → None. Words that fit several services
equally ("תספורת" with תספורת גבר and תספורת אישה on the list) give all of them, so the agent
asks which one rather than quoting the wrong price.

A service name may carry aliases in parentheses or after a slash: "בדיקת רישוי (טסט)",
"פן / בייביליס". The first word of a name (or alias) weighs double: it says what the service
is ("תספורת"), the rest which kind ("גבר").
"""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Iterable

from server.hebrew import fold_final_letters, strip_niqqud


@dataclass(frozen=True)
class Service:
    id: int
    name: str
    duration_minutes: int
    price_agorot: int | None


@dataclass(frozen=True)
class CatalogMatch:
    services: tuple[Service, ...]   # one when clear; several when the words fit them equally
    asks: frozenset[str]            # of "price", "duration", "book"; empty: the service was only named

    @property
    def service(self) -> Service | None:
        return self.services[0] if len(self.services) == 1 else None

    @property
    def ambiguous(self) -> bool:
        return len(self.services) > 1


PREFIX_LETTERS = "ובלהמש"
_WORD = re.compile(r"[\u05D0-\u05EA]+|[a-z]+|\d+")
NAME_STOPWORDS = {"של", "עמ", "או", "כולל", "ו", "ל", "ב", "עד", "מ", "את"}

# Intent phrases, matched on folded words (prefixes stripped) in order; several may hold.
PRICE_PHRASES = ("כמה עולה", "כמה עולים", "כמה זה עולה", "כמה זה", "כמה כסף", "כמה יוצא",
                 "כמה אתמ לוקחימ", "כמה לוקחימ על", "מה המחיר", "מחיר", "מחירימ", "עלות",
                 "תעריפ", "מחירונ", "כמה משלמימ", "כמה צריכ לשלמ")
DURATION_PHRASES = ("כמה זמנ", "משכ", "כמה שעות", "כמה דקות", "כמה לוקח", "כמה לוקחת",
                    "לוקח הרבה זמנ", "לוקחת הרבה זמנ", "כמה ארוכ", "זמנ לוקח", "זמנ לוקחת",
                    "זה לוקח", "זה לוקחת")
BOOK_PHRASES = ("לקבוע", "תקבעי", "תקבע", "קביעת", "תור", "להזמינ", "לתאמ", "להגיע",
                "רוצה לעשות", "רוצה לבוא", "יש מקומ", "פנוי", "לשריינ")


def words(text: str) -> list[str]:
    """Niqqud-free, final-letter-folded, lower-case words; 10,000 stays one number."""
    text = strip_niqqud(text or "").replace("\u05BE", " ").casefold()
    text = re.sub(r"(?<=\d)[,.](?=\d{3})", "", text)
    text = re.sub(r"(?<=[\u05D0-\u05EA])[\"'\u05F3\u05F4](?=[\u05D0-\u05EA])", "", text)
    return [fold_final_letters(w) for w in _WORD.findall(text)]


def _forms(word: str) -> list[str]:
    out = [word]
    for i in (1, 2):
        if len(word) - i >= 2 and all(ch in PREFIX_LETTERS for ch in word[:i]):
            out.append(word[i:])
    return out


def _stem(word: str) -> str:
    """Plural and construct/feminine endings off: תספורות, תספורת → תספור; החלקה → החלק."""
    for end in ("ימ", "ות"):
        if word.endswith(end) and len(word) - len(end) >= 3:
            return word[:-len(end)]
    if word[-1:] in ("ה", "ת") and len(word) >= 4:
        return word[:-1]
    return word


def _similarity(name_word: str, said: str) -> float:
    """1.0 for the same word (after prefixes and endings), less for a near spelling, else 0."""
    target = _stem(name_word)
    best = 0.0
    for form in _forms(said):
        if form == name_word or _stem(form) == target:
            return 1.0
        if len(target) >= 4 and len(form) >= 4 and not form.isdigit():
            ratio = difflib.SequenceMatcher(None, _stem(form), target).ratio()
            if ratio >= 0.8:
                best = max(best, ratio)
    return best


def _aliases(name: str) -> list[list[str]]:
    parts = [name.split("(")[0]] + re.findall(r"\(([^)]*)\)", name)
    out: list[list[str]] = []
    for part in parts:
        for alias in part.split("/"):
            ws = [w for w in words(alias) if w not in NAME_STOPWORDS]
            if ws:
                out.append(ws)
    return out


def _score(name: str, said: list[str]) -> float:
    """Weighted share of the name's words that were heard; 0 unless its first word was."""
    best = 0.0
    for alias in _aliases(name):
        weights = [2.0] + [1.0] * (len(alias) - 1)
        got = [max((_similarity(w, s) for s in said), default=0.0) for w in alias]
        if got[0] == 0.0:
            continue
        best = max(best, sum(g * wt for g, wt in zip(got, weights)) / sum(weights))
    return best


def _has_phrase(said: list[str], phrase: str) -> bool:
    parts = fold_final_letters(phrase).split()
    for i in range(len(said) - len(parts) + 1):
        if all(p in _forms(said[i + k]) for k, p in enumerate(parts)):
            return True
    return False


def asks_about(text: str) -> frozenset[str]:
    said = words(text)
    asks = set()
    if any(_has_phrase(said, p) for p in PRICE_PHRASES):
        asks.add("price")
    if any(_has_phrase(said, p) for p in DURATION_PHRASES):
        asks.add("duration")
        # "כמה זה לוקח" is about time, not money.
        if "price" in asks and not any(_has_phrase(said, p) for p in PRICE_PHRASES
                                       if p not in ("כמה זה",)):
            asks.discard("price")
    if any(_has_phrase(said, p) for p in BOOK_PHRASES):
        asks.add("book")
    return frozenset(asks)


def _as_service(item) -> Service:
    if isinstance(item, Service):
        return item
    if isinstance(item, tuple):
        return Service(*item)
    return Service(item.id, item.name, item.duration_minutes, item.price_agorot)


def match_service(services: Iterable, text: str, threshold: float = 0.5) -> CatalogMatch | None:
    """The service(s) the caller named and what they ask about it; None if none was named.

    `services`: Service values, (id, name, duration_minutes, price_agorot) tuples or objects
    with those attributes (the ORM model).
    """
    said = words(text)
    if not said:
        return None
    scored = [(round(_score(s.name, said), 3), s) for s in map(_as_service, services)]
    top = max((score for score, _ in scored), default=0.0)
    if top < threshold:
        return None
    best = tuple(s for score, s in scored if score == top)
    return CatalogMatch(services=best, asks=asks_about(text))


# ----------------------------------------------------------------------------- answers
HOUR_COUNTS = {3: "שלוש", 4: "ארבע", 5: "חמש", 6: "שש", 7: "שבע", 8: "שמונה"}


def price_text(agorot: int) -> str:
    """45000 → "450 ₪", 4990 → "49.90 ₪", 120000 → "1,200 ₪"."""
    shekels, rest = divmod(int(agorot), 100)
    return f"{shekels:,}" + (f".{rest:02d}" if rest else "") + " ₪"


def duration_text(minutes: int) -> str:
    """Natural Hebrew: "רבע שעה", "חצי שעה", "45 דקות", "שעה", "שעה וחצי", "שעתיים", "שלוש שעות"."""
    minutes = int(minutes)
    hours, rest = divmod(minutes, 60)
    if hours == 0:
        return {15: "רבע שעה", 30: "חצי שעה"}.get(rest, f"{rest} דקות")
    whole = {1: "שעה", 2: "שעתיים"}.get(hours) or f"{HOUR_COUNTS.get(hours, hours)} שעות"
    if rest == 0:
        return whole
    tail = {15: "ורבע", 30: "וחצי"}.get(rest, f"ו-{rest} דקות")
    return f"{whole} {tail}"


def about(minutes: int) -> str:
    """ "כשעתיים", "כחצי שעה", "כ-45 דקות": a duration said as an estimate."""
    text = duration_text(minutes)
    return f"כ-{text}" if text[0].isdigit() else f"כ{text}"


def _verbs(name: str) -> tuple[str, str]:
    """("עולה", "לוקחת") agreeing with the name's first word, a guess from its ending:
    גוונים → plural, תוספות → feminine plural, החלקה/תספורת → feminine, צבע/פן → masculine."""
    first = (name.split() or [""])[0]
    if first.endswith("ים") and len(first) > 3:
        return "עולים", "לוקחים"
    if first.endswith("ות") and len(first) > 3:
        return "עולות", "לוקחות"
    if first.endswith(("ה", "ת")):
        return "עולה", "לוקחת"
    return "עולה", "לוקח"


def _join(names: list[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} ו{names[-1]}"


def display_name(name: str) -> str:
    """The name as said aloud, without its aliases: "בדיקת רישוי (טסט)" → "בדיקת רישוי"."""
    return name.split("(")[0].split("/")[0].strip() or name


def answer(match: CatalogMatch) -> str:
    """The Hebrew sentence the agent says; with several services, a question which one."""
    if match.ambiguous:
        return f"יש לנו {_join([display_name(s.name) for s in match.services])}. לאיזה מהם התכוונת?"
    s = match.services[0]
    name = display_name(s.name)
    costs, takes = _verbs(name)
    price = f"{costs} {price_text(s.price_agorot)}" if s.price_agorot is not None else None
    duration = f"{takes} {about(s.duration_minutes)}"
    if match.asks == {"duration"}:
        return f"{name} {duration}"
    if price is None:
        return f"{name} {duration}. על המחיר אפשר לשאול את הצוות"
    if match.asks == {"price"}:
        return f"{name} {price}"
    return f"{name} {price} ו{duration}"


def price_list_text(services: Iterable) -> str:
    """One line a service: "תספורת גבר — 80 ₪, חצי שעה" (for list_services and WhatsApp)."""
    lines = []
    for s in map(_as_service, services):
        price = price_text(s.price_agorot) if s.price_agorot is not None else "מחיר לפי בירור"
        lines.append(f"{s.name} — {price}, {duration_text(s.duration_minutes)}")
    return "\n".join(lines)
