"""GET /api/dashboard: today's figures and per-day activity in Israeli days, per business."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from server.models import CallLog, Task, WhatsAppMsg
from server.services.dashboard import dashboard


def _call(db, business, at, sid):
    db.session.add(CallLog(call_sid=sid, business_id=business.id, from_number="+972501234567",
                           started_at=at, status="completed"))


def _message(db, business, at):
    db.session.add(WhatsAppMsg(business_id=business.id, direction="inbound", status="delivered",
                               provider="dev", body="היי", created_at=at))


def test_days_are_israeli_calendar_days(db, make_business):
    business = make_business()
    # 22:30 UTC on 24.11 is already 00:30 on 25.11 in Israel (UTC+2 in winter).
    now = datetime(2026, 11, 24, 23, 0, tzinfo=timezone.utc)
    _call(db, business, datetime(2026, 11, 24, 22, 30, tzinfo=timezone.utc), "CA1")
    _call(db, business, datetime(2026, 11, 24, 21, 30, tzinfo=timezone.utc), "CA2")  # 23:30 on 24.11
    _message(db, business, datetime(2026, 11, 24, 22, 45, tzinfo=timezone.utc))
    db.session.commit()

    data = dashboard(business.id, days=3, now=now)

    assert data["today"]["day"] == "2026-11-25"
    assert data["today"]["calls"] == 1 and data["today"]["messages"] == 1
    assert data["days"] == [
        {"day": "2026-11-23", "calls": 0, "messages": 0},
        {"day": "2026-11-24", "calls": 1, "messages": 0},
        {"day": "2026-11-25", "calls": 1, "messages": 1},
    ]


def test_endpoint_counts_only_own_business(client, db, login_as, make_business, make_customer):
    mine, other = make_business("קפה נועה"), make_business("פיצה דני")
    now = datetime.now(timezone.utc)
    _call(db, mine, now - timedelta(minutes=1), "CA-mine")
    _call(db, other, now - timedelta(minutes=1), "CA-other")
    _call(db, other, now - timedelta(minutes=2), "CA-other2")
    customer = make_customer(mine)
    db.session.add(Task(business_id=mine.id, customer_id=customer.id, title="לחזור ללקוחה", status="open"))
    db.session.add(Task(business_id=mine.id, customer_id=customer.id, title="נסגרה", status="done"))
    db.session.commit()
    login_as("viewer", mine)

    response = client.get("/api/dashboard?days=7")

    assert response.status_code == 200
    body = response.get_json()
    assert body["today"]["calls"] == 1
    assert body["today"]["open_tasks"] == 1
    assert len(body["days"]) == 7
    assert [c["call_sid"] for c in body["recent_calls"]] == ["CA-mine"]
    assert client.get(f"/api/dashboard?business_id={other.id}").status_code == 404


def test_platform_admin_sees_all_or_one(client, db, login_as, make_business):
    a, b = make_business(), make_business()
    now = datetime.now(timezone.utc)
    _call(db, a, now, "CA-a")
    _call(db, b, now, "CA-b")
    db.session.commit()
    login_as("admin")
    assert client.get("/api/dashboard").get_json()["today"]["calls"] == 2
    assert client.get(f"/api/dashboard?business_id={b.id}").get_json()["today"]["calls"] == 1


def test_bad_days_is_422_and_logged_out_is_401(client, login_as):
    assert client.get("/api/dashboard").status_code == 401
    login_as("staff")
    response = client.get("/api/dashboard?days=0")
    assert response.status_code == 422
    assert "days" in response.get_json()["fields"]
