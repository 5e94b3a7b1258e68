"""The appointments API: the price list, staff calendars, availability, booking, moving, cancelling."""
from __future__ import annotations

from datetime import datetime, timedelta

from server.tests.appointments.conftest import ISRAEL, ordinary_sunday


def at(day, hh, mm=0) -> str:
    return datetime(day.year, day.month, day.day, hh, mm, tzinfo=ISRAEL).isoformat()


def test_business_admin_configures_the_price_list(client, login_as, salon):
    login_as("admin", salon.business)
    created = client.post("/api/services", json={"name": "צבע שורשים", "duration_minutes": 60,
                                                 "price_agorot": 25000, "staff_ids": [salon.yossi.id]})
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert body == {"id": body["id"], "name": "צבע שורשים", "duration_minutes": 60, "price_agorot": 25000,
                    "buffer_minutes": 0, "active": True, "staff_ids": [salon.yossi.id]}
    names = [s["name"] for s in client.get("/api/services").get_json()]
    assert names == sorted(["החלקה", "צבע שורשים", "תספורת נשים"])
    updated = client.put(f"/api/services/{body['id']}", json={"price_agorot": 27000, "staff_ids": []})
    assert updated.get_json()["price_agorot"] == 27000 and updated.get_json()["staff_ids"] == []
    assert client.post("/api/services", json={"name": "החלקה", "duration_minutes": 30}).status_code == 409
    assert client.delete(f"/api/services/{body['id']}").get_json() == {"ok": True}
    assert client.put(f"/api/services/{body['id']}", json={"price_agorot": 1}).status_code == 404


def test_a_bad_service_is_a_field_error(client, login_as, salon):
    login_as("admin", salon.business)
    response = client.post("/api/services", json={"name": "", "duration_minutes": 0, "staff_ids": [999999]})
    assert response.status_code == 422
    assert set(response.get_json()["fields"]) == {"name", "duration_minutes"}
    response = client.post("/api/services", json={"name": "פן", "duration_minutes": 30, "staff_ids": [999999]})
    assert response.status_code == 422 and response.get_json()["field_codes"]["staff_ids"]["code"] == "staff_not_found"


def test_staff_cannot_configure_but_can_book(client, login_as, salon):
    login_as("staff", salon.business)
    assert client.post("/api/services", json={"name": "פן", "duration_minutes": 30}).status_code == 403
    assert client.post("/api/staff-calendars", json={"name": "רוני"}).status_code == 403
    day = ordinary_sunday()
    booked = client.post("/api/appointments", json={"customer_id": salon.customer.id, "service_id": salon.haircut.id,
                                                    "start": at(day, 10)})
    assert booked.status_code == 201, booked.get_json()


def test_viewer_reads_only(client, login_as, salon):
    login_as("viewer", salon.business)
    assert client.get("/api/services").status_code == 200
    day = ordinary_sunday()
    assert client.get(f"/api/availability?service_id={salon.haircut.id}&from={day}&to={day}").status_code == 200
    response = client.post("/api/appointments", json={"customer_id": salon.customer.id,
                                                      "service_id": salon.haircut.id, "start": at(day, 10)})
    assert response.status_code == 403


def test_staff_calendars_carry_their_feed_and_hours(client, login_as, salon):
    login_as("admin", salon.business)
    created = client.post("/api/staff-calendars", json={
        "name": "רוני", "hours": {"0": [["10:00", "14:00"]], "2": [["16:00", "20:00"]]},
        "breaks": [{"day": 0, "start": "12:00", "end": "12:30"}], "days_off": ["2027-01-01"]})
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert body["hours"] == {"0": [["10:00", "14:00"]], "2": [["16:00", "20:00"]]}
    assert body["ical_url"].startswith("http://localhost/calendar/") and body["ical_url"].endswith(".ics")
    rotated = client.put(f"/api/staff-calendars/{body['id']}", json={"rotate_ical_token": True}).get_json()
    assert rotated["ical_url"] != body["ical_url"]
    bad = client.put(f"/api/staff-calendars/{body['id']}", json={"hours": {"0": [["14:00", "10:00"]], "7": []}})
    assert bad.status_code == 422
    listed = client.get("/api/staff-calendars").get_json()
    assert [s["name"] for s in listed] == ["דנה", "יוסי", "רוני"]


def test_availability_answers_utc_slots(client, login_as, salon):
    login_as("viewer", salon.business)
    day = ordinary_sunday()
    response = client.get(f"/api/availability?service_id={salon.straightening.id}&from={day}&to={day}")
    slots = response.get_json()
    assert response.status_code == 200
    assert slots[0] == {"start": datetime.fromisoformat(at(day, 9)).astimezone(tz=None).astimezone(
        datetime.fromisoformat("2026-01-01T00:00:00+00:00").tzinfo).isoformat(),
        "end": datetime.fromisoformat(at(day, 11)).astimezone(
        datetime.fromisoformat("2026-01-01T00:00:00+00:00").tzinfo).isoformat(), "staff_id": salon.dana.id}
    assert slots[0]["start"].endswith("+00:00")
    with_offset = client.get(f"/api/availability?service_id={salon.haircut.id}&from={at(day, 15)}"
                             f"&to={at(day, 16)}&staff_id={salon.yossi.id}".replace("+", "%2B")).get_json()
    assert len(with_offset) == 4 and {s["staff_id"] for s in with_offset} == {salon.yossi.id}


