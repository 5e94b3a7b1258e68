"""The away message (once per conversation per closed period, only while closed) and the
opt-out ("הסר"), each called on a stored inbound message as the WhatsApp agent's job will."""
from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from sqlalchemy import select

from server.models import AuditEntry, Customer, WhatsAppMsg
from server.providers.whatsapp.base import InboundMessage
from server.services.automations.away import on_inbound_whatsapp
from server.services.automations.opt_out import record_opt_out_if_asked
from server.services.whatsapp import record_inbound
from server.tests.automations.conftest import WA_NUMBER

ISRAEL = ZoneInfo("Asia/Jerusalem")
DANA = "+972545550201"
YOSSI = "+972545550202"
_count = {"n": 0}


@pytest.fixture(autouse=True)
def no_agent_job(monkeypatch):
    """These tests call the hooks themselves, at the arrival times they set; the agent's job
    (which calls them for real, test_whatsapp_agent.py) would run them first at today's time."""
    monkeypatch.setattr("server.services.whatsapp.enqueue_answer", lambda message_id: None)


def inbound(db, sender: str, text: str, at: datetime, to: str = WA_NUMBER) -> WhatsAppMsg:
    _count["n"] += 1
    message, created = record_inbound(InboundMessage(provider="dev", provider_message_id=f"in-{_count['n']}-{sender}",
                                                     from_number=sender, to_number=to, text=text))
    assert created
    message.created_at = at  # when it arrived, as the agent's job sees it
    db.session.commit()
    return message


def israel(year, month, day, hour, minute=0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=ISRAEL)


def away_messages(db, business) -> list[WhatsAppMsg]:
    return [m for m in db.session.scalars(select(WhatsAppMsg).where(WhatsAppMsg.business_id == business.id,
                                                                    WhatsAppMsg.direction == "outbound"))
            if (m.flags or {}).get("automation") == "away_message"]


def test_away_message_once_per_conversation_per_closed_period(db, business, enable):
    enable(business, away_message={"text": "סגורים עכשיו, נחזור אליך"})
    # Friday 2027-01-08: open 09:00-13:00; Shabbat closed; Sunday 09:00-17:00.
    assert on_inbound_whatsapp(inbound(db, DANA, "שלום, אפשר תור?", israel(2027, 1, 8, 14))) is True
    assert on_inbound_whatsapp(inbound(db, DANA, "?", israel(2027, 1, 9, 20))) is False  # same period
    assert on_inbound_whatsapp(inbound(db, YOSSI, "היי", israel(2027, 1, 9, 21))) is True  # another conversation
    assert on_inbound_whatsapp(inbound(db, DANA, "בוקר טוב", israel(2027, 1, 10, 10))) is False  # open
    assert on_inbound_whatsapp(inbound(db, DANA, "עוד שאלה", israel(2027, 1, 10, 18))) is True  # a new period
    sent = away_messages(db, business)
    assert [m.to_number for m in sent] == [DANA, YOSSI, DANA]
    assert {m.body for m in sent} == {"סגורים עכשיו, נחזור אליך"}


def test_away_message_on_a_holiday_and_on_the_timeline(db, client, business, enable, login_as):
    from server.services.appointments.holy_days import holiday_name
    enable(business, away_message={})
    day = next(date(2027, 1, 1) + timedelta(days=n) for n in range(365)
               if holiday_name(date(2027, 1, 1) + timedelta(days=n)) and (date(2027, 1, 1) + timedelta(days=n)).weekday() in (0, 1, 2, 3, 6))
    message = inbound(db, DANA, "פתוחים היום?", israel(day.year, day.month, day.day, 11))
    assert on_inbound_whatsapp(message) is True
    login_as("viewer", business=business)
    items = client.get(f"/api/customers/{message.customer_id}/timeline").get_json()
    flags = [i["data"]["flags"] for i in items if i["type"] == "whatsapp"]
    assert {"automation": "away_message", "reply_to": message.id}.items() <= next(f for f in flags if f.get("automation")).items()


def test_no_away_message_while_open_or_switched_off(db, business, enable, make_business):
    assert on_inbound_whatsapp(inbound(db, DANA, "שלום", israel(2027, 1, 9, 12))) is False  # switched off
    enable(business, away_message={})
    assert on_inbound_whatsapp(inbound(db, DANA, "שלום", israel(2027, 1, 11, 12))) is False  # Monday noon: open
    # A business whose hours are free text: no away message on a guess.
    other = make_business("עסק בלי שעות", whatsapp_number="+97235550099", settings={"hours": "בתיאום מראש"})
    enable(other, away_message={})
    assert on_inbound_whatsapp(inbound(db, DANA, "שלום", israel(2027, 1, 9, 12), to="+97235550099")) is False
    assert away_messages(db, business) == [] and away_messages(db, other) == []


def test_opt_out_marks_the_customer_and_stops_the_away_message(db, business, enable):
    enable(business, away_message={})
    message = inbound(db, DANA, "הָסֵר!", israel(2027, 1, 9, 12))
    assert record_opt_out_if_asked(message) is True
    assert record_opt_out_if_asked(message) is False  # already opted out
    customer = db.session.get(Customer, message.customer_id)
    assert customer.whatsapp_opted_out_at is not None
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.entity_type == "customer",
                                                      AuditEntry.entity_id == customer.id)) is not None
    assert on_inbound_whatsapp(message) is False
    assert away_messages(db, business) == []


def test_only_a_request_to_be_removed_opts_out(db, business):
    for text in ("איך מסירים כתם מהחולצה?", "אל תסירו אותי", "שלום"):
        assert record_opt_out_if_asked(inbound(db, DANA, text, israel(2027, 1, 10, 10))) is False
    assert record_opt_out_if_asked(inbound(db, YOSSI, "  הסירו אותי  ", israel(2027, 1, 10, 10))) is True
    opted = db.session.scalars(select(Customer.phone).where(Customer.whatsapp_opted_out_at.is_not(None))).all()
    assert opted == [YOSSI]
