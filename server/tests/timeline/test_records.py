"""Tasks, contracts (and invoices') endpoints: roles, validation, isolation."""
from __future__ import annotations

import pytest

from server.tests.conftest import login

WRITES = [
    ("post", "/tasks", {"title": "להתקשר"}),
    ("post", "/contracts", {"title": "חוזה"}),
    ("post", "/invoices", {"amount": 100}),
]


def base(c):
    return f"/api/customers/{c.id}"


@pytest.mark.parametrize("method, tail, body", WRITES)
def test_viewer_reads_but_cannot_write(client, login_as, make_customer, method, tail, body):
    viewer = login_as("viewer")
    c = make_customer(viewer.business)
    r = getattr(client, method)(base(c) + tail, json=body)
    assert r.status_code == 403 and r.get_json() == {"error": "forbidden", "code": "forbidden"}
    assert client.get(base(c) + tail).get_json() == []


@pytest.mark.parametrize("role", ["staff", "admin"])
@pytest.mark.parametrize("method, tail, body", WRITES)
def test_staff_and_business_admin_write(client, make_business, make_user, make_customer, role, method, tail, body):
    business = make_business()
    login(client, make_user(role, business).email)
    c = make_customer(business)
    r = getattr(client, method)(base(c) + tail, json=body)
    assert r.status_code == 201, r.get_json()
    assert len(client.get(base(c) + tail).get_json()) == 1


def test_viewer_cannot_edit_delete_or_issue(client, make_business, make_user, make_customer):
    business = make_business()
    c = make_customer(business)
    login(client, make_user("staff", business).email)
    task = client.post(base(c) + "/tasks", json={"title": "משימה"}).get_json()
    invoice = client.post(base(c) + "/invoices", json={"amount": 100}).get_json()
    client.post("/api/auth/logout")
    login(client, make_user("viewer", business).email)
    assert client.patch(base(c) + f"/tasks/{task['id']}", json={"title": "x"}).status_code == 403
    assert client.delete(base(c) + f"/tasks/{task['id']}").status_code == 403
    assert client.post(base(c) + f"/invoices/{invoice['id']}/issue", json={}).status_code == 403
    assert client.get(base(c) + f"/tasks/{task['id']}").get_json()["title"] == "משימה"


def test_anonymous_is_401(client, make_business, make_customer):
    c = make_customer(make_business())
    assert client.get(base(c) + "/tasks").status_code == 401
    assert client.post(base(c) + "/tasks", json={"title": "x"}).status_code == 401


@pytest.mark.parametrize("tail", ["/tasks", "/contracts", "/invoices"])
def test_another_business_records_are_404(client, login_as, make_business, make_customer, tail):
    login_as("staff")
    other = make_customer(make_business())
    assert client.get(base(other) + tail).status_code == 404
    r = client.post(base(other) + tail, json={"amount": 1} if tail == "/invoices" else {"title": "x"})
    assert r.status_code == 404 and r.get_json() == {"error": "customer not found", "code": "customer_not_found"}
    assert client.get(base(other) + tail).status_code == 404


def test_record_of_another_customer_is_404_under_the_wrong_path(client, db, staff_customer, make_customer):
    from server.models import Business
    other = make_customer(db.session.get(Business, staff_customer.business_id), name="רון", phone="+972521110000")
    task = client.post(base(other) + "/tasks", json={"title": "משימה"}).get_json()
    r = client.get(base(staff_customer) + f"/tasks/{task['id']}")
    assert r.status_code == 404 and r.get_json() == {"error": "task not found", "code": "task_not_found"}
    assert client.delete(base(staff_customer) + f"/tasks/{task['id']}").status_code == 404


