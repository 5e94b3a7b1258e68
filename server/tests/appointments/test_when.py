"""Hebrew WHEN phrases → a window of slot start times in Israel time (server/services/appointments/when.py)."""
from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from server.services.appointments.when import parse_when, tokens

IL = ZoneInfo("Asia/Jerusalem")
# Friday 4 December 2026, 09:30 in Israel: the clock most rows are read against.
FRIDAY = datetime(2026, 12, 4, 9, 30, tzinfo=IL)


def il(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=IL)


# phrase, start, end (local, "" = same as start), exact
TABLE = [
    # days and relative days
    ("מחר בעשר", "2026-12-05 10:00", "", True),
    ("מחרתיים", "2026-12-06 00:00", "2026-12-07 00:00", False),
    ("היום אחר הצהריים", "2026-12-04 13:00", "2026-12-04 18:00", False),
    ("ביום חמישי אחרי הצהריים", "2026-12-10 13:00", "2026-12-10 18:00", False),
    ("יום ראשון בבוקר", "2026-12-06 08:00", "2026-12-06 12:00", False),
    ("ביום ראשון", "2026-12-06 00:00", "2026-12-07 00:00", False),       # Friday → the coming Sunday
    ("ביום שישי", "2026-12-11 00:00", "2026-12-12 00:00", False),        # today's weekday → next week
    ("בשלישי", "2026-12-08 00:00", "2026-12-09 00:00", False),
    ("ביום ה' בשתים עשרה וחצי", "2026-12-10 12:30", "", True),
    ("יום ב׳ בבוקר", "2026-12-07 08:00", "2026-12-07 12:00", False),
    ("ביום חמישי הקרוב בצהריים", "2026-12-10 12:00", "2026-12-10 15:00", False),
    ("במוצאי שבת", "2026-12-05 18:00", "2026-12-05 23:00", False),
    ("במוצ\"ש בשמונה", "2026-12-05 20:00", "", True),
    ("בערב שבת", "2026-12-11 00:00", "2026-12-12 00:00", False),
    # weeks and further
    ("בשבוע הבא", "2026-12-06 00:00", "2026-12-13 00:00", False),
    ("שבוע הבא ביום שלישי", "2026-12-08 00:00", "2026-12-09 00:00", False),
    ("ביום רביעי בשבוע הבא בעשר", "2026-12-09 10:00", "", True),
    ("בעוד שבועיים", "2026-12-13 00:00", "2026-12-20 00:00", False),
    ("בעוד שלושה ימים", "2026-12-07 00:00", "2026-12-08 00:00", False),
    ("בעוד יומיים", "2026-12-06 00:00", "2026-12-07 00:00", False),
    ("השבוע", "2026-12-04 09:30", "2026-12-06 00:00", False),
    ("בחודש הבא", "2027-01-01 00:00", "2027-02-01 00:00", False),
    ("תוך יומיים", "2026-12-04 09:30", "2026-12-07 00:00", False),
    # clock times: digits, words, quarters and halves, the am/pm prior
    ("ב-14:30", "2026-12-04 14:30", "", True),
    ("בשעה 9", "2026-12-05 09:00", "", True),                              # 09:00 has passed → tomorrow
    ("בעשר וחצי", "2026-12-04 10:30", "", True),
    ("בתשע וחצי בערב", "2026-12-04 21:30", "", True),
    ("ברבע לשלוש", "2026-12-04 14:45", "", True),
    ("ברבע לשמונה", "2026-12-05 07:45", "", True),                        # 8 is a morning hour
    ("בעשר ועשרים", "2026-12-04 10:20", "", True),
    ("בעשר ורבע", "2026-12-04 10:15", "", True),
    ("בשלוש", "2026-12-04 15:00", "", True),                             # a salon's 3 is 15:00
    ("בשמונה", "2026-12-05 08:00", "", True),                            # ... and its 8 is 08:00
    ("בשמונה בערב", "2026-12-04 20:00", "", True),
    ("בשש בבוקר", "2026-12-05 06:00", "", True),
    ("באחת", "2026-12-04 13:00", "", True),
    ("בשתיים", "2026-12-04 14:00", "", True),
    ("באחת עשרה", "2026-12-04 11:00", "", True),
    ("בשעה שמונה ועשרים וחמש", "2026-12-05 08:25", "", True),
    ("בחמש לשמונה", "2026-12-05 07:55", "", True),
    ("בעשרים ואחת", "2026-12-04 21:00", "", True),
    ("לשלוש וחצי", "2026-12-04 15:30", "", True),
    ("ב 9.30 מחר", "2026-12-05 09:30", "", True),
    ("ב-2:30", "2026-12-04 14:30", "", True),
    ("ב-07:30", "2026-12-05 07:30", "", True),                           # a leading zero is a morning
    # ranges of hours
    ("בין עשר לשתיים", "2026-12-04 10:00", "2026-12-04 14:00", False),
    ("אחרי ארבע", "2026-12-04 16:00", "2026-12-05 00:00", False),
    ("מחר מ-16:00", "2026-12-05 16:00", "2026-12-06 00:00", False),
    ("מחר עד שתיים", "2026-12-05 00:00", "2026-12-05 14:00", False),
    ("מחר אחרי העבודה", "2026-12-05 17:00", "2026-12-05 21:00", False),
    # parts of the day without a day: today while there is time left
    ("בערב", "2026-12-04 17:00", "2026-12-04 22:00", False),
    ("בצהריים", "2026-12-04 12:00", "2026-12-04 15:00", False),
    ("הערב", "2026-12-04 17:00", "2026-12-04 22:00", False),
    ("מחר בלילה", "2026-12-05 20:00", "2026-12-06 00:00", False),
    ("אחה\"צ", "2026-12-04 13:00", "2026-12-04 18:00", False),
    # dates
    ("ב-12 בדצמבר", "2026-12-12 00:00", "2026-12-13 00:00", False),
    ("ב12/12", "2026-12-12 00:00", "2026-12-13 00:00", False),
    ("ה-15 לדצמבר בעשר", "2026-12-15 10:00", "", True),
    ("ב-3 בינואר", "2027-01-03 00:00", "2027-01-04 00:00", False),       # the year wraps
    ("ב-2/12", "2027-12-02 00:00", "2027-12-03 00:00", False),           # 2 December is over
    ("ב-20.1.27 בשלוש", "2027-01-20 15:00", "", True),
    ("ביום חמישי ה-10", "2026-12-10 00:00", "2026-12-11 00:00", False),
    ("ה-2 בשלוש", "2027-01-02 15:00", "", True),                        # the 2nd is over → next month's
    ("ב-20 לחודש", "2026-12-20 00:00", "2026-12-21 00:00", False),
    ("מחר 10 בבוקר", "2026-12-05 10:00", "", True),                       # a bare number before a part of day
    ("שלוש אחרי הצהריים", "2026-12-04 15:00", "", True),
    ("בעוד שעה", "2026-12-04 10:30", "2026-12-04 11:30", False),
    ("בעוד חצי שעה", "2026-12-04 10:00", "2026-12-04 11:00", False),
    ("אפשר עכשיו", "2026-12-04 09:30", "2026-12-04 10:30", False),
    ("לא מחר מחרתיים", "2026-12-06 00:00", "2026-12-07 00:00", False),   # the last day said wins
    ("ערב טוב אפשר מחר בערב", "2026-12-05 17:00", "2026-12-05 22:00", False),
    # speech-to-text noise: niqqud, filler words, prefixes, a maqaf, no punctuation
    ("מָחָר בְּעֶשֶׂר", "2026-12-05 10:00", "", True),
    ("אממ אפשר מחר בערך בשלוש", "2026-12-05 15:00", "", True),
    ("ואפשר למחר בשתיים", "2026-12-05 14:00", "", True),
    ("כן אז ביום ראשון הבא בעשר בבוקר בערך", "2026-12-06 10:00", "", True),
    ("שתים־עשרה וחצי מחר בשעה", "2026-12-05 00:00", "2026-12-06 00:00", False),  # no ב: a bare number is not a time
]


