"""Issue 18: the offline agent books, moves and cancels appointments and quotes prices, over
turns, through the real desk and database (services/reception)."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from server.models.appointments import Appointment
from server.providers.reply import CallerContext
from server.services.appointments import booking
from server.services.reception import answer_offline
from server.services.reception.desk import FrontDesk
from server.tests.appointments.conftest import il, ordinary_sunday


class Conversation:
    """One customer talking to the agent: the dialogue state kept between turns as the call does."""

    def __init__(self, business, customer, now, channel="phone", dry_run=False):
        self.business, self.customer, self.now = business, customer, now
        self.dialog: dict = {}
        self.history: list[dict] = []
        self.channel, self.dry_run = channel, dry_run

    def say(self, text: str):
        desk = FrontDesk(self.business.id, self.customer.id if self.customer else None, self.channel,
                         self.dialog, now=self.now, dry_run=self.dry_run)
        ctx = CallerContext(business_name=self.business.name, customer_name=self.customer.name if self.customer else None,
                            known_customer=self.customer is not None, can_take_callback=self.customer is not None,
                            first_turn=not self.history, history=list(self.history), desk=desk,
                            dialog=self.dialog, channel=self.channel)
        result = answer_offline(text, ctx)
        self.history.append({"caller": text, "agent": result.text})
        return result


def appointments(db, business_id):
    return list(db.session.scalars(select(Appointment).where(Appointment.business_id == business_id)
                                   .order_by(Appointment.start_at)))


@pytest.fixture()
def sunday():
    return ordinary_sunday()


@pytest.fixture()
def talk(salon, sunday):
    # Sunday 08:00, before opening: "מחר" is Monday.
    return Conversation(salon.business, salon.customer, il(sunday.year, sunday.month, sunday.day, 8, 0))


def test_tomorrow_at_ten_is_offered_then_booked_only_after_yes(db, salon, talk, sunday):
    first = talk.say("היי, אפשר לקבוע תור לתספורת מחר בעשר?")
    assert first.text.startswith("שלום מיכל!")
    assert "לקבוע לך תספורת נשים מחר ב-10:00 אצל" in first.text and first.text.endswith("?")
    assert "booking" in first.intents
    assert appointments(db, salon.business.id) == []          # a question, not a booking
    done = talk.say("כן, בבקשה")
    assert done.text.startswith("קבעתי לך תספורת נשים מחר ב-10:00")
    [row] = appointments(db, salon.business.id)
    monday = sunday + timedelta(days=1)
    assert row.start_at == il(monday.year, monday.month, monday.day, 10, 0)
    assert (row.customer_id, row.service_id, row.source, row.status) == (salon.customer.id, salon.haircut.id,
                                                                         "phone", "booked")
    assert [c["name"] for c in done.tool_calls] == ["book"] and done.tool_calls[0]["result"]["ok"]
    assert talk.dialog.get("step") is None                     # the dialogue is over


def test_a_no_books_nothing_and_asks_for_another_time(db, salon, talk):
    talk.say("אני רוצה לקבוע החלקה מחר בעשר")
    reply = talk.say("לא, זה לא מתאים")
    assert "מתי יותר נוח לך" in reply.text
    assert appointments(db, salon.business.id) == []
    assert talk.dialog["step"] == "ask_when"


def test_an_afternoon_offers_three_times_and_the_second_is_booked(db, salon, talk, sunday):
    offer = talk.say("אפשר תור לתספורת ביום חמישי אחרי הצהריים?")
    thursday = sunday + timedelta(days=4)
    assert f"ביום חמישי, {thursday.day}.{thursday.month}" in offer.text and offer.text.endswith("מה מתאים לך?")
    choices = talk.dialog["choices"]
    assert len(choices) == 3 and all(c["start"] >= il(thursday.year, thursday.month, thursday.day, 12).isoformat()
                                     for c in choices)
    confirm = talk.say("השני")
    assert confirm.text.startswith("לקבוע לך תספורת נשים ביום חמישי")
    talk.say("סגור")
    [row] = appointments(db, salon.business.id)
    assert row.start_at == datetime.fromisoformat(choices[1]["start"])


def test_a_taken_time_offers_the_nearest_free_ones_the_same_day(db, salon, talk, sunday):
    monday = sunday + timedelta(days=1)
    for staff in (salon.dana, salon.yossi):
        booking.book(salon.business.id, salon.customer.id, salon.haircut.id,
                     il(monday.year, monday.month, monday.day, 10, 0), staff_id=staff.id)
    reply = talk.say("תספורת מחר בעשר")
    assert "ב-10:00 כבר תפוס" in reply.text and "מחר" in reply.text
    assert talk.dialog["step"] == "choose"
    assert all(c["start"] != il(monday.year, monday.month, monday.day, 10, 0).isoformat()
               for c in talk.dialog["choices"])


def test_the_slot_taken_between_question_and_yes_is_not_double_booked(db, salon, make_customer, talk, sunday):
    talk.say("אפשר לקבוע החלקה מחר בעשר?")      # only דנה does החלקה
    pending = talk.dialog["pending"]
    other = make_customer(salon.business, name="רותם", phone="+972529998877")
    booking.book(salon.business.id, other.id, salon.straightening.id, datetime.fromisoformat(pending["start"]),
                 staff_id=pending["staff_id"])
    reply = talk.say("כן")
    assert "נתפס הרגע" in reply.text and talk.dialog["step"] in ("choose", "confirm")
    rows = appointments(db, salon.business.id)
    assert [r.customer_id for r in rows] == [other.id]


def test_price_and_duration_come_from_the_price_list(db, salon, talk):
    price = talk.say("כמה עולה החלקה?")
    assert "החלקה עולה 650 ₪" in price.text and "price" in price.intents
    duration = talk.say("וכמה זמן לוקחת תספורת?")
    assert "תספורת נשים לוקחת כ-45 דקות" in duration.text
    assert "לא יודע" not in price.text + duration.text
    assert appointments(db, salon.business.id) == []


def test_cancel_my_appointment_after_a_yes(db, salon, talk, sunday):
    tuesday = sunday + timedelta(days=2)
    row = booking.book(salon.business.id, salon.customer.id, salon.haircut.id,
                       il(tuesday.year, tuesday.month, tuesday.day, 11, 0), staff_id=salon.dana.id)
    ask = talk.say("אני צריכה לבטל את התור שלי")
    assert ask.text.endswith(f"לבטל את התור שלך לתספורת נשים ביום שלישי, {tuesday.day}.{tuesday.month} ב-11:00 אצל דנה?")
    assert db.session.get(Appointment, row.id).status == "booked"
    done = talk.say("כן, תבטלי")
    assert done.text.startswith("ביטלתי את התור")
    db.session.expire_all()
    assert db.session.get(Appointment, row.id).status == "cancelled"


def test_move_my_appointment_to_another_day(db, salon, talk, sunday):
    tuesday, wednesday = sunday + timedelta(days=2), sunday + timedelta(days=3)
    row = booking.book(salon.business.id, salon.customer.id, salon.haircut.id,
                       il(tuesday.year, tuesday.month, tuesday.day, 11, 0), staff_id=salon.dana.id)
    ask = talk.say("אפשר להזיז את התור שלי ליום רביעי בשתיים?")
    assert ask.text == f"שלום מיכל! להזיז את התור ליום רביעי, {wednesday.day}.{wednesday.month} ב-14:00 אצל דנה?"
    assert talk.say("כן").text.startswith(f"הזזתי את התור שלך ליום רביעי, {wednesday.day}.{wednesday.month}")
    db.session.expire_all()
    moved = db.session.get(Appointment, row.id)
    assert moved.start_at == il(wednesday.year, wednesday.month, wednesday.day, 14, 0) and moved.status == "booked"


def test_a_policy_question_about_cancelling_is_not_a_cancellation(db, salon, talk, sunday):
    tuesday = sunday + timedelta(days=2)
    booking.book(salon.business.id, salon.customer.id, salon.haircut.id,
                 il(tuesday.year, tuesday.month, tuesday.day, 11, 0), staff_id=salon.dana.id)
    reply = talk.say("מה מדיניות הביטולים שלכם?")
    assert "cancel_appointment" not in reply.intents and talk.dialog.get("action") != "cancel"


def test_the_desk_refuses_a_slot_it_never_offered_and_a_booking_without_yes(db, salon, sunday):
    monday = sunday + timedelta(days=1)
    start = il(monday.year, monday.month, monday.day, 10, 0)
    desk = FrontDesk(salon.business.id, salon.customer.id, "phone", {}, now=il(sunday.year, sunday.month, sunday.day, 8))
    assert desk.book(salon.haircut.id, start, None, confirmed=True) == {"ok": False, "error": "slot was not offered"}
    slot = desk.find_slots(salon.haircut.id, start, start + timedelta(minutes=1))[0]
    assert desk.book(salon.haircut.id, slot["start"], slot["staff_id"], confirmed=False)["error"] == \
        "the caller has not said yes"
    assert appointments(db, salon.business.id) == []
    assert desk.book(salon.haircut.id, slot["start"], slot["staff_id"], confirmed=True)["ok"]
    # The same yes again (a retried job) is the same booking, not a second one.
    assert desk.book(salon.haircut.id, slot["start"], slot["staff_id"], confirmed=True)["ok"]
    assert db.session.scalar(select(func.count()).select_from(Appointment)) == 1


def test_another_business_desk_cannot_touch_this_customers_appointment(db, salon, make_business, make_customer, sunday):
    tuesday = sunday + timedelta(days=2)
    row = booking.book(salon.business.id, salon.customer.id, salon.haircut.id,
                       il(tuesday.year, tuesday.month, tuesday.day, 11, 0), staff_id=salon.dana.id)
    other = make_business("מוסך הצפון")
    stranger = make_customer(other, name="זר", phone="+972541234567")
    desk = FrontDesk(other.id, stranger.id, "phone", {}, now=il(sunday.year, sunday.month, sunday.day, 8))
    assert desk.services() == [] and desk.next_appointment() is None
    assert desk.cancel(row.id, confirmed=True)["ok"] is False
    assert desk.find_slots(salon.haircut.id, il(tuesday.year, tuesday.month, tuesday.day),
                           il(tuesday.year, tuesday.month, tuesday.day, 23)) == []
    db.session.expire_all()
    assert db.session.get(Appointment, row.id).status == "booked"


def test_trying_the_agent_books_nothing(db, salon, sunday):
    talk = Conversation(salon.business, salon.customer, il(sunday.year, sunday.month, sunday.day, 8), dry_run=True)
    talk.say("תספורת מחר בעשר")
    done = talk.say("כן")
    assert done.tool_calls[0]["result"]["dry_run"] is True
    assert appointments(db, salon.business.id) == []


def test_an_unknown_caller_cannot_book(db, salon, sunday):
    talk = Conversation(salon.business, None, il(sunday.year, sunday.month, sunday.day, 8))
    talk.say("תספורת מחר בעשר")
    done = talk.say("כן")
    assert "לא הצלחתי לקבוע" in done.text and appointments(db, salon.business.id) == []
