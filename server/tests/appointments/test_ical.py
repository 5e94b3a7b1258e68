"""iCalendar feeds: per staff calendar and per business, by secret token, rotatable."""
from __future__ import annotations

from datetime import datetime, timezone

from icalendar import Calendar

from server.tests.appointments.conftest import ISRAEL, ordinary_sunday


def _book(client, salon, hour, staff):
    day = ordinary_sunday()
    response = client.post("/api/appointments", json={
        "customer_id": salon.customer.id, "service_id": salon.haircut.id, "staff_id": staff.id,
        "start": datetime(day.year, day.month, day.day, hour, tzinfo=ISRAEL).isoformat()})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def _events(client, url):
    response = client.get(url.replace("http://localhost", ""))
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    return [c for c in Calendar.from_ical(response.data).walk("VEVENT")]


def test_a_staff_feed_holds_that_staff_members_appointments(client, login_as, salon):
    login_as("admin", salon.business)
    mine = _book(client, salon, 10, salon.dana)
    _book(client, salon, 10, salon.yossi)
    cancelled = _book(client, salon, 12, salon.dana)
    client.post(f"/api/appointments/{cancelled['id']}/cancel")
    dana = next(s for s in client.get("/api/staff-calendars").get_json() if s["name"] == "דנה")
    client.post("/api/auth/logout")
    events = _events(client, dana["ical_url"])  # no login: the token is the credential
    assert [str(e["uid"]) for e in events] == [f"appointment-{mine['id']}@kesher"]
    event = events[0]
    assert str(event["summary"]) == "תספורת נשים · מיכל לוי"
    assert event.decoded("dtstart") == datetime.fromisoformat(mine["start"]).astimezone(timezone.utc)
    assert str(event["status"]) == "TENTATIVE"


def test_the_business_feed_and_its_url_on_the_business(client, login_as, salon):
    login_as("admin", salon.business)
    _book(client, salon, 10, salon.dana)
    _book(client, salon, 10, salon.yossi)
    business = client.get(f"/api/businesses/{salon.business.id}").get_json()
    events = _events(client, business["ical_url"])
    assert sorted(str(e["summary"]) for e in events) == ["תספורת נשים · מיכל לוי (דנה)", "תספורת נשים · מיכל לוי (יוסי)"]
    assert client.get("/api/calendar-policy").get_json()["ical_url"] == business["ical_url"]


def test_staff_do_not_see_the_business_feed_url(client, login_as, salon):
    login_as("staff", salon.business)
    business = client.get(f"/api/businesses/{salon.business.id}")
    assert business.status_code == 200 and business.get_json()["name"] == "מספרת שירה"
    assert "ical_url" not in business.get_json()
    assert client.get("/api/calendar-policy").status_code == 403


def test_rotating_a_token_revokes_the_old_url(client, login_as, salon):
    login_as("admin", salon.business)
    old = client.get("/api/calendar-policy").get_json()["ical_url"]
    new = client.put("/api/calendar-policy", json={"rotate_ical_token": True}).get_json()["ical_url"]
    assert new != old
    assert client.get(old.replace("http://localhost", "")).status_code == 404
    assert client.get(new.replace("http://localhost", "")).status_code == 200
    assert client.get("/calendar/not-a-token.ics").status_code == 404