@pytest.mark.parametrize("phrase,start,end,exact", TABLE, ids=[row[0] for row in TABLE])
def test_phrase_table(phrase, start, end, exact):
    got = parse_when(phrase, FRIDAY)
    assert got is not None, phrase
    assert (got.start, got.end, got.exact) == (il(start), il(end or start), exact)
    assert got.start.tzinfo is not None and got.start.utcoffset() == il(start).utcoffset()
    assert got.understood


def test_the_table_has_at_least_forty_phrasings():
    assert len({row[0] for row in TABLE}) >= 40


@pytest.mark.parametrize("phrase", ["הכי מוקדם שיש", "מתי שיש מקום", "בהקדם האפשרי",
                                    "התור הפנוי הראשון", "כמה שיותר מהר"])
def test_earliest_is_a_flag_with_a_window_from_now(phrase):
    got = parse_when(phrase, FRIDAY)
    assert got.earliest and not got.exact
    assert got.start == FRIDAY and got.end > FRIDAY + timedelta(days=7)


def test_earliest_keeps_the_day_that_was_said():
    got = parse_when("מחר הכי מוקדם שיש", FRIDAY)
    assert got.earliest
    assert (got.start, got.end) == (il("2026-12-05 00:00"), il("2026-12-06 00:00"))
    assert got.understood.startswith("הכי מוקדם")


@pytest.mark.parametrize("phrase", ["", "כמה עולה תספורת", "אממ בערך אפשר", "שלום אני רוצה לדבר עם נציג",
                                    "יש לי שתי שאלות", "אני בן עשרים ואחת",
                                    "ערב טוב רציתי לקבוע תור", "בוקר טוב", "לילה טוב ותודה",
                                    "תור ל-2 אנשים", "אפשר לשלושה ילדים"])
def test_nothing_about_time_is_none(phrase):
    assert parse_when(phrase, FRIDAY) is None


