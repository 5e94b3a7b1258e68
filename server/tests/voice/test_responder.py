"""The offline Hebrew responder: intents on noisy transcripts, answers from CRM data, honesty."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from server.providers.reply import CallerContext
from server.providers.reply.offline import OfflineResponder, detect_intents
from server.services.voice.context import hours_text, money, open_now


@pytest.mark.parametrize("text,intent", [
    ("מה הסטטוס של ההזמנה שלי?", "order_status"),
    ("וּמָה עִם הַהַזְמָנָה", "order_status"),                # niqqud
    ("ומה עם החשבונית", "invoice_status"),                  # ו+ה prefixes
    ("מה עם החשבונת שלי", "invoice_status"),                # a transcription slip
    ("שילמתי כבר?", "invoice_status"),
    ("מתי אתם פתוחים", "hours"),
    ("מה שעות הפתיחה שלכם", "hours"),
    ("שתחזרו אליי בבקשה", "callback"),                      # ש prefix
    ("אני רוצה לדבר עם נציג", "human"),
    ("תודה רבה, להתראות", "goodbye"),
    ("מה עם הפנייה שפתחתי", "task_status"),
])
def test_intents_survive_transcription_noise(text, intent):
    assert intent in detect_intents(text)


def test_final_letters_mid_phrase_do_not_hide_a_keyword():
    # Whisper sometimes writes a final letter mid-word; folding ם→מ keeps the stem.
    assert "greeting" in detect_intents("שלומ")
    assert detect_intents("מתי ההזמנה תגיע") == ["order_status"]  # "when" about an order is not hours


def test_shalom_is_not_a_payment():
    assert detect_intents("שלום") == ["greeting"]


def ctx(**fields) -> CallerContext:
    base = dict(business_name="מספרת רותי", customer_name="דנה כהן", known_customer=True, can_take_callback=True)
    base.update(fields)
    return CallerContext(**base)


def test_known_caller_is_greeted_by_first_name_once():
    responder = OfflineResponder()
    assert responder.reply("שלום", ctx()).text.startswith("שלום דנה!")
    assert not responder.reply("שלום", ctx(first_turn=False)).text.startswith("שלום")


def test_new_lead_is_not_called_by_the_placeholder_name():
    reply = OfflineResponder().reply("מה עם ההזמנה", ctx(customer_name="ליד חדש 052-765-4321", known_customer=False))
    assert reply.text.startswith("שלום!") and "לא מצאתי את המספר שלך" in reply.text


def test_order_status_comes_from_the_open_task():
    reply = OfflineResponder().reply("מה הסטטוס של ההזמנה?", ctx(
        tasks=[{"title": "התקנת מזגן", "status": "open", "due": "3.12"},
               {"title": "ניקוי", "status": "done", "due": None}]))
    assert "ההזמנה שלך, התקנת מזגן, בטיפול, מתוכנן ל3.12." in reply.text
    assert reply.intents == ["order_status"]


def test_invoice_paid_and_unpaid_are_told_apart():
    unpaid = OfflineResponder().reply("חשבונית", ctx(invoices=[
        {"number": 9, "status": "issued", "total": "585 שקלים", "due": "1.12"}])).text
    paid = OfflineResponder().reply("חשבונית", ctx(invoices=[
        {"number": 8, "status": "paid", "total": "100 שקלים", "due": None}])).text
    assert "חשבונית מספר 9 על סך 585 שקלים ממתינה לתשלום עד 1.12." in unpaid
    assert "חשבונית מספר 8 על סך 100 שקלים שולמה." in paid


def test_no_records_is_said_honestly():
    assert "לא מצאתי חשבוניות על שמך" in OfflineResponder().reply("מה עם החשבונית", ctx()).text
    assert "לא מצאתי הזמנה פתוחה" in OfflineResponder().reply("איפה ההזמנה", ctx()).text


def test_unrelated_question_gets_an_honest_i_dont_know():
    reply = OfflineResponder().reply("מה מזג האוויר בתל אביב", ctx(first_turn=False))
    assert reply.text.startswith("סליחה, את זה אני לא יודע.") and reply.intents == ["unknown"]
    assert reply.actions == []


def test_callback_request_asks_for_a_task():
    reply = OfflineResponder().reply("תחזרו אליי", ctx(first_turn=False))
    assert reply.actions == [{"type": "callback", "note": "תחזרו אליי"}] and "יחזור אלייך" in reply.text


def test_hours_from_business_settings():
    hours = {"sun": "09:00-17:00", "mon": "09:00-17:00", "tue": "09:00-17:00", "wed": "09:00-17:00",
             "thu": "09:00-17:00", "fri": "08:00-13:00", "sat": None}
    assert hours_text(hours) == "ראשון עד חמישי 09:00 עד 17:00, שישי 08:00 עד 13:00"
    assert hours_text("א׳–ה׳ 8:00–16:00") == "א׳–ה׳ 8:00–16:00"
    # Tuesday 10:00 in Israel (07:00/08:00 UTC) is open; Saturday is closed.
    assert open_now(hours, datetime(2026, 11, 24, 8, 0, tzinfo=timezone.utc)) is True
    assert open_now(hours, datetime(2026, 11, 28, 8, 0, tzinfo=timezone.utc)) is False
    assert open_now(hours, datetime(2026, 11, 24, 20, 0, tzinfo=timezone.utc)) is False
    reply = OfflineResponder().reply("מתי אתם פתוחים", ctx(hours=hours_text(hours), open_now=True, first_turn=False))
    assert reply.text == "שעות הפעילות שלנו: ראשון עד חמישי 09:00 עד 17:00, שישי 08:00 עד 13:00. כרגע אנחנו פתוחים."


def test_money_is_spoken_in_shekels_and_agorot():
    assert money(118000) == "1180 שקלים" and money(10050) == "100 שקלים ו50 אגורות"