def test_availability_refuses_bad_windows(client, login_as, salon):
    login_as("viewer", salon.business)
    base = f"/api/availability?service_id={salon.haircut.id}"
    assert client.get(base + "&from=2027-01-10&to=2027-01-01").get_json()["field_codes"]["to"]["code"] == "ends_before_starts"
    assert client.get(base + "&from=2027-01-01&to=2027-06-01").get_json()["field_codes"]["to"]["code"] == "window_too_long"
    assert client.get(base + "&from=2027-01-01T10:00&to=2027-01-02").status_code == 422
    assert client.get(base + "&from=מחר&to=2027-01-02").status_code == 422
    assert client.get("/api/availability?service_id=999999&from=2027-01-01&to=2027-01-02").status_code == 404


def test_book_move_cancel(client, login_as, salon):
    login_as("staff", salon.business)
    day = ordinary_sunday()
    booked = client.post("/api/appointments", json={"customer_id": salon.customer.id, "service_id": salon.haircut.id,
                                                    "start": at(day, 10), "notes": "מעדיפה את דנה"}).get_json()
    assert booked["staff_id"] == salon.dana.id  # no staff given: the first free one
    assert booked["status"] == "booked" and booked["source"] == "web"
    assert datetime.fromisoformat(booked["end"]) - datetime.fromisoformat(booked["start"]) == timedelta(minutes=45)
    assert booked["start"].endswith("+00:00")
    second = client.post("/api/appointments", json={"customer_id": salon.customer.id,
                                                    "service_id": salon.haircut.id, "start": at(day, 10, 30)})
    assert second.get_json()["staff_id"] == salon.yossi.id  # דנה is busy until 11:00 (buffer)
    moved = client.put(f"/api/appointments/{booked['id']}", json={"start": at(day, 14)})
    assert moved.status_code == 200 and moved.get_json()["start"] == datetime.fromisoformat(at(day, 14)).astimezone(
        datetime.fromisoformat(booked["start"]).tzinfo).isoformat()
    window = f"from={day}&to={day}"
    listed = client.get(f"/api/appointments?{window}&staff_id={salon.dana.id}").get_json()
    assert [a["id"] for a in listed] == [booked["id"]]
    cancelled = client.post(f"/api/appointments/{booked['id']}/cancel")
    assert cancelled.get_json()["status"] == "cancelled"
    assert [a["status"] for a in client.get(f"/api/appointments?{window}&status=cancelled").get_json()] == ["cancelled"]
    # The slot is free again.
    again = client.post("/api/appointments", json={"customer_id": salon.customer.id, "service_id": salon.haircut.id,
                                                   "start": at(day, 14), "staff_id": salon.dana.id})
    assert again.status_code == 201


def test_a_taken_slot_is_409_with_the_next_free_slots(client, login_as, salon):
    login_as("staff", salon.business)
    day = ordinary_sunday()
    body = {"customer_id": salon.customer.id, "service_id": salon.straightening.id, "start": at(day, 9)}
    assert client.post("/api/appointments", json=body).status_code == 201
    taken = client.post("/api/appointments", json=body)
    assert taken.status_code == 409
    answer = taken.get_json()
    assert answer["error"] == "slot taken" and answer["code"] == "slot_taken"
    assert [s["start"] for s in answer["next_slots"]] == [
        datetime.fromisoformat(at(day, h, m)).astimezone(datetime.fromisoformat("2026-01-01T00:00+00:00").tzinfo).isoformat()
        for h, m in ((11, 0), (13, 30), (13, 45))]  # 11:15 would run into the 13:00 break


def test_outside_hours_and_other_tenants(client, login_as, make_business, make_customer, salon):
    login_as("staff", salon.business)
    day = ordinary_sunday()
    night = client.post("/api/appointments", json={"customer_id": salon.customer.id,
                                                   "service_id": salon.haircut.id, "start": at(day, 22)})
    assert night.status_code == 422 and night.get_json()["field_codes"]["start"]["code"] == "outside_hours"
    naive = client.post("/api/appointments", json={"customer_id": salon.customer.id,
                                                   "service_id": salon.haircut.id, "start": f"{day}T10:00:00"})
    assert naive.status_code == 422
    other = make_business("מוסך הצפון")
    stranger = make_customer(other, name="אבי כהן", phone="+972541234567")
    foreign = client.post("/api/appointments", json={"customer_id": stranger.id,
                                                     "service_id": salon.haircut.id, "start": at(day, 10)})
    assert foreign.status_code == 404
    assert client.get(f"/api/services?business_id={other.id}").status_code == 404


def test_platform_admin_names_the_business(client, login_as, salon):
    login_as("admin")
    assert client.get("/api/services").status_code == 422
    listed = client.get(f"/api/services?business_id={salon.business.id}").get_json()
    assert {s["name"] for s in listed} == {"החלקה", "תספורת נשים"}


def test_reactivating_a_cancelled_appointment_checks_its_slot(client, login_as, salon):
    login_as("staff", salon.business)
    day = ordinary_sunday()
    body = {"customer_id": salon.customer.id, "service_id": salon.straightening.id, "start": at(day, 9)}
    first = client.post("/api/appointments", json=body).get_json()
    client.post(f"/api/appointments/{first['id']}/cancel")
    second = client.post("/api/appointments", json=body)
    assert second.status_code == 201
    back = client.put(f"/api/appointments/{first['id']}", json={"status": "booked"})
    assert back.status_code == 409 and back.get_json()["next_slots"]
    moved = client.put(f"/api/appointments/{first['id']}", json={"start": at(day, 14)})
    assert moved.status_code == 200 and moved.get_json()["status"] == "cancelled"
    assert client.put(f"/api/appointments/{first['id']}", json={"status": "confirmed"}).get_json()["status"] == "confirmed"