def test_today_after_the_time_has_passed_is_marked_not_moved():
    evening = il("2026-12-04 19:00")
    got = parse_when("היום בעשר", evening)
    assert got.start == il("2026-12-04 10:00") and got.passed
    got = parse_when("היום בבוקר", evening)
    assert got.passed and got.end == il("2026-12-04 12:00")


def test_today_partly_over_starts_now():
    got = parse_when("היום אחר הצהריים", il("2026-12-04 15:10"))
    assert (got.start, got.end, got.passed) == (il("2026-12-04 15:10"), il("2026-12-04 18:00"), False)


def test_without_today_a_time_that_has_passed_is_tomorrow():
    late = il("2026-12-04 19:00")
    assert parse_when("בעשר", late).start == il("2026-12-05 10:00")
    assert parse_when("בבוקר", late).start == il("2026-12-05 08:00")
    assert not parse_when("בבוקר", late).passed


def test_understood_repeats_the_day_and_time_in_hebrew():
    assert parse_when("מחר בעשר", FRIDAY).understood == "מחר, שבת 5.12, בשעה 10:00"
    assert parse_when("ביום חמישי אחרי הצהריים", FRIDAY).understood == "יום חמישי 10.12, אחר הצהריים"
    assert parse_when("בשבוע הבא", FRIDAY).understood == "בשבוע הבא (6.12–12.12)"
    assert parse_when("ב-3 בינואר", FRIDAY).understood == "יום ראשון 3.1.2027"


def test_week_boundaries_use_the_israeli_week():
    saturday_night = il("2026-12-05 21:00")
    nxt = parse_when("בשבוע הבא", saturday_night)
    assert (nxt.start, nxt.end) == (il("2026-12-06 00:00"), il("2026-12-13 00:00"))
    sunday = il("2026-12-06 08:00")
    assert parse_when("ביום ראשון", sunday).start == il("2026-12-13 00:00")
    assert parse_when("ביום שני", sunday).start == il("2026-12-07 00:00")
    assert parse_when("בשבוע הבא ביום ראשון", sunday).start == il("2026-12-13 00:00")


def test_a_multi_day_window_carries_its_daily_hours():
    got = parse_when("בשבוע הבא בבוקר", FRIDAY)
    assert (got.start, got.end) == (il("2026-12-06 08:00"), il("2026-12-12 12:00"))
    assert got.day_hours == (time(8), time(12))
    got = parse_when("בשבוע הבא בשלוש", FRIDAY)
    assert got.exact and got.day_hours == (time(15), time(15))


def test_year_wrap_december_to_january():
    new_years_eve = il("2026-12-30 11:00")          # a Wednesday
    nxt = parse_when("בשבוע הבא", new_years_eve)
    assert (nxt.start, nxt.end) == (il("2027-01-03 00:00"), il("2027-01-10 00:00"))
    assert parse_when("מחרתיים בשלוש", new_years_eve).start == il("2027-01-01 15:00")
    assert parse_when("ב-1/1", new_years_eve).start == il("2027-01-01 00:00")
    assert parse_when("בחודש הבא", new_years_eve).start == il("2027-01-01 00:00")
    assert parse_when("ביום שני", new_years_eve).start == il("2027-01-04 00:00")


def test_dst_change_week_keeps_wall_clock_times():
    # Israel leaves summer time on Sunday 25 October 2026 at 02:00 (UTC+3 → UTC+2).
    thursday = il("2026-10-22 12:00")
    assert thursday.utcoffset() == timedelta(hours=3)
    got = parse_when("ביום ראשון בעשר", thursday)
    assert got.start == il("2026-10-25 10:00") and got.start.utcoffset() == timedelta(hours=2)
    week = parse_when("בשבוע הבא", il("2026-10-20 09:00"))    # Tuesday before the change
    assert week.start == il("2026-10-25 00:00") and week.start.utcoffset() == timedelta(hours=3)
    assert week.end == il("2026-11-01 00:00") and week.end.utcoffset() == timedelta(hours=2)
    day = parse_when("ביום ראשון", thursday)
    utc = ZoneInfo("UTC")
    assert day.end.astimezone(utc) - day.start.astimezone(utc) == timedelta(hours=25)  # the long day is whole
    # and into summer time: Friday 27 March 2026, 02:00 → 03:00
    spring = parse_when("מחר בעשר", il("2026-03-26 12:00"))
    assert spring.start.utcoffset() == timedelta(hours=3) and spring.start.hour == 10


def test_now_in_another_zone_is_read_in_israel():
    utc_evening = datetime(2026, 12, 4, 22, 30, tzinfo=ZoneInfo("UTC"))   # 00:30 Saturday in Israel
    assert parse_when("היום", utc_evening).start.date().isoformat() == "2026-12-05"


def test_naive_now_is_refused():
    with pytest.raises(ValueError):
        parse_when("מחר", datetime(2026, 12, 4, 9, 30))


def test_tokens_fold_niqqud_final_letters_and_lone_prefixes():
    assert [(t.pre, t.word) for t in tokens("בְּיוֹם ב-14:30, ה־12")] == [("", "ביומ"), ("ב", "14:30"), ("ה", "12")]
