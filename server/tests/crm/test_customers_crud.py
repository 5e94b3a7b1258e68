"""Customers: create, read, update, delete with validation, and per-business isolation."""
from __future__ import annotations

from server.models import Customer, Task


def test_staff_creates_customer_phone_stored_e164(client, login_as, db):
    staff = login_as("staff")
    r = client.post("/api/crm/customers", json={"name": " דָּנָה כֹּהֵן ", "phone": "050-723-4567",
                                                "email": "Dana@Example.co.il", "notes": "מעדיפה וואטסאפ"})
    assert r.status_code == 201, r.get_json()
    body = r.get_json()
    assert body["name"] == "דָּנָה כֹּהֵן"
    assert body["phone"] == "+972507234567"
    assert body["email"] == "dana@example.co.il"
    assert body["business_id"] == staff.business_id and body["source"] == "manual"
    stored = db.session.get(Customer, body["id"])
    assert "דנה כהן" in stored.search_text and "0507234567" in stored.search_text


def test_invalid_fields_are_422_per_field_and_nothing_written(client, login_as, db):
    login_as("staff")
    r = client.post("/api/crm/customers", json={"name": "  ", "phone": "050-12", "email": "not-an-email"})
    assert r.status_code == 422
    body = r.get_json()
    assert body["error"] == "validation"
    assert body["fields"] == {"name": "name required", "phone": "invalid phone number", "email": "invalid email"}
    r = client.post("/api/crm/customers", json={"phone": "0507234567"})
    assert r.status_code == 422 and body["fields"]["name"] == "name required"
    r = client.post("/api/crm/customers", json={"name": ["list"]})
    assert r.status_code == 422
    assert db.session.query(Customer).count() == 0


def test_same_phone_in_same_business_is_409_in_any_format(client, login_as, make_business, make_customer, db):
    staff = login_as("staff")
    make_customer(staff.business, name="קיים", phone="+972507234567")
    for phone in ("050-723-4567", "+972 50 723 4567", "0507234567"):
        r = client.post("/api/crm/customers", json={"name": "כפיל", "phone": phone})
        assert (r.status_code, r.get_json()) == (409, {"error": "phone exists", "code": "phone_exists"}), phone
    # another business may have the same phone
    make_customer(make_business(), name="אחר", phone="+972523456789")
    assert client.post("/api/crm/customers", json={"name": "חדש", "phone": "052-345-6789"}).status_code == 201
    assert db.session.query(Customer).filter_by(business_id=staff.business_id).count() == 2


def test_get_update_delete_own_customer(client, login_as, make_customer, db):
    staff = login_as("staff")
    c = make_customer(staff.business, name="משה", phone="+972507234567")
    r = client.get(f"/api/crm/customers/{c.id}")
    assert r.status_code == 200 and r.get_json()["name"] == "משה"
    r = client.put(f"/api/crm/customers/{c.id}", json={"name": "משה רבינו", "email": "moshe@example.co.il"})
    assert r.status_code == 200
    assert r.get_json()["name"] == "משה רבינו" and r.get_json()["phone"] == "+972507234567"
    assert "moshe@example.co.il" in db.session.get(Customer, c.id).search_text
    r = client.put(f"/api/crm/customers/{c.id}", json={"phone": None})
    assert r.status_code == 200 and r.get_json()["phone"] is None
    r = client.put(f"/api/crm/customers/{c.id}", json={"name": ""})
    assert r.status_code == 422
    r = client.delete(f"/api/crm/customers/{c.id}")
    assert (r.status_code, r.get_json()) == (200, {"ok": True})
    assert client.get(f"/api/crm/customers/{c.id}").status_code == 404


def test_update_to_taken_phone_is_409(client, login_as, make_customer, db):
    staff = login_as("staff")
    make_customer(staff.business, name="א", phone="+972507234567")
    b = make_customer(staff.business, name="ב", phone="+972523456789")
    r = client.put(f"/api/crm/customers/{b.id}", json={"phone": "050-723-4567"})
    assert (r.status_code, r.get_json()) == (409, {"error": "phone exists", "code": "phone_exists"})
    db.session.expire_all()
    assert db.session.get(Customer, b.id).phone == "+972523456789"


def test_customer_with_history_is_not_deleted(client, login_as, make_customer, db):
    staff = login_as("staff")
    c = make_customer(staff.business, name="עם היסטוריה", phone="+972507234567")
    db.session.add(Task(business_id=staff.business_id, customer_id=c.id, title="להתקשר"))
    db.session.commit()
    r = client.delete(f"/api/crm/customers/{c.id}")
    assert r.status_code == 409 and "tasks 1" in r.get_json()["error"]
    assert db.session.get(Customer, c.id) is not None


