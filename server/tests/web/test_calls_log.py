"""GET /api/calls: the calls log, per business, newest first, with turns and names."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from server.models import CallLog, CallTurn


def _call(db, business, sid, minutes_ago, customer=None, turns=()):
    call = CallLog(call_sid=sid, business_id=business.id, customer_id=customer.id if customer else None,
                   from_number="+972501234567", status="completed",
                   started_at=datetime.now(timezone.utc) - timedelta(minutes=minutes_ago))
    for index, (heard, said) in enumerate(turns):
        call.turns.append(CallTurn(index=index, transcript=heard, reply=said, audio_url=f"/media/voice/{sid}-{index}.mp3"))
    db.session.add(call)
    db.session.commit()
    return call


def test_log_is_newest_first_with_turns_and_customer_name(client, db, login_as, make_business, make_customer):
    business = make_business()
    dana = make_customer(business, name="דנה כהן")
    _call(db, business, "CA-old", 30)
    _call(db, business, "CA-new", 1, customer=dana, turns=[("מה הסטטוס של ההזמנה?", "ההזמנה נשלחה היום.")])
    login_as("viewer", business)

    body = client.get("/api/calls?limit=10").get_json()

    assert body["total"] == 2 and body["page"] == 1 and body["limit"] == 10
    newest, oldest = body["items"]
    assert (newest["call_sid"], oldest["call_sid"]) == ("CA-new", "CA-old")
    assert newest["customer_name"] == "דנה כהן" and oldest["customer_name"] is None
    assert newest["turns"][0]["transcript"] == "מה הסטטוס של ההזמנה?"
    assert newest["turns"][0]["audio_url"] == "/media/voice/CA-new-0.mp3"


def test_log_never_shows_another_business(client, db, login_as, make_business):
    mine, other = make_business(), make_business()
    _call(db, other, "CA-theirs", 1)
    login_as("staff", mine)
    assert client.get("/api/calls").get_json()["items"] == []
    assert client.get(f"/api/calls?business_id={other.id}").status_code == 404


def test_paging_and_validation(client, db, login_as, make_business):
    business = make_business()
    for n in range(3):
        _call(db, business, f"CA-{n}", n)
    login_as("staff", business)
    page2 = client.get("/api/calls?page=2&limit=2").get_json()
    assert [c["call_sid"] for c in page2["items"]] == ["CA-2"]
    assert client.get("/api/calls?limit=0").status_code == 422
    client.post("/api/auth/logout")
    assert client.get("/api/calls").status_code == 401
