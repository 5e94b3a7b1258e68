"""Issue 19: the offline agent answers from the business's knowledge, keeps the source on the
turn, and says honestly when nothing matches (then offers a callback task)."""
from __future__ import annotations

from server.providers.reply import CallerContext
from server.services.knowledge.entries import create_entry
from server.services.reception import answer_offline, condense
from server.services.reception.desk import FrontDesk


def ask(business, customer, text, dialog=None, channel="phone"):
    dialog = {} if dialog is None else dialog
    ctx = CallerContext(business_name=business.name, customer_name=customer.name if customer else None,
                        known_customer=customer is not None, can_take_callback=customer is not None,
                        first_turn=False, desk=FrontDesk(business.id, customer.id if customer else None, channel,
                                                         dialog), dialog=dialog, channel=channel)
    return answer_offline(text, ctx)


def test_a_question_is_answered_from_the_entry_and_the_source_is_kept(db, make_business, make_customer):
    clinic = make_business("קליניקת שקד")
    customer = make_customer(clinic, name="נועם", phone="+972501112233")
    entry = create_entry(clinic.id, "חניה", "יש חניה חינם בחניון הבניין, כניסה מרחוב הרצל. בערב החניון נסגר ב-20:00.")
    create_entry(clinic.id, "מדיניות ביטולים", "ביטול עד 24 שעות לפני התור ללא חיוב. ביטול מאוחר יותר יחויב ב-50 ₪.")
    reply = ask(clinic, customer, "יש אצלכם איפה לחנות? חניה?")
    assert reply.text.startswith("יש חניה חינם בחניון הבניין")
    assert "knowledge" in reply.intents and "unknown" not in reply.intents
    assert reply.tool_calls == [{"name": "search_knowledge", "arguments": {"question": "יש אצלכם איפה לחנות? חניה?"},
                                 "result": {"source": {"kind": "entry", "id": entry.id, "title": "חניה"}}}]
    policy = ask(clinic, customer, "מה מדיניות הביטולים שלכם?")
    assert "24 שעות" in policy.text and policy.tool_calls[0]["result"]["source"]["title"] == "מדיניות ביטולים"


def test_nothing_matching_is_said_honestly_and_a_yes_becomes_a_callback(db, make_business, make_customer):
    clinic = make_business("קליניקת שקד")
    customer = make_customer(clinic, name="נועם", phone="+972501112233")
    create_entry(clinic.id, "חניה", "יש חניה חינם בחניון הבניין.")
    dialog: dict = {}
    reply = ask(clinic, customer, "אתם מוכרים גם כרטיסי מתנה?", dialog)
    assert reply.text == "את זה אני לא יודע בוודאות. רוצה שאבקש שנציג יחזור אלייך?"
    assert reply.actions == [] and reply.tool_calls[0]["result"] == {"source": None}
    yes = ask(clinic, customer, "כן, בבקשה", dialog)
    assert yes.actions == [{"type": "callback", "note": "אתם מוכרים גם כרטיסי מתנה?"}]
    assert "רשמתי בקשה" in yes.text and "step" not in dialog


def test_another_business_knowledge_is_never_used(db, make_business, make_customer):
    clinic, garage = make_business("קליניקת שקד"), make_business("מוסך הצפון")
    create_entry(clinic.id, "חניה", "יש חניה חינם בחניון הבניין.")
    driver = make_customer(garage, name="אבי", phone="+972541112233")
    reply = ask(garage, driver, "יש חניה?")
    assert "חניון" not in reply.text and reply.tool_calls[0]["result"] == {"source": None}


def test_a_long_passage_is_cut_at_a_sentence_on_the_phone_and_kept_longer_on_whatsapp(db, make_business,
                                                                                       make_customer):
    shop = make_business("חנות הפרחים")
    customer = make_customer(shop, name="ליה", phone="+972501112299")
    body = " ".join(f"משפט מספר {i} על משלוחים לכל הארץ בימים ראשון עד חמישי." for i in range(1, 15))
    create_entry(shop.id, "משלוחים", body)
    spoken = ask(shop, customer, "אתם עושים משלוחים?")
    written = ask(shop, customer, "אתם עושים משלוחים?", channel="whatsapp")
    assert spoken.text.endswith(".") and len(spoken.text) <= 260 < len(written.text) <= 700
    assert condense("קצר.", 10) == "קצר."
