"""What the calendar screen and the dashboard read: the customer's name on each listed
appointment, today's appointments and the no-show rate of the last 30 days."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from server.models.appointments import Appointment
from server.services.dashboard import dashboard
from server.tests.appointments.conftest import ISRAEL, ordinary_sunday


def _at(day, hh, mm=0) -> str:
    return datetime(day.year, day.month, day.day, hh, mm, tzinfo=ISRAEL).isoformat()


def _appointment(db, salon, start, status="booked", customer=None, staff=None):
    row = Appointment(business_id=salon.business.id, customer_id=(customer or salon.customer).id,
                      service_id=salon.haircut.id, staff_id=(staff or salon.dana).id, start_at=start,
                      end_at=start + timedelta(minutes=45), blocked_until=start + timedelta(minutes=60),
                      status=status, source="web")
    db.session.add(row)
    return row


def test_listed_appointments_carry_the_customers_name(client, login_as, salon):
    login_as("staff", salon.business)
    day = ordinary_sunday()
    booked = client.post("/api/appointments", json={"customer_id": salon.customer.id, "service_id": salon.haircut.id,
                                                    "start": _at(day, 10)})
    assert booked.status_code == 201
    assert "customer_name" not in booked.get_json()
    listed = client.get(f"/api/appointments?from={day}&to={day}").get_json()
    assert [(a["id"], a["customer_name"]) for a in listed] == [(booked.get_json()["id"], "מיכל לוי")]


def test_dashboard_lists_todays_appointments_in_israel_days(db, salon, make_customer):
    # 23:30 UTC on 24.11 is 01:30 on 25.11 in Israel: today; 21:30 UTC on 24.11 is yesterday.
    now = datetime(2026, 11, 25, 8, 0, tzinfo=timezone.utc)
    other = make_customer(salon.business, name="רונית כהן", phone="+972529998877")
    _appointment(db, salon, datetime(2026, 11, 25, 12, 0, tzinfo=timezone.utc), customer=other, staff=salon.yossi)
    _appointment(db, salon, datetime(2026, 11, 24, 23, 30, tzinfo=timezone.utc))
    _appointment(db, salon, datetime(2026, 11, 24, 21, 30, tzinfo=timezone.utc))
    _appointment(db, salon, datetime(2026, 11, 25, 14, 0, tzinfo=timezone.utc), status="cancelled")
    db.session.commit()

    data = dashboard(salon.business.id, days=1, now=now)

    assert data["today"]["appointments"] == 2
    assert [(a["customer_name"], a["service_name"], a["staff_name"]) for a in data["appointments_today"]] == [
        ("מיכל לוי", "תספורת נשים", "דנה"), ("רונית כהן", "תספורת נשים", "יוסי")]
    assert data["appointments_today"][0]["start"] == "2026-11-24T23:30:00+00:00"


def test_no_show_rate_counts_the_last_30_days_without_cancellations(db, salon):
    now = datetime(2026, 11, 25, 8, 0, tzinfo=timezone.utc)
    for days_ago, status in [(1, "done"), (2, "no_show"), (3, "done"), (10, "confirmed"),
                             (5, "cancelled"), (40, "no_show")]:
        _appointment(db, salon, now - timedelta(days=days_ago))
        db.session.flush()
        db.session.query(Appointment).order_by(Appointment.id.desc()).first().status = status
    _appointment(db, salon, now + timedelta(days=1))  # future: not yet kept or missed
    db.session.commit()

    rate = dashboard(salon.business.id, now=now)["no_show"]

    assert rate == {"days": 30, "appointments": 4, "no_shows": 1, "rate": 0.25}


def test_no_show_rate_is_null_without_appointments_and_scoped_to_the_business(
        client, db, login_as, make_business, salon):
    other = make_business("מספרה אחרת")
    _appointment(db, salon, datetime.now(timezone.utc) - timedelta(days=1), status="no_show")
    db.session.commit()
    login_as("viewer", other)
    body = client.get("/api/dashboard").get_json()
    assert body["no_show"] == {"days": 30, "appointments": 0, "no_shows": 0, "rate": None}
    assert body["appointments_today"] == [] and body["today"]["appointments"] == 0
    login_as("viewer", salon.business)
    assert client.get("/api/dashboard").get_json()["no_show"]["rate"] == 1.0
