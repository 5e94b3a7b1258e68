"""Price-list questions in Hebrew → a service and what is asked (server/services/appointments/catalog.py)."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from server.services.appointments.catalog import (
    CatalogMatch, Service, about, answer, asks_about, duration_text, match_service, price_list_text,
    price_text,
)

SALON = [
    (1, "תספורת גבר", 30, 8000),
    (2, "תספורת אישה", 60, 18000),
    (3, "החלקה אורגנית", 120, 45000),
    (4, "צבע שורשים", 90, 25000),
    (5, "פן", 30, 9000),
    (6, "גוונים", 150, 50000),
]
CLINIC = [
    (11, "בדיקה ויעוץ", 20, 25000),
    (12, "ניקוי שיניים", 45, 35000),
    (13, "סתימה", 40, 40000),
    (14, "עקירה", 30, 60000),
    (15, "טיפול שורש", 90, 180000),
    (16, "צילום פנורמי", 15, 12000),
    (17, "הלבנת שיניים", 60, None),
]
GARAGE = [
    (21, "טיפול 10,000 ק\"מ", 120, 65000),
    (22, "החלפת שמן", 30, 25000),
    (23, "בדיקת רישוי (טסט)", 60, 30000),
    (24, "החלפת בלמים / רפידות", 90, 55000),
    (25, "כיוון פרונט", 45, 19990),
]


def names(match: CatalogMatch | None) -> list[str] | None:
    return None if match is None else [s.name for s in match.services]


@pytest.mark.parametrize("services,text,expected,asks", [
    # salon
    (SALON, "כמה עולה החלקה?", ["החלקה אורגנית"], {"price"}),
    (SALON, "מה המחיר של תספורת גבר", ["תספורת גבר"], {"price"}),
    (SALON, "כמה זמן לוקח צבע", ["צבע שורשים"], {"duration"}),
    (SALON, "כמה זה פן", ["פן"], {"price"}),
    (SALON, "אפשר לקבוע תור לתספורת", ["תספורת גבר", "תספורת אישה"], {"book"}),
    (SALON, "כמה עולה תיספורת לגברים", ["תספורת גבר"], {"price"}),           # spelling noise, plural
    (SALON, "כַּמָּה עוֹלָה הַחְלָקָה", ["החלקה אורגנית"], {"price"}),              # niqqud
    (SALON, "ומה המחיר לצבע", ["צבע שורשים"], {"price"}),                      # ו/ל prefixes
    (SALON, "כמה זה לוקח הגוונים", ["גוונים"], {"duration"}),                  # "כמה זה" about time
    (SALON, "אממ כמה עולה החלקה וכמה זמן זה לוקח", ["החלקה אורגנית"], {"price", "duration"}),
    (SALON, "רציתי לקבוע תספורת אישה למחר", ["תספורת אישה"], {"book"}),
    (SALON, "יש לכם החלקה", ["החלקה אורגנית"], set()),
    # clinic
    (CLINIC, "כמה עולה סתימה", ["סתימה"], {"price"}),
    (CLINIC, "מה העלות של טיפול שורש", ["טיפול שורש"], {"price"}),
    (CLINIC, "כמה זמן לוקח ניקוי שיניים", ["ניקוי שיניים"], {"duration"}),
    (CLINIC, "רוצה לקבוע תור לעקירה", ["עקירה"], {"book"}),
    (CLINIC, "כמה עולה צילום", ["צילום פנורמי"], {"price"}),
    # garage
    (GARAGE, "כמה עולה טסט", ["בדיקת רישוי (טסט)"], {"price"}),               # the alias
    (GARAGE, "מה המחיר של טיפול עשרת אלפים", ["טיפול 10,000 ק\"מ"], {"price"}),
    (GARAGE, "כמה זמן לוקחת החלפת שמן", ["החלפת שמן"], {"duration"}),
    (GARAGE, "כמה עולה להחליף רפידות", ["החלפת בלמים / רפידות"], {"price"}),
    (GARAGE, "כמה עולה טיפול 10000", ["טיפול 10,000 ק\"מ"], {"price"}),
])
def test_questions_find_the_service_and_what_is_asked(services, text, expected, asks):
    match = match_service(services, text)
    assert names(match) == expected
    assert match.asks == frozenset(asks)


@pytest.mark.parametrize("services,text", [
    (SALON, "כמה עולה מניקור"),                 # not on the list: never a near neighbour's price
    (SALON, "אני רוצה לדבר עם נציג"),
    (SALON, "כמה זה לפני הצהריים"),
    (SALON, "שורשים"),                           # only the kind, never the service's own word
    (CLINIC, "כמה עולה תספורת"),
    (GARAGE, "כמה עולה תיקון פנצ'ר"),
    (GARAGE, ""),
    ([], "כמה עולה החלקה"),
])
def test_no_match_is_none(services, text):
    assert match_service(services, text) is None


def test_a_kind_not_on_the_list_asks_which_rather_than_quoting_a_neighbour():
    # "החלפת צמיגים" is not sold: the agent hears what is, and quotes no price.
    match = match_service(GARAGE, "כמה עולה החלפת צמיגים")
    assert match.service is None
    assert answer(match) == "יש לנו החלפת שמן והחלפת בלמים. לאיזה מהם התכוונת?"


def test_services_may_be_models_or_values():
    model = SimpleNamespace(id=7, name="החלקה", duration_minutes=120, price_agorot=45000)
    assert match_service([model], "כמה עולה החלקה").service == Service(7, "החלקה", 120, 45000)
    assert match_service([Service(8, "פן", 30, 9000)], "כמה זה פן").service.id == 8


def test_ambiguous_match_has_no_single_service_and_asks_which():
    match = match_service(SALON, "כמה עולה תספורת")
    assert match.ambiguous and match.service is None
    assert answer(match) == "יש לנו תספורת גבר ותספורת אישה. לאיזה מהם התכוונת?"


@pytest.mark.parametrize("services,text,sentence", [
    ([(3, "החלקה", 120, 45000)], "כמה עולה החלקה וכמה זמן זה לוקח", "החלקה עולה 450 ₪ ולוקחת כשעתיים"),
    (SALON, "כמה עולה החלקה", "החלקה אורגנית עולה 450 ₪"),
    (SALON, "כמה זמן לוקח צבע", "צבע שורשים לוקח כשעה וחצי"),
    (SALON, "כמה זמן לוקחים גוונים", "גוונים לוקחים כשעתיים וחצי"),
    (SALON, "אפשר לקבוע פן", "פן עולה 90 ₪ ולוקח כחצי שעה"),
    (CLINIC, "כמה זמן לוקח ניקוי שיניים", "ניקוי שיניים לוקח כ-45 דקות"),
    (CLINIC, "כמה עולה הלבנת שיניים", "הלבנת שיניים לוקחת כשעה. על המחיר אפשר לשאול את הצוות"),
    (GARAGE, "כמה עולה טסט", "בדיקת רישוי עולה 300 ₪"),
    (GARAGE, "כמה עולה כיוון פרונט", "כיוון פרונט עולה 199.90 ₪"),
])
def test_answers_in_natural_hebrew_from_the_list_only(services, text, sentence):
    assert answer(match_service(services, text)) == sentence


@pytest.mark.parametrize("minutes,text", [
    (15, "רבע שעה"), (20, "20 דקות"), (30, "חצי שעה"), (45, "45 דקות"), (60, "שעה"),
    (75, "שעה ורבע"), (90, "שעה וחצי"), (100, "שעה ו-40 דקות"), (120, "שעתיים"),
    (150, "שעתיים וחצי"), (180, "שלוש שעות"), (240, "ארבע שעות"), (210, "שלוש שעות וחצי"),
])
def test_durations_in_natural_hebrew(minutes, text):
    assert duration_text(minutes) == text


def test_about_a_duration():
    assert [about(m) for m in (120, 30, 45, 60)] == ["כשעתיים", "כחצי שעה", "כ-45 דקות", "כשעה"]


@pytest.mark.parametrize("agorot,text", [
    (45000, "450 ₪"), (4990, "49.90 ₪"), (120000, "1,200 ₪"), (5, "0.05 ₪"), (0, "0 ₪"),
])
def test_prices_from_agorot(agorot, text):
    assert price_text(agorot) == text


def test_price_list_text_one_line_a_service():
    assert price_list_text(CLINIC[:2] + CLINIC[-1:]).splitlines() == [
        "בדיקה ויעוץ — 250 ₪, 20 דקות",
        "ניקוי שיניים — 350 ₪, 45 דקות",
        "הלבנת שיניים — מחיר לפי בירור, שעה",
    ]


@pytest.mark.parametrize("text,asks", [
    ("כמה עולה", {"price"}), ("כמה זה לוקח", {"duration"}), ("מה משך הטיפול", {"duration"}),
    ("יש מקום מחר", {"book"}), ("תודה רבה", set()),
])
def test_what_is_asked_without_a_service(text, asks):
    assert asks_about(text) == frozenset(asks)