def test_task_lifecycle(client, staff_customer):
    c = staff_customer
    r = client.post(base(c) + "/tasks", json={"title": "  לחזור ללקוחה  ", "due_at": "2026-12-01T09:00:00+02:00"})
    task = r.get_json()
    assert r.status_code == 201 and task["title"] == "לחזור ללקוחה"
    assert task["due_at"] == "2026-12-01T07:00:00+00:00" and task["status"] == "open"
    done = client.patch(base(c) + f"/tasks/{task['id']}", json={"status": "done"}).get_json()
    assert done["status"] == "done" and done["completed_at"] and done["due_at"] == task["due_at"]
    undated = client.put(base(c) + f"/tasks/{task['id']}", json={"due_at": None, "status": "open"}).get_json()
    assert undated["due_at"] is None and undated["completed_at"] is None
    assert client.get(f"/api/customers/{c.id}/timeline").get_json()[0]["at"] is None
    assert client.delete(base(c) + f"/tasks/{task['id']}").get_json() == {"ok": True}
    assert client.get(base(c) + "/tasks").get_json() == []


@pytest.mark.parametrize("body, field", [
    ({}, "title"),
    ({"title": "   "}, "title"),
    ({"title": "x", "due_at": "2026-12-01T09:00:00"}, "due_at"),
    ({"title": "x", "due_at": "מחר"}, "due_at"),
    ({"title": "x", "status": "maybe"}, "status"),
    ({"title": "x", "business_id": 2}, "business_id"),
])
def test_task_validation(client, staff_customer, body, field):
    r = client.post(base(staff_customer) + "/tasks", json=body)
    assert r.status_code == 422 and field in r.get_json()["fields"], r.get_json()
    assert client.get(base(staff_customer) + "/tasks").get_json() == []


def test_task_update_refuses_null_title(client, staff_customer):
    task = client.post(base(staff_customer) + "/tasks", json={"title": "א"}).get_json()
    r = client.patch(base(staff_customer) + f"/tasks/{task['id']}", json={"title": None})
    assert r.status_code == 422 and "title" in r.get_json()["fields"]


def test_contract_signing_puts_it_on_the_timeline(client, staff_customer):
    c = staff_customer
    draft = client.post(base(c) + "/contracts", json={"title": "הסכם שירות", "amount": "3600"}).get_json()
    assert draft["amount_agorot"] == 360_000 and draft["signed_at"] is None
    signed = client.patch(base(c) + f"/contracts/{draft['id']}",
                          json={"status": "signed", "signed_at": "2026-11-01T12:00:00+02:00"}).get_json()
    assert signed["signed_at"] == "2026-11-01T10:00:00+00:00"
    item = client.get(f"/api/customers/{c.id}/timeline").get_json()[0]
    assert item["type"] == "contract" and item["at"] == signed["signed_at"]
    assert item["data"]["display"]["amount"] == "₪3,600.00"


def test_contract_bad_update_changes_nothing(client, staff_customer):
    c = staff_customer
    draft = client.post(base(c) + "/contracts", json={"title": "הסכם"}).get_json()
    r = client.patch(base(c) + f"/contracts/{draft['id']}",
                     json={"title": "שם חדש", "signed_at": "2026-11-01T12:00:00+02:00"})
    assert r.status_code == 422 and "signed_at" in r.get_json()["fields"]
    r = client.patch(base(c) + f"/contracts/{draft['id']}", json={"starts_at": "2027-01-01T00:00:00+02:00",
                                                                     "ends_at": "2026-01-01T00:00:00+02:00"})
    assert r.status_code == 422 and "ends_at" in r.get_json()["fields"]
    assert client.get(base(c) + f"/contracts/{draft['id']}").get_json() == draft


def test_signed_without_date_is_signed_now(client, staff_customer):
    contract = client.post(base(staff_customer) + "/contracts", json={"title": "הסכם", "status": "signed"}).get_json()
    assert contract["signed_at"] is not None


