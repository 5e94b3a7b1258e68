"""What a caller says about WHEN, as a window of start times in Israel time. Pure: no database.

`parse_when("מחר בעשר", now)` → When(start=tomorrow 10:00, end=the same, exact=True, ...).
`now` is tz-aware; every result is aware in Asia/Jerusalem, built from the local date and
clock (never by adding hours), so a window across a DST change keeps its wall-clock times.

The window bounds the START of a slot: exact → start == end == the time asked for; a range
(a day, "אחר הצהריים", "בשבוע הבא") → any slot that starts inside it. A multi-day window
with a part of the day or a clock time ("בשבוע הבא בבוקר") also carries `day_hours`.

Spoken Hebrew through speech-to-text is the input, so the parser is forgiving: niqqud,
punctuation and final letters are ignored (server.hebrew), prefixes ו/ב/ל/ה/מ are stripped
("ובשלוש", "לשלוש", "ה-12", "ב-14:30", "ב12/12"), and words it does not know ("אממ",
"בערך", "אפשר") are skipped. Nothing about time → None.

Choices, so the agent and its tests agree:
- Hours: a bare hour 1–7 means the afternoon (13:00–19:00), 8–12 the morning, because a
  business's hours are daytime: "בשלוש" is 15:00, "בשמונה" 08:00. A part of the day
  decides instead: "בשמונה בערב" 20:00, "בשש בבוקר" 06:00. "רבע לשמונה" resolves the
  named hour (8 → morning) and then subtracts: 07:45.
- A time or part of the day without a day is today if still ahead, else tomorrow.
  With "היום" it stays today, and a window already over is returned with `passed=True`
  so the agent can say so instead of silently moving it.
- A weekday means the next one after today: "ביום ראשון" on a Friday is in two days,
  "ביום חמישי" on a Thursday is next week's (today is "היום"). The week is Israel's,
  Sunday to Shabbat: "בשבוע הבא" is the coming Sunday to Shabbat.
- A date without a year is the next one that is not over ("ב-3 בינואר" in December is next
  January). A numeric date is day/month, as written in Israel.
- "במוצאי שבת" is Saturday 18:00–23:00; when Shabbat really ends and whether the business
  opens then is for availability to decide.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from server.hebrew import fold_final_letters, strip_niqqud

TZ = ZoneInfo("Asia/Jerusalem")
EARLIEST_HORIZON_DAYS = 30


@dataclass(frozen=True)
class When:
    start: datetime
    end: datetime
    exact: bool                 # a clock time was said ("בעשר"), not a range
    earliest: bool              # "הכי מוקדם שיש": offer the first free slot in the window
    understood: str             # Hebrew, for the agent to repeat back
    passed: bool = False        # the window asked for is already over ("היום בבוקר" at 14:00)
    day_hours: tuple[time, time] | None = None  # multi-day window: only these hours of each day


def _f(word: str) -> str:
    return fold_final_letters(word)


# ----------------------------------------------------------------------------- words
# Vocabulary is written naturally and folded (ם→מ ...) once, like the words it is matched to.
def _table(pairs: dict[str, object]) -> dict[str, object]:
    return {_f(k): v for k, v in pairs.items()}


HOUR_WORDS = _table({
    "אחת": 1, "אחד": 1, "שתיים": 2, "שתים": 2, "שניים": 2, "שנים": 2, "שלוש": 3, "שלושה": 3,
    "ארבע": 4, "ארבעה": 4, "חמש": 5, "חמישה": 5, "שש": 6, "שישה": 6, "שבע": 7, "שבעה": 7,
    "שמונה": 8, "תשע": 9, "תשעה": 9, "עשר": 10, "עשרה": 10,
})
TEEN = {_f("עשרה"), _f("עשר")}               # אחת עשרה → 11, שתים עשרה → 12
MINUTE_WORDS = _table({
    "חצי": 30, "רבע": 15, "עשרה": 10, "עשר": 10, "חמש": 5, "חמישה": 5, "עשרים": 20,
    "שלושים": 30, "ארבעים": 40, "חמישים": 50,
})
BEFORE_WORDS = _table({"רבע": 15, "עשרה": 10, "עשר": 10, "חמש": 5, "חמישה": 5, "עשרים": 20})
COUNT_WORDS = _table({"אחד": 1, "אחת": 1, "שניים": 2, "שתיים": 2, "שני": 2, "שתי": 2,
                      "שלושה": 3, "שלוש": 3, "ארבעה": 4, "ארבע": 4, "חמישה": 5, "חמש": 5,
                      "שישה": 6, "שש": 6, "שבעה": 7, "שבע": 7, "עשרה": 10, "עשר": 10})
# Israel's week: index 0 = Sunday.
WEEKDAYS = _table({"ראשון": 0, "שני": 1, "שלישי": 2, "רביעי": 3, "חמישי": 4, "שישי": 5, "שבת": 6})
WEEKDAY_LETTERS = _table({"א": 0, "ב": 1, "ג": 2, "ד": 3, "ה": 4, "ו": 5, "ש": 6})
WEEKDAY_NAMES = ("ראשון", "שני", "שלישי", "רביעי", "חמישי", "שישי", "שבת")
MONTHS = _table({
    "ינואר": 1, "פברואר": 2, "מרץ": 3, "מרס": 3, "אפריל": 4, "מאי": 5, "יוני": 6, "יולי": 7,
    "אוגוסט": 8, "ספטמבר": 9, "אוקטובר": 10, "נובמבר": 11, "דצמבר": 12,
})
# Parts of the day: (label, from minute, to minute) since local midnight.
MORNING = ("בבוקר", 8 * 60, 12 * 60)
NOON = ("בצהריים", 12 * 60, 15 * 60)
AFTERNOON = ("אחר הצהריים", 13 * 60, 18 * 60)
EVENING = ("בערב", 17 * 60, 22 * 60)
NIGHT = ("בלילה", 20 * 60, 24 * 60)
AFTER_WORK = ("אחרי העבודה", 17 * 60, 21 * 60)
MOTZASH = ("במוצאי שבת", 18 * 60, 23 * 60)
PART_WORDS = _table({"בוקר": MORNING, "צהריים": NOON, "צהרים": NOON, "ערב": EVENING,
                     "לילה": NIGHT})

EARLIEST_PHRASES = [tuple(_f(w) for w in p.split()) for p in (
    "הכי מוקדם", "הכי קרוב", "הכי מהר", "מוקדם ככל", "מהר ככל", "כמה שיותר מוקדם",
    "כמה שיותר מהר", "מתי שיש", "מתי שנוח", "מתי שפנוי", "לא משנה מתי", "הקדם", "הקדם האפשרי",
    "ראשון שפנוי", "ראשון שיש", "פנוי הראשון", "פנוי ראשון", "הראשון שיש", "הראשון שפנוי",
)]

# "ל-2 אנשים", "לשלושה ילדים": a number that counts something is not an hour.
COUNTED_NOUNS = ("אנשים", "אנשימ", "ילדים", "תורים", "פעמים", "שקל", "שקלים", "דקות", "שעות",
                 "ימים", "שבועות", "חודשים", "טיפולים", "מקומות", "נשים", "גברים")

PREFIX_LETTERS = "ובלהמ"
_TOKEN = re.compile(r"\d{1,4}(?:[:./]\d{1,4}){1,2}|\d+|[\u05D0-\u05EA]+")


@dataclass
class Tok:
    word: str                   # folded, without the prefixes that were split off as tokens
    pre: str = ""               # prefix letters that stood alone ("ב-14:30", "ה 12")
    used: bool = False

    def forms(self) -> list[tuple[str, str]]:
        """(form, prefix) pairs: the whole word first, then without one or two prefix letters."""
        out = [(self.word, self.pre)]
        for i in (1, 2):
            head = self.word[:i]
            if len(self.word) - i >= 1 and all(ch in PREFIX_LETTERS for ch in head):
                out.append((self.word[i:], self.pre + head))
        return out

    def find(self, table) -> tuple[object, str] | None:
        for form, prefix in self.forms():
            if form in table:
                return (table[form] if isinstance(table, dict) else form), prefix
        return None

    def is_(self, *words: str) -> bool:
        return self.find({_f(w) for w in words}) is not None

    def prefix_of(self, *words: str) -> str | None:
        hit = self.find({_f(w) for w in words})
        return None if hit is None else hit[1]


def tokens(text: str) -> list[Tok]:
    """Niqqud-free, final-letter-folded words; a lone prefix letter joins the next word."""
    text = strip_niqqud(text or "")
    # Abbreviations keep their letters: אחה"צ → אחהצ, מוצ"ש → מוצש, יום ה' → יום ה.
    text = re.sub(r"(?<=[\u05D0-\u05EA])[\"'\u05F3\u05F4](?=[\u05D0-\u05EA]|\s|$)", "", text)
    raw = [_f(w) for w in _TOKEN.findall(text.replace("\u05BE", " "))]
    out: list[Tok] = []
    pending = ""
    for i, w in enumerate(raw):
        # "ביום ה'" names Thursday; "ביום ב-14:30" is a prefix before the hour.
        after_yom = (bool(out) and out[-1].is_("יום") and not pending
                     and not (i + 1 < len(raw) and raw[i + 1][0].isdigit()))
        if len(w) == 1 and w in PREFIX_LETTERS and i + 1 < len(raw) and not after_yom:
            pending += w
            continue
        out.append(Tok(w, pending))
        pending = ""
    return out


# ----------------------------------------------------------------------------- helpers
def _at(day: date, minute: int) -> datetime:
    """Local wall-clock minute of a day (24:00 → the next midnight), aware."""
    extra, minute = divmod(minute, 24 * 60)
    d = day + timedelta(days=extra)
    return datetime(d.year, d.month, d.day, minute // 60, minute % 60, tzinfo=TZ)


def _sunday(day: date) -> date:
    return day - timedelta(days=(day.weekday() + 1) % 7)


def israel_weekday(day: date) -> int:
    return (day.weekday() + 1) % 7


def _hhmm(minute: int) -> str:
    minute %= 24 * 60
    return f"{minute // 60:02d}:{minute % 60:02d}"


def _date_label(day: date, today: date) -> str:
    dm = f"{day.day}.{day.month}" + (f".{day.year}" if day.year != today.year else "")
    name = f"יום {WEEKDAY_NAMES[israel_weekday(day)]}" if israel_weekday(day) != 6 else "שבת"
    if day == today:
        return f"היום, {name} {dm}"
    if day == today + timedelta(days=1):
        return f"מחר, {name} {dm}"
    return f"{name} {dm}"


def _valid_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _next_date(month: int, day: int, today: date, year: int | None = None) -> date | None:
    if year is not None:
        return _valid_date(year + 2000 if year < 100 else year, month, day)
    for y in (today.year, today.year + 1):
        d = _valid_date(y, month, day)
        if d is not None and d >= today:
            return d
    return None


# ----------------------------------------------------------------------------- the parse
@dataclass
class _Heard:
    day: date | None = None
    span: tuple[date, date] | None = None       # inclusive days
    span_label: str = ""
    part: tuple[str, int, int] | None = None
    clock: tuple[int, int, bool] | None = None  # hour, minute, hour needs the am/pm prior
    before_hour: int = 0                        # "רבע לשלוש": minutes before the hour
    after: tuple[int, int, bool] | None = None  # "אחרי ארבע"
    until: tuple[int, int, bool] | None = None  # "עד שתיים", "לפני עשר"
    earliest: bool = False
    offset: int | None = None                   # "בעוד שעה", "עכשיו": minutes from now
    weekday: int | None = None                  # Israel's: 0 = Sunday, the last one said


def _hour_at(toks: list[Tok], i: int) -> tuple[int, int, int, bool] | None:
    """An hour spoken at toks[i]: (hour, minute, tokens used, needs the am/pm prior)."""
    t = toks[i]
    m = re.fullmatch(r"(\d{1,2})[:.](\d{2})", t.word)
    if m:
        h, mi = int(m.group(1)), int(m.group(2))
        if h <= 24 and mi < 60:
            return h, mi, 1, (1 <= h <= 12 and not t.word.startswith("0"))
        return None
    if t.word.isdigit() and len(t.word) <= 2 and int(t.word) <= 24:
        h = int(t.word)
        return h, 0, 1, 1 <= h <= 12 and not t.word.startswith("0")
    if t.is_("עשרים"):                                   # "בעשרים ואחת": 21:00
        nxt = toks[i + 1] if i + 1 < len(toks) else None
        if nxt is not None and (nxt.pre + nxt.word).startswith("ו"):
            unit = HOUR_WORDS.get((nxt.pre + nxt.word)[1:])
            if unit is not None and unit <= 4:
                return 20 + unit, 0, 2, False
        return 20, 0, 1, False
    hit = t.find(HOUR_WORDS)
    if hit is None:
        return None
    h = hit[0]
    used = 1
    if h in (1, 2) and i + 1 < len(toks) and toks[i + 1].word in TEEN and not toks[i + 1].pre:
        h, used = h + 10, 2
    return h, 0, used, True


def _minutes_after(toks: list[Tok], j: int) -> tuple[int, int]:
    """ "וחצי", "ורבע", "ועשרים וחמש", "ו-15" after an hour: (minutes, tokens used)."""
    total, used = 0, 0
    while j + used < len(toks):
        t = toks[j + used]
        full = t.pre + t.word
        if not full.startswith("ו"):
            break
        rest = full[1:]
        if rest.isdigit() and int(rest) < 60 and total == 0:
            total, used = int(rest), used + 1
            continue
        value = MINUTE_WORDS.get(rest)
        if value is None or (total and not (total >= 20 and value == 5)):
            break
        total += value
        used += 1
        t.used = True
    return total, used


def _take_clock(toks: list[Tok], i: int, h: _Heard, slot: str) -> bool:
    """Read an hour at toks[i] (with its minutes) into h.clock / h.after / h.until."""
    got = _hour_at(toks, i)
    if got is None:
        return False
    hour, minute, used, ambiguous = got
    if minute == 0:
        extra, more = _minutes_after(toks, i + used)
        minute, used = extra, used + more
    for k in range(i, min(i + used, len(toks))):
        toks[k].used = True
    setattr(h, slot, (hour, minute, ambiguous))
    return True


def _resolve_hour(hour: int, ambiguous: bool, part: tuple[str, int, int] | None) -> int:
    if not ambiguous:
        return hour % 24
    if part is NIGHT and hour == 12:
        return 24                                    # "בשתים עשרה בלילה": midnight
    if part in (AFTERNOON, EVENING, NIGHT, AFTER_WORK, MOTZASH):
        return hour + 12 if hour < 12 else hour
    if part is NOON:
        return hour + 12 if hour <= 5 else hour
    if part is MORNING:
        return hour
    return hour + 12 if 1 <= hour <= 7 else hour


def _scan(toks: list[Tok], today: date) -> _Heard:
    h = _Heard()
    n = len(toks)

    # "הכי מוקדם שיש", "מתי שיש מקום": the words are matched after prefixes go.
    for i in range(n):
        for phrase in EARLIEST_PHRASES:
            if i + len(phrase) <= n and all(toks[i + k].is_(phrase[k]) or toks[i + k].word == phrase[k]
                                            for k in range(len(phrase))):
                h.earliest = True
                for k in range(len(phrase)):
                    toks[i + k].used = True

    for i, t in enumerate(toks):
        if t.used:
            continue
        nxt = toks[i + 1] if i + 1 < n else None

        # Greetings are not times: "ערב טוב", "בוקר טוב", "צהריים טובים".
        greet = t.find(PART_WORDS)
        if greet is not None and "ב" not in greet[1] and nxt is not None and nxt.is_("טוב", "טובים"):
            t.used = nxt.used = True
            continue

        # Dates: 12/12, 12.12.26, "ב-12 בדצמבר", "12 לדצמבר".
        m = re.fullmatch(r"(\d{1,2})[/.](\d{1,2})(?:[/.](\d{2,4}))?", t.word)
        if m and (t.word.count("/") or m.group(3) or int(m.group(2)) <= 12):
            d = _next_date(int(m.group(2)), int(m.group(1)), today,
                           int(m.group(3)) if m.group(3) else None)
            if d is not None and not (":" in t.word):
                h.day, t.used = d, True
                continue
        if t.word.isdigit() and nxt is not None and nxt.find(MONTHS):
            d = _next_date(nxt.find(MONTHS)[0], int(t.word), today)
            if d is not None:
                h.day, t.used, nxt.used = d, True, True
                continue

        # A day of the month: "ה-15", "ב-15 לחודש".
        if t.word.isdigit() and 1 <= int(t.word) <= 31 and (
                "ה" in t.pre or (nxt is not None and nxt.is_("חודש"))):
            d = _valid_date(today.year, today.month, int(t.word))
            if d is None or d < today:
                following = (today.replace(day=1) + timedelta(days=32)).replace(day=1)
                d = _valid_date(following.year, following.month, int(t.word))
            if d is not None:
                h.day, t.used = d, True
                if nxt is not None and nxt.is_("חודש"):
                    nxt.used = True
                continue

        if t.is_("עכשיו"):
            h.offset, t.used = 0, True
            continue

        # Relative days.
        if t.is_("היום"):
            h.day, t.used = today, True
            continue
        if t.is_("מחרתיים"):
            h.day, t.used = today + timedelta(days=2), True
            continue
        if t.is_("מחר"):
            h.day, t.used = today + timedelta(days=1), True
            continue

        # "בעוד שבועיים", "בעוד 3 ימים", "תוך יומיים".
        if t.is_("עוד", "תוך"):
            within = t.is_("תוך")
            j, count = i + 1, None
            if j < n and toks[j].word.isdigit():
                count, j = int(toks[j].word), j + 1
            elif j < n and toks[j].find(COUNT_WORDS):
                count, j = toks[j].find(COUNT_WORDS)[0], j + 1
            if j < n and toks[j].is_("חצי") and j + 1 < n and toks[j + 1].is_("שעה"):
                count, j = 0.5, j + 1
            if j < n and toks[j].is_("שעה", "שעות", "שעתיים", "דקות", "דקה") and not within:
                u = toks[j]
                minutes = (120 if u.is_("שעתיים") else
                           int((count or 1) * 60) if u.is_("שעה", "שעות") else int(count or 1))
                for k in range(i, j + 1):
                    toks[k].used = True
                h.offset = minutes
                continue
            if j < n:
                u = toks[j]
                days = weeks = None
                if u.is_("יומיים"):
                    days = 2
                elif u.is_("יום", "ימים"):
                    days = count or 1
                elif u.is_("שבועיים"):
                    weeks = 2
                elif u.is_("שבוע", "שבועות"):
                    weeks = count or 1
                elif u.is_("חודש"):
                    days = 30 * (count or 1)
                elif u.is_("חודשיים"):
                    days = 60
                if days or weeks:
                    t.used = u.used = True
                    for k in range(i + 1, j):
                        toks[k].used = True
                    total = days if days else 7 * weeks
                    target = today + timedelta(days=total)
                    if within:
                        h.span, h.span_label = (today, target), f"בתוך {_spell_period(days, weeks)}"
                    elif weeks:
                        first = max(_sunday(target), today)
                        h.span = (first, _sunday(target) + timedelta(days=6))
                        h.span_label = f"בעוד {_spell_period(days, weeks)}"
                    else:
                        h.day = target
                    continue

        # Weeks: "בשבוע הבא", "שבוע הבא", "השבוע".
        if t.is_("שבוע"):
            if nxt is not None and nxt.is_("הבא", "בא", "הבאה"):
                first = _sunday(today) + timedelta(days=7)
                h.span, h.span_label = (first, first + timedelta(days=6)), "בשבוע הבא"
                t.used = nxt.used = True
                continue
            if "ה" in (t.prefix_of("שבוע") or ""):
                h.span, h.span_label = (today, _sunday(today) + timedelta(days=6)), "השבוע"
                t.used = True
                continue
        if t.is_("חודש") and nxt is not None and nxt.is_("הבא", "בא"):
            first = (today.replace(day=1) + timedelta(days=32)).replace(day=1)
            last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
            h.span, h.span_label = (first, last), "בחודש הבא"
            t.used = nxt.used = True
            continue

        # Shabbat's edges: "במוצאי שבת" / "מוצ״ש" and "בערב שבת" (Friday).
        if t.is_("מוצש") or (t.is_("מוצאי", "מוצאים") and nxt is not None and nxt.is_("שבת")):
            t.used = True
            if nxt is not None and nxt.is_("שבת"):
                nxt.used = True
            h.part = MOTZASH
            h.weekday = 6
            continue
        if t.is_("ערב") and nxt is not None and nxt.is_("שבת"):
            t.used = nxt.used = True
            h.weekday = 5
            continue

        # Parts of the day, longest phrases first.
        if t.is_("אחר", "אחרי") and nxt is not None and nxt.is_("צהריים", "צהרים"):
            h.part, t.used, nxt.used = AFTERNOON, True, True
            continue
        if t.is_("לפני") and nxt is not None and nxt.is_("צהריים", "צהרים"):
            h.part, t.used, nxt.used = MORNING, True, True
            continue
        if t.is_("אחהצ"):
            h.part, t.used = AFTERNOON, True
            continue
        if t.is_("לפנהצ"):
            h.part, t.used = MORNING, True
            continue
        if t.is_("אחרי") and nxt is not None and nxt.is_("עבודה"):
            h.part, t.used, nxt.used = AFTER_WORK, True, True
            continue
        part = t.find(PART_WORDS)
        if part is not None:
            h.part, t.used = part[0], True
            if "ה" in part[1] and not part[1].startswith("ב") and h.day is None:
                h.day = today                       # "הבוקר", "הערב": today's
            continue

        # Weekdays: "יום חמישי", "ביום ה'", "בשלישי", "חמישי".
        wd = t.find(WEEKDAYS)
        prev = toks[i - 1] if i > 0 else None
        if wd is not None:
            after_yom = prev is not None and prev.is_("יום")
            with_b = "ב" in wd[1]
            if after_yom or with_b or wd[0] in (4, 5, 6):
                t.used = True
                if prev is not None and after_yom:
                    prev.used = True
                h.weekday = wd[0]
                if nxt is not None and nxt.is_("הקרוב", "הזה", "הבא"):
                    nxt.used = True
                continue
        if prev is not None and prev.is_("יום") and t.word in WEEKDAY_LETTERS:
            t.used = prev.used = True
            h.weekday = WEEKDAY_LETTERS[t.word]
            continue

        # Clock times and ranges of them.
        if t.is_("בין"):
            if i + 1 < n and _take_clock(toks, i + 1, h, "after"):
                j = next((k for k in range(i + 2, n) if not toks[k].used), None)
                if j is not None and "ל" in (toks[j].pre + toks[j].word[:1]):
                    if toks[j].pre.endswith("ל") or _hour_at(toks, j) is not None:
                        _take_clock(toks, j, h, "until")
                t.used = True
                continue
        if t.is_("אחרי", "מ", "החל") and i + 1 < n and _take_clock(toks, i + 1, h, "after"):
            t.used = True
            continue
        if t.is_("עד", "לפני") and i + 1 < n and _take_clock(toks, i + 1, h, "until"):
            t.used = True
            continue
        if t.is_("שעה"):
            t.used = True
            if i + 1 < n:
                _take_clock(toks, i + 1, h, "clock")
            continue
        # "רבע לשלוש", "עשרה ל-8": minutes before an hour said with ל.
        before = t.find(BEFORE_WORDS)
        if before is not None and nxt is not None and "ל" in nxt.pre + nxt.word[:1]:
            probe = Tok(nxt.word[1:] if not nxt.pre else nxt.word)
            got = _hour_at([probe], 0)
            if got is not None and (nxt.pre.endswith("ל") or nxt.word.startswith("ל")):
                h.clock, h.before_hour = (got[0], 0, got[3]), before[0]
                t.used = nxt.used = True
                continue
        # An hour said with ב or ל ("בשלוש", "ב-14:30", "לתשע"), or HH:MM alone.
        got = _hour_at(toks, i)
        counted = nxt is not None and nxt.is_(*COUNTED_NOUNS)
        if got is not None and not counted:
            said_with = t.pre if t.word[0].isdigit() else \
                (t.find(HOUR_WORDS) or t.find({_f("עשרים")}) or ("", ""))[1]
            if said_with and said_with[-1] == "מ":          # "משלוש", "מ-16:00": from then on
                _take_clock(toks, i, h, "after")
                continue
            before_part = nxt is not None and (nxt.find(PART_WORDS) is not None or nxt.is_(
                "אחר", "אחרי", "לפני", "אחהצ", "לפנהצ"))
            if ":" in t.word or (said_with and said_with[-1] in "בל") or before_part:
                _take_clock(toks, i, h, "clock")
                continue
    return h


def _spell_period(days: int | None, weeks: int | None) -> str:
    if weeks:
        return {1: "שבוע", 2: "שבועיים"}.get(weeks, f"{weeks} שבועות")
    return {1: "יום", 2: "יומיים"}.get(days, f"{days} ימים")


def _spell_minutes(minutes: int) -> str:
    return {30: "חצי שעה", 60: "שעה", 90: "שעה וחצי", 120: "שעתיים"}.get(
        minutes, f"{minutes // 60} שעות" if minutes % 60 == 0 else f"{minutes} דקות")


def parse_when(text: str, now: datetime) -> When | None:
    """The window the caller means, relative to `now` (aware); None if nothing about time."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    now = now.astimezone(TZ)
    today = now.date()
    h = _scan(tokens(text), today)

    if h.weekday is not None and h.day is None:
        wd = h.weekday
        if h.span is not None and h.span_label in ("בשבוע הבא", "השבוע"):
            day = _sunday(h.span[0]) + timedelta(days=wd)
            h.span = None
        else:
            ahead = (wd - israel_weekday(today)) % 7 or 7
            if h.part is MOTZASH and israel_weekday(today) == 6:
                ahead = 0                               # on Shabbat, tonight
            day = today + timedelta(days=ahead)
        h.day = day
    if h.day is not None:
        h.span = None

    if h.offset is not None and h.clock is None and h.day is None:
        start = now + timedelta(minutes=h.offset)
        said = "עכשיו" if h.offset == 0 else f"בעוד {_spell_minutes(h.offset)}"
        return When(start, start + timedelta(hours=1), exact=False, earliest=h.earliest,
                    understood=f"{said}, בסביבות {_hhmm(start.hour * 60 + start.minute)}")

    if h.clock is None and h.after is None and h.until is None and h.part is None \
            and h.day is None and h.span is None:
        if not h.earliest:
            return None
        end = now + timedelta(days=EARLIEST_HORIZON_DAYS)
        return When(now, end, exact=False, earliest=True, understood="הכי מוקדם שאפשר")

    # Minutes since midnight: an exact time, or the hours of a range.
    exact_minute: int | None = None
    hours: tuple[int, int] | None = None
    label_time = ""
    if h.clock is not None:
        hour, minute, ambiguous = h.clock
        hour = _resolve_hour(hour, ambiguous, h.part)
        exact_minute = hour * 60 + minute - h.before_hour
        label_time = f"בשעה {_hhmm(exact_minute)}"
    elif h.after is not None or h.until is not None:
        lo = h.part[1] if h.part else 0
        hi = h.part[2] if h.part else 24 * 60
        if h.after is not None:
            lo = _resolve_hour(h.after[0], h.after[2], h.part) * 60 + h.after[1]
        if h.until is not None:
            until_hour = _resolve_hour(h.until[0], h.until[2], h.part)
            if h.after is not None and until_hour * 60 + h.until[1] <= lo and until_hour < 12:
                until_hour += 12                         # "בין עשר לשתיים" → 10:00–14:00
            hi = until_hour * 60 + h.until[1]
        hours = (lo, hi)
        if h.after is not None and h.until is not None:
            label_time = f"בין {_hhmm(lo)} ל-{_hhmm(hi)}"
        elif h.after is not None:
            label_time = f"אחרי {_hhmm(lo)}"
        else:
            label_time = f"עד {_hhmm(hi)}"
    elif h.part is not None:
        hours = (h.part[1], h.part[2])
        label_time = h.part[0]

    def labelled(*parts: str) -> str:
        text = ", ".join(p for p in parts if p)
        return f"הכי מוקדם שאפשר, {text}" if h.earliest else text

    if h.span is not None:
        first, last = h.span
        span_text = f"{h.span_label} ({first.day}.{first.month}–{last.day}.{last.month})"
        if exact_minute is not None:
            start, end = _at(first, exact_minute), _at(last, exact_minute)
            if start < now:
                start = _at(first + timedelta(days=1), exact_minute)
            t = time(exact_minute // 60 % 24, exact_minute % 60)
            return When(start, end, exact=True, earliest=h.earliest,
                        understood=labelled(span_text, label_time), day_hours=(t, t))
        lo, hi = hours if hours else (0, 24 * 60)
        start, end = _at(first, lo), _at(last, hi)
        if _at(first, hi) <= now:
            start = _at(first + timedelta(days=1), lo)
        start = max(start, now)
        day_hours = None if hours is None else (time(lo // 60, lo % 60),
                                                time(hi // 60 % 24, hi % 60))
        return When(start, end, exact=False, earliest=h.earliest,
                    understood=labelled(span_text, label_time), passed=start >= end,
                    day_hours=day_hours)

    day = h.day
    if exact_minute is not None:
        if day is None:
            day = today if _at(today, exact_minute) > now else today + timedelta(days=1)
        at = _at(day, exact_minute)
        return When(at, at, exact=True, earliest=h.earliest, passed=at < now,
                    understood=labelled(_date_label(day, today), label_time))
    lo, hi = hours if hours else (0, 24 * 60)
    if day is None:
        day = today if _at(today, hi) > now else today + timedelta(days=1)
    start, end = _at(day, lo), _at(day, hi)
    passed = end <= now
    if not passed:
        start = max(start, now)
    return When(start, end, exact=False, earliest=h.earliest, passed=passed,
                understood=labelled(_date_label(day, today), label_time))
