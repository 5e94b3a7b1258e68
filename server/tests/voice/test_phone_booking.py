"""Issue 18: a caller books an appointment on the phone, over the real Twilio webhooks
(record/answer mode, offline agent): the agent offers the earliest free slot, books it only
after the caller's yes, and the booking is the caller's, from the phone, on the timeline."""
from __future__ import annotations

import xml.etree.ElementTree as ET

from sqlalchemy import select

from server.models import CallLog, CallTurn
from server.models.appointments import Appointment, Service, StaffCalendar
from server.services.appointments.settings import new_token
from server.tests.voice.conftest import call_form, say_in_turn

EVERY_DAY = {str(d): [["08:00", "20:00"]] for d in range(7)}


def test_a_caller_books_the_earliest_slot_after_saying_yes(client, db, app, monkeypatch, voice_config, fake_server,
                                                          voice_business, make_customer, login_as):
    monkeypatch.setitem(app.config, "OPENAI_BASE_URL", f"{fake_server.url}/v1")
    caller = make_customer(voice_business, name="דנה כהן", phone="+972502345678")
    db.session.add(StaffCalendar(business_id=voice_business.id, name="רותי", hours=EVERY_DAY, ical_token=new_token()))
    db.session.add(Service(business_id=voice_business.id, name="פן", duration_minutes=30, price_agorot=9000))
    db.session.commit()
    url = say_in_turn(fake_server, "אפשר לקבוע תור לפן? הכי מוקדם שיש", "כן, תודה")

    client.post("/webhook/incoming_call", data=call_form())
    first = client.post("/webhook/handle_recording", data=call_form(RecordingUrl=url))
    assert first.status_code == 200 and [c.tag for c in ET.fromstring(first.data)] == ["Play", "Record"]
    turn = db.session.scalars(select(CallTurn)).one()
    assert "לקבוע לך פן" in turn.reply and turn.reply.rstrip().endswith("?")
    assert db.session.scalars(select(Appointment)).all() == []                 # not before the yes

    client.post("/webhook/handle_recording", data=call_form(RecordingUrl=url))
    [appointment] = db.session.scalars(select(Appointment)).all()
    assert (appointment.customer_id, appointment.source, appointment.status) == (caller.id, "phone", "booked")
    second = db.session.scalars(select(CallTurn).order_by(CallTurn.id.desc())).first()
    assert second.reply.startswith("קבעתי לך פן")
    assert [c["name"] for c in second.tool_calls] == ["book"] and second.tool_calls[0]["result"]["ok"] is True
    # The dialogue lived on the call between the turns, and is done.
    call = db.session.scalars(select(CallLog)).one()
    db.session.refresh(call)
    assert "reception" not in (call.state or {}) or not call.state["reception"].get("step")

    login_as("viewer", business=voice_business)
    items = client.get(f"/api/customers/{caller.id}/timeline").get_json()
    assert any(i["type"] == "appointment" and i["data"]["id"] == appointment.id for i in items)
