"""The Hebrew calendar: Israel's holidays (not the diaspora's), their eves and the days around them."""
from __future__ import annotations

from datetime import date

import pytest

from server.services.appointments.holy_days import day_kind, israel_weekday


@pytest.mark.parametrize("day, closed", [
    (date(2026, 9, 11), None),             # Friday, erev Rosh Hashana
    (date(2026, 9, 12), "ראש השנה"),
    (date(2026, 9, 13), "ראש השנה"),       # the second day, in Israel too
    (date(2026, 9, 14), None),
    (date(2026, 9, 20), None),             # erev Yom Kippur
    (date(2026, 9, 21), "יום כיפור"),
    (date(2026, 9, 22), None),
    (date(2026, 9, 26), "סוכות"),
    (date(2026, 9, 27), None),             # chol hamoed is a working day
    (date(2026, 10, 3), "שמחת תורה/שמיני עצרת"),
    (date(2026, 10, 4), None),             # no second day of Shemini Atzeret in Israel
    (date(2026, 4, 1), None),              # erev Pesach
    (date(2026, 4, 2), "פסח"),
    (date(2026, 4, 3), None),              # chol hamoed (a Friday)
    (date(2026, 4, 8), "שביעי של פסח"),
    (date(2026, 4, 9), None),              # the diaspora's eighth day is a working day here
    (date(2026, 5, 22), "שבועות"),
    (date(2026, 5, 23), "שבת"),            # the diaspora's second day of Shavuot is only Shabbat here
    (date(2026, 5, 24), None),
    (date(2026, 4, 21), None),             # Yom HaZikaron is a working day
    (date(2026, 4, 22), "יום העצמאות"),
    (date(2026, 4, 23), None),
    (date(2024, 5, 13), None),             # 5 Iyar 5784 fell on a Monday: moved to Tuesday
    (date(2024, 5, 14), "יום העצמאות"),
    (date(2025, 5, 3), "שבת"),             # 5 Iyar 5785 fell on Shabbat: moved back to Thursday
    (date(2025, 5, 1), "יום העצמאות"),
    (date(2026, 12, 5), "שבת"),            # Chanukah is a working day (this one is Shabbat)
    (date(2026, 12, 6), None),
])
def test_closed_days(day, closed):
    assert day_kind(day).closed_reason == closed


@pytest.mark.parametrize("day, short", [
    (date(2026, 9, 11), "ערב ראש השנה"),
    (date(2026, 9, 20), "ערב יום כיפור"),
    (date(2026, 9, 25), "ערב סוכות"),
    (date(2026, 4, 1), "ערב פסח"),
    (date(2026, 4, 7), "ערב שביעי של פסח"),
    (date(2026, 5, 21), "ערב שבועות"),
    (date(2026, 4, 3), "יום שישי"),
    (date(2026, 4, 21), None),   # erev Yom HaAtzmaut is Yom HaZikaron: ordinary hours
    (date(2026, 9, 22), None),
    (date(2026, 12, 7), None),
])
def test_short_days(day, short):
    assert day_kind(day).short_reason == short


def test_israel_weekday_counts_from_sunday():
    assert israel_weekday(date(2026, 12, 6)) == 0  # Sunday
    assert israel_weekday(date(2026, 12, 11)) == 5  # Friday
    assert israel_weekday(date(2026, 12, 12)) == 6  # Shabbat
