"""Shabbat, the Israeli holidays and their eves, from a maintained library.

The holy days come from `holidays` (holidays.Israel): Israel's own calendar, not the
diaspora's, so one day of Pesach, Shavuot and Shemini Atzeret, and Yom HaAtzmaut moved
the way the Knesset moves it (never on Friday, Shabbat or Monday night → Sunday). The
holidays are the state's days of rest (its PUBLIC category): ראש השנה ×2, יום כיפור, סוכות,
שמיני עצרת, פסח, שביעי של פסח, שבועות and יום העצמאות. Chol hamoed is a working day.

Days are Israel calendar days. A day is:
- closed: Shabbat or a holiday (for a business that closes on them);
- short: Friday or erev chag (the day before a holiday other than Yom HaAtzmaut, whose eve is
  Yom HaZikaron, a working day), when the business sets short hours for them.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

import holidays

SATURDAY = 5  # date.weekday()
FRIDAY = 4
# Days 0..6 of the API's weekly hours: 0 = Sunday, as Israel counts.
INDEPENDENCE_DAY = "יום העצמאות"


def israel_weekday(day: date) -> int:
    """0 = Sunday … 6 = Shabbat."""
    return (day.weekday() + 1) % 7


# The library marks a moved Yom HaAtzmaut "(נצפה)" (observed); the day is simply יום העצמאות.
_OBSERVED = " (נצפה)"


@lru_cache(maxsize=64)
def _year(year: int) -> dict[date, str]:
    return {day: name.removesuffix(_OBSERVED) for day, name in holidays.Israel(years=year, language="he").items()}


def holiday_name(day: date) -> str | None:
    """The holiday's Hebrew name, or None on an ordinary day."""
    return _year(day.year).get(day)


@dataclass(frozen=True)
class DayKind:
    closed_reason: str | None  # "שבת" or the holiday's name
    short_reason: str | None   # "יום שישי" or "ערב <holiday>"


def day_kind(day: date) -> DayKind:
    holiday = holiday_name(day)
    if holiday:
        return DayKind(holiday, None)
    if day.weekday() == SATURDAY:
        return DayKind("שבת", None)
    tomorrow = holiday_name(day + timedelta(days=1))
    if tomorrow and tomorrow != INDEPENDENCE_DAY:
        return DayKind(None, f"ערב {tomorrow}")
    if day.weekday() == FRIDAY:
        return DayKind(None, "יום שישי")
    return DayKind(None, None)