def test_changes_are_audited_and_refusals_are_not(client, db, staff_customer):
    from sqlalchemy import select

    from server.models import AuditEntry
    c = staff_customer
    task = client.post(base(c) + "/tasks", json={"title": "להתקשר", "due_at": "2026-12-01T09:00:00+02:00"}).get_json()
    client.patch(base(c) + f"/tasks/{task['id']}", json={"status": "done"})
    client.delete(base(c) + f"/tasks/{task['id']}")
    invoice = client.post(base(c) + "/invoices", json={"amount": 30_000, "is_b2b": True,
                                                        "customer_tax_id": "516179157"}).get_json()
    assert client.post(base(c) + f"/invoices/{invoice['id']}/issue", json={}).status_code == 422
    client.post(base(c) + f"/invoices/{invoice['id']}/issue", json={"allocation_number": "987654321"})
    entries = [(e.action, e.entity_type, e.entity_id, e.details, e.actor_role, e.business_id)
               for e in db.session.scalars(select(AuditEntry).where(AuditEntry.action != "login").order_by(AuditEntry.id))]
    assert entries == [
        ("create", "task", task["id"], {"fields": ["description", "due_at", "status", "title"]}, "staff", c.business_id),
        ("update", "task", task["id"], {"fields": ["status"]}, "staff", c.business_id),
        ("delete", "task", task["id"], {}, "staff", c.business_id),
        ("create", "invoice", invoice["id"], {"fields": ["amount_agorot", "customer_tax_id", "is_b2b"]}, "staff",
         c.business_id),
        ("update", "invoice", invoice["id"], {"event": "issue", "number": 1}, "staff", c.business_id),
    ]


def test_changes_reach_the_business_room_after_commit(client, staff_customer, monkeypatch):
    from server.extensions import socketio
    sent = []
    monkeypatch.setattr(socketio, "emit", lambda event, payload, to=None, **kw: sent.append((to, event, payload)))
    c = staff_customer
    task = client.post(base(c) + "/tasks", json={"title": "להתקשר"}).get_json()
    client.delete(base(c) + f"/tasks/{task['id']}")
    client.post(base(c) + "/tasks", json={"title": ""})  # refused: nothing announced
    room = f"business:{c.business_id}"
    assert [(to, e, p["action"], p["id"], p["customer_id"]) for to, e, p in sent if to == room] == [
        (room, "timeline.changed", "create", task["id"], c.id),
        (room, "timeline.changed", "delete", task["id"], c.id),
    ]


def test_ids_beyond_the_column_range_are_plain_404s(client, staff_customer):
    huge = 2**40
    assert client.get(f"/api/customers/{huge}/timeline").status_code == 404
    assert client.get(f"/api/customers/{huge}/tasks").get_json() == {"error": "customer not found", "code": "customer_not_found"}
    for tail in ("tasks", "contracts", "invoices"):
        r = client.get(base(staff_customer) + f"/{tail}/{huge}")
        assert r.status_code == 404 and r.is_json


def test_a_contract_deleted_by_another_request_mid_update_is_404_not_500(client, login_as, make_customer, db,
                                                                          monkeypatch):
    """Two staff members at once: one saves a contract as the other deletes it. The save's
    commit lands, the delete follows, and reading the saved contract back finds nothing."""
    from sqlalchemy import text

    from server.routes import records as routes
    staff = login_as("staff")
    c = make_customer(staff.business, name="דנה כהן")
    contract_id = client.post(base(c) + "/contracts", json={"title": "הסכם שירות"}).get_json()["id"]
    real_update = routes.records_service.update_contract

    def update_then_lose_the_race(customer, kid, changes):
        contract = real_update(customer, kid, changes)
        with db.engine.begin() as other_request:
            other_request.execute(text("DELETE FROM contract WHERE id = :id"), {"id": kid})
        return contract

    monkeypatch.setattr(routes.records_service, "update_contract", update_then_lose_the_race)
    r = client.patch(base(c) + f"/contracts/{contract_id}", json={"title": "הסכם מעודכן"})
    assert (r.status_code, r.get_json()) == (404, {"error": "not found", "code": "not_found"})
    assert client.get(base(c) + "/contracts").get_json() == []