def test_other_business_customer_is_404_on_every_route(client, login_as, make_business, make_customer, logout, db):
    other = make_customer(make_business("זר"), name="סוד של אחרים", phone="+972544123456")
    for role in ("staff", "viewer", "admin"):
        login_as(role, business=make_business(f"שלי {role}"))
        probes = (("get", None), ("put", {"name": "נחטף"}), ("delete", None))
        for method, payload in probes:
            r = getattr(client, method)(f"/api/crm/customers/{other.id}", json=payload)
            if role == "viewer" and method != "get":
                assert r.status_code == 403, (role, method)
                continue
            assert (r.status_code, r.get_json()) == (
                404, {"error": "customer not found", "code": "customer_not_found"}), (role, method)
            assert "סוד" not in r.get_data(as_text=True)
        listing = client.get("/api/crm/customers", query_string={"q": "סוד"}).get_json()
        assert listing["total"] == 0 and listing["items"] == []
        assert client.get("/api/crm/customers", query_string={"business_id": other.business_id}).status_code == 404
        assert "סוד" not in client.get("/api/crm/customers/export").get_data(as_text=True)
        logout()
    db.session.expire_all()
    assert db.session.get(Customer, other.id).name == "סוד של אחרים"


def test_staff_cannot_create_in_another_business(client, login_as, make_business, db):
    login_as("staff")
    other = make_business("זר")
    r = client.post("/api/crm/customers", json={"name": "פולש", "business_id": other.id})
    assert r.status_code == 404
    assert db.session.query(Customer).count() == 0


def test_platform_admin_picks_the_business(client, login_as, make_business, make_customer):
    a = make_business("א")
    b = make_business("ב")
    make_customer(a, name="של א", phone="+972507234567")
    make_customer(b, name="של ב", phone="+972523456789")
    login_as("admin")
    r = client.post("/api/crm/customers", json={"name": "בלי עסק"})
    assert r.status_code == 422 and "business_id" in r.get_json()["fields"]
    r = client.post("/api/crm/customers", json={"name": "חדש לב", "business_id": b.id})
    assert r.status_code == 201 and r.get_json()["business_id"] == b.id
    listing = client.get("/api/crm/customers", query_string={"business_id": a.id}).get_json()
    assert [c["name"] for c in listing["items"]] == ["של א"] and listing["total"] == 1
    everyone = client.get("/api/crm/customers").get_json()
    assert everyone["total"] == 3


def test_role_matrix_for_customer_routes(client, login_as, make_business, make_customer, logout, db):
    """viewer reads only; staff and admin read and write; logged out gets 401."""
    csv_body = "שם,טלפון\nרות,0523456789\n".encode()
    for role, can_write in (("viewer", False), ("staff", True), ("admin", True)):
        user = login_as(role, business=make_business(f"עסק {role}"))
        c = make_customer(user.business, name="לקוח", phone="+972507234567")
        assert client.get("/api/crm/customers").status_code == 200
        assert client.get(f"/api/crm/customers/{c.id}").status_code == 200
        assert client.get("/api/crm/customers/export").status_code == 200
        writes = (client.post("/api/crm/customers", json={"name": "חדש"}),
                  client.put(f"/api/crm/customers/{c.id}", json={"notes": "עודכן"}),
                  client.post("/api/crm/customers/import", data=csv_body, content_type="text/csv"),
                  client.delete(f"/api/crm/customers/{c.id}"))
        expected = [201, 200, 201, 200] if can_write else [403, 403, 403, 403]
        assert [w.status_code for w in writes] == expected, role
        logout()
    for method, url in (("get", "/api/crm/customers"), ("get", "/api/crm/customers/1"),
                        ("post", "/api/crm/customers"), ("put", "/api/crm/customers/1"),
                        ("delete", "/api/crm/customers/1"), ("get", "/api/crm/customers/export"),
                        ("post", "/api/crm/customers/import")):
        r = getattr(client, method)(url, json={} if method in ("post", "put") else None)
        assert (r.status_code, r.get_json()) == (401, {"error": "unauthorized", "code": "unauthorized"}), url


def test_the_seeds_example_phone_is_accepted_and_found_in_all_three_formats(client, login_as):
    login_as("staff")
    r = client.post("/api/crm/customers", json={"name": "יוֹסִי לֵוִי", "phone": "050-123-4567"})
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["phone"] == "+972501234567"
    for q in ("050-123-4567", "0501234567", "+972 50 123 4567"):
        found = client.get("/api/crm/customers", query_string={"q": q}).get_json()
        assert [c["name"] for c in found["items"]] == ["יוֹסִי לֵוִי"], q
