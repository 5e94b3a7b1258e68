"""Appointments are records of the customer like any other: on the timeline, audited,
exported and erased with the customer, and they keep a customer from being deleted."""
from __future__ import annotations

import io
import json
import zipfile
from datetime import datetime

from sqlalchemy import select

from server.models import AuditEntry
from server.models.appointments import Appointment
from server.tests.appointments.conftest import ISRAEL, ordinary_sunday


def _book(client, salon, hour, notes=None):
    day = ordinary_sunday()
    response = client.post("/api/appointments", json={
        "customer_id": salon.customer.id, "service_id": salon.haircut.id, "notes": notes,
        "start": datetime(day.year, day.month, day.day, hour, tzinfo=ISRAEL).isoformat()})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_an_appointment_on_the_customer_timeline(client, login_as, salon):
    login_as("staff", salon.business)
    booked = _book(client, salon, 10)
    client.post(f"/api/customers/{salon.customer.id}/tasks", json={"title": "להזכיר על התור"})
    items = client.get(f"/api/customers/{salon.customer.id}/timeline").get_json()
    appointment = [i for i in items if i["type"] == "appointment"]
    assert len(appointment) == 1
    item = appointment[0]
    assert item["at"] == booked["start"]
    assert item["data"]["id"] == booked["id"] and item["data"]["service_name"] == "תספורת נשים"
    assert item["data"]["staff_name"] == "דנה" and item["data"]["price_agorot"] == 18000
    assert "180" in item["data"]["display"]["price"]
    only = client.get(f"/api/customers/{salon.customer.id}/timeline?types=appointment").get_json()
    assert [i["type"] for i in only] == ["appointment"]


def test_booking_moving_and_cancelling_are_audited(client, login_as, salon, db):
    user = login_as("staff", salon.business)
    booked = _book(client, salon, 10)
    client.post(f"/api/appointments/{booked['id']}/cancel")
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.entity_type == "appointment")
                                 .order_by(AuditEntry.id)).all()
    assert [(e.action, e.actor_user_id, e.business_id) for e in entries] == [
        ("create", user.id, salon.business.id), ("update", user.id, salon.business.id)]
    assert entries[1].details == {"fields": ["status"]}


def test_a_customer_with_appointments_is_not_deleted(client, login_as, salon):
    login_as("staff", salon.business)
    _book(client, salon, 10)
    response = client.delete(f"/api/crm/customers/{salon.customer.id}")
    assert response.status_code == 409 and "appointments 1" in response.get_json()["error"]


def test_export_and_erasure_include_appointments(client, login_as, salon, db):
    login_as("admin", salon.business)
    booked = _book(client, salon, 10, notes="מיכל לוי מבקשת קצוץ קצר")
    export = client.post(f"/api/crm/customers/{salon.customer.id}/export").get_json()
    status = client.get(f"/api/crm/exports/{export['id']}").get_json()
    zf = zipfile.ZipFile(io.BytesIO(client.get(status["download_url"]).data))
    exported = json.loads(zf.read("appointments.json"))
    assert [a["id"] for a in exported] == [booked["id"]] and exported[0]["notes"] == "מיכל לוי מבקשת קצוץ קצר"
    assert json.loads(zf.read("manifest.json"))["counts"]["appointments"] == 1

    erased = client.post(f"/api/crm/customers/{salon.customer.id}/erase", json={"reason": "בקשת הלקוחה"})
    assert erased.status_code == 200, erased.get_json()
    assert erased.get_json()["erased"]["appointments"] == 1
    db.session.expire_all()
    row = db.session.get(Appointment, booked["id"])
    assert row.notes is None and row.status == "booked"  # the calendar keeps the time, not the text
