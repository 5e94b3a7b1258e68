"""Hebrew words for retrieval, and passages of ~80–200 words.

Retrieval is lexical (FTS5 BM25 / PostgreSQL ts_rank), so a word must look the same in the
question and in the passage. Three things make Hebrew words differ where the meaning does
not: niqqud, final letters (מ/ם …) and the one-letter prefixes ו ה ב ל מ ש כ that attach to
a word, alone or chained ("וכשהגעתי" is ו+כש+הגעתי). The index therefore holds each word
followed by its forms without prefixes and without a plural/feminine ending, and a question
is expanded the same way: "בביטולים" meets "ביטול", "הכרטיסייה" meets "כרטיסייה". Nothing
is guessed about which letters really are prefixes: a wrong strip adds a form no other word
shares, and BM25 gives a form found in few passages its weight.
"""
from __future__ import annotations

import re

from server.hebrew import fold_final_letters, normalize_for_search

PREFIX_LETTERS = frozenset("והבלמשכ")
MAX_PREFIX = 4      # ו+כש+ה ("וכשה…"): longer chains do not occur
MIN_STEM = 3        # never strip a word below three letters ("בית" stays, "ים" is not made)
# Plural, feminine and past-tense endings, longest first. Final letters are folded first: ים is ימ here.
_SUFFIXES = ("תי", "ימ", "ות", "ה", "ת", "ו")
MIN_SUFFIX_STEM = 2  # "שעה" and "שעות" meet at "שע"
_WORD = re.compile(r"\w+")
_HEBREW = re.compile(r"[\u05D0-\u05EA]")

# Words that carry no subject in a question. Folded like the words they are compared with.
_STOPWORDS_RAW = """
מה מהו מהי איך כיצד האם יש אין של את אתם אתן אתה הוא היא הם הן זה זו זאת זהו גם אם או כל לא כן
כמה מתי איפה היכן למה מדוע מי אפשר ניתן אצלכם שלכם לכם לך לי שלי אותו אותה אותי רוצה רוצים
צריך צריכה צריכים לגבי בבקשה היי שלום תודה אל על עם מן אז עוד רק כבר אנחנו אנו יהיה היה הייתי
להיות אני שאני שאתם עליכם אליכם יכול יכולה יכולים אפשרי ואם באמת בערך כלומר משהו דבר
איזה איזו אילו בדיוק בסדר קורה עושים עושה יוצא מישהו פה שם כאן ככה כך נכון טוב הזה הזאת
""".split()
STOPWORDS = frozenset(fold_final_letters(word) for word in _STOPWORDS_RAW)


# A geresh after a letter makes a sound Hebrew lacks (צ׳ק, ג׳ל, ז׳קט): it is part of the word,
# not punctuation to split at. It becomes U+02BC, a letter to FTS5's unicode61 and to
# PostgreSQL's parser alike.
_GERESH = re.compile(r"(?<=[\u05D0-\u05EA])['\u05F3\u2019]")


def words(text: str) -> list[str]:
    """Niqqud-free, lower-case, final-letter-folded words (server/hebrew.py does the first two)."""
    return _WORD.findall(fold_final_letters(normalize_for_search(_GERESH.sub("\u02BC", text or ""))))


def _without_suffix(word: str) -> str | None:
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= MIN_SUFFIX_STEM:
            return word[: -len(suffix)]
    return None


def _defective(word: str) -> str | None:
    """Without the vowel letters ו and י after the first letter: the spelling without
    niqqud (כתיב מלא) and the dictionary's (כתיב חסר) meet, and so do forms of one root
    ("ביטול", "מבטלת" → "בטל")."""
    thin = word[0] + word[1:].replace("ו", "").replace("י", "")
    return thin if thin != word and len(thin) >= MIN_STEM else None


def forms(word: str) -> list[str]:
    """The word, then each form without 1..MAX_PREFIX leading prefix letters, each of
    those without one ending, and each of those without vowel letters — unique, in order."""
    found = [word]
    if _HEBREW.match(word):
        bases = [word]
        stripped = word
        for _ in range(MAX_PREFIX):
            if len(stripped) - 1 < MIN_STEM or stripped[0] not in PREFIX_LETTERS:
                break
            stripped = stripped[1:]
            bases.append(stripped)
        for base in bases:
            found.append(base)
            stem = _without_suffix(base)
            for candidate in (stem, _defective(base), _defective(stem) if stem else None):
                if candidate:
                    found.append(candidate)
    return list(dict.fromkeys(found))


def index_text(title: str, body: str) -> str:
    """What the full-text index holds for a passage: every word with its forms; the title's
    twice, since a heading names what the passage answers."""
    title_forms = [form for word in words(title) for form in forms(word)]
    return " ".join(title_forms + title_forms + [form for word in words(body) for form in forms(word)])


def content_words(question: str) -> list[str]:
    """The question's words that carry its subject: question words and their prefixed forms out."""
    return [w for w in words(question)[:40] if w not in STOPWORDS and not _only_stopword(w)]


def query_forms(question: str, limit: int = 48) -> list[str]:
    """The forms a question is searched by: its content words, expanded.

    A question made only of question words ("מה יש?") keeps them, so it still finds something."""
    out: list[str] = []
    for word in content_words(question) or words(question)[:8]:
        for form in forms(word):
            if form not in out and (form == word or form not in STOPWORDS):
                out.append(form)
    return out[:limit]


def _only_stopword(word: str) -> bool:
    """"ומה", "שאתם", "והאם": a question word behind prefix letters."""
    for cut in range(1, min(MAX_PREFIX, len(word) - 2) + 1):
        if word[cut - 1] not in PREFIX_LETTERS:
            return False
        if word[cut:] in STOPWORDS:
            return True
    return False


# ---- passages ------------------------------------------------------------------------------

MIN_WORDS = 80
MAX_WORDS = 200
_SENTENCE_END = re.compile(r"(?<=[.!?;:])\s+")


def looks_like_heading(line: str) -> bool:
    """A short line that does not end a sentence: "מדיניות ביטולים", "שעות פתיחה:"."""
    line = line.strip()
    return 0 < len(line.split()) <= 8 and len(line) <= 80 and not line.endswith((".", "!", "?", ","))


def blocks_from_text(text: str) -> list[tuple[str, str]]:
    """Plain text as (kind, text) blocks: paragraphs split at blank lines; a short line
    alone before a paragraph (or ending in a colon) is its heading."""
    blocks: list[tuple[str, str]] = []
    for chunk in re.split(r"\n\s*\n", text.replace("\r\n", "\n").replace("\r", "\n")):
        lines = [line.strip() for line in chunk.split("\n") if line.strip()]
        while lines and len(lines) > 1 and looks_like_heading(lines[0]):
            blocks.append(("heading", lines.pop(0).rstrip(":").strip()))
        if len(lines) == 1 and looks_like_heading(lines[0]) and lines[0] == chunk.strip():
            blocks.append(("heading", lines[0].rstrip(":").strip()))
        elif lines:
            blocks.append(("para", " ".join(lines)))
    return blocks


def _pieces(paragraph: str) -> list[str]:
    """A paragraph longer than MAX_WORDS, cut at sentence ends (or, failing those, every MAX_WORDS words)."""
    if len(paragraph.split()) <= MAX_WORDS:
        return [paragraph]
    out: list[str] = []
    current: list[str] = []
    for sentence in _SENTENCE_END.split(paragraph):
        tokens = sentence.split()
        while len(tokens) > MAX_WORDS:
            if current:
                out.append(" ".join(current))
                current = []
            out.append(" ".join(tokens[:MAX_WORDS]))
            tokens = tokens[MAX_WORDS:]
        if current and len(current) + len(tokens) > MAX_WORDS:
            out.append(" ".join(current))
            current = []
        current.extend(tokens)
    if current:
        out.append(" ".join(current))
    return out


def split_passages(blocks: list[tuple[str, str]], default_title: str) -> list[tuple[str, str]]:
    """(title, text) passages: paragraphs under one heading joined up to ~MIN_WORDS..MAX_WORDS
    words; a new heading always starts a new passage and becomes its title."""
    passages: list[tuple[str, str]] = []
    title = default_title
    current: list[str] = []

    def flush():
        if current:
            passages.append((title[:200], " ".join(current)))
            current.clear()

    for kind, text in blocks:
        if kind == "heading":
            flush()
            title = text or default_title
            continue
        for piece in _pieces(text):
            size = sum(len(p.split()) for p in current)
            if current and (size >= MIN_WORDS or size + len(piece.split()) > MAX_WORDS):
                flush()
            current.append(piece)
    flush()
    return passages
