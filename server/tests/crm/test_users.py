"""/api/users: admins manage users; business admins only their own business's."""
from __future__ import annotations

from server.models import User
from server.tests.conftest import TEST_PASSWORD, login


def test_platform_admin_creates_lists_and_updates_users(client, login_as, make_business, db):
    b = make_business("סטודיו")
    login_as("admin")
    r = client.post("/api/users", json={"email": "Noa@Studio.co.il", "password": "long-enough-1", "role": "staff",
                                        "business_id": b.id, "name": "נועה"})
    assert r.status_code == 201, r.get_json()
    created = r.get_json()
    assert created["email"] == "noa@studio.co.il" and created["role"] == "staff" and created["business_id"] == b.id
    assert "password_hash" not in created and "password" not in created
    listed = client.get("/api/users", query_string={"business_id": b.id}).get_json()
    assert [u["id"] for u in listed] == [created["id"]]
    r = client.put(f"/api/users/{created['id']}", json={"role": "viewer", "name": "נועה לוי"})
    assert r.status_code == 200 and r.get_json()["role"] == "viewer" and r.get_json()["name"] == "נועה לוי"
    assert client.get(f"/api/users/{created['id']}").get_json()["role"] == "viewer"


def test_user_validation_errors_are_422_per_field_and_write_nothing(client, login_as, db):
    login_as("admin")
    before = db.session.query(User).count()
    r = client.post("/api/users", json={"email": "no-at-sign", "password": "short", "role": "boss"})
    assert r.status_code == 422
    assert set(r.get_json()["fields"]) == {"email", "password", "role"}
    r = client.post("/api/users", json={"email": "a@b.co.il", "password": "long-enough-1", "role": "staff"})
    assert r.status_code == 422 and "business_id" in r.get_json()["fields"]
    assert db.session.query(User).count() == before


def test_duplicate_email_is_409(client, login_as, make_business):
    b = make_business()
    admin = login_as("admin")
    r = client.post("/api/users", json={"email": admin.email.upper(), "password": "long-enough-1", "role": "staff",
                                        "business_id": b.id})
    assert (r.status_code, r.get_json()) == (409, {"error": "email exists", "code": "email_exists"})


def test_deactivated_user_cannot_log_in_and_session_ends(client, app, login_as, make_business, make_user, logout):
    b = make_business()
    staff = make_user("staff", business=b)
    other_client = app.test_client()
    login(other_client, staff.email)
    assert other_client.get("/api/crm/customers").status_code == 200
    login_as("admin")
    r = client.post(f"/api/users/{staff.id}/deactivate")
    assert r.status_code == 200 and r.get_json()["active"] is False
    assert other_client.get("/api/crm/customers").status_code == 401
    r = other_client.post("/api/auth/login", json={"email": staff.email, "password": TEST_PASSWORD})
    assert r.status_code == 401
    client.post(f"/api/users/{staff.id}/reactivate")
    login(other_client, staff.email)


def test_business_admin_manages_only_own_business_users(client, login_as, make_business, make_user, db):
    mine = make_business("שלי")
    other = make_business("אחר")
    outsider = make_user("staff", business=other)
    platform = make_user("admin")
    me = login_as("admin", business=mine)
    colleague = make_user("viewer", business=mine)
    listed = {u["id"] for u in client.get("/api/users").get_json()}
    assert listed == {me.id, colleague.id}
    # creating: always into my business, whatever business_id is sent
    r = client.post("/api/users", json={"email": "new@mine.co.il", "password": "long-enough-1", "role": "admin"})
    assert r.status_code == 201 and r.get_json()["business_id"] == mine.id
    r = client.post("/api/users", json={"email": "x@other.co.il", "password": "long-enough-1", "role": "staff",
                                        "business_id": other.id})
    assert r.status_code == 404
    for target in (outsider, platform):
        assert client.get(f"/api/users/{target.id}").status_code == 404
        assert client.put(f"/api/users/{target.id}", json={"role": "viewer"}).status_code == 404
        assert client.post(f"/api/users/{target.id}/deactivate").status_code == 404
    r = client.put(f"/api/users/{colleague.id}", json={"business_id": other.id})
    assert r.status_code == 404
    assert client.get("/api/users", query_string={"business_id": other.id}).status_code == 404
    db.session.expire_all()
    assert db.session.get(User, outsider.id).active and db.session.get(User, colleague.id).business_id == mine.id


def test_staff_and_viewer_cannot_manage_users(client, login_as, make_business, make_user, logout):
    b = make_business()
    target = make_user("viewer", business=b)
    for role in ("staff", "viewer"):
        login_as(role, business=b)
        for method, url, payload in (("get", "/api/users", None), ("get", f"/api/users/{target.id}", None),
                                     ("post", "/api/users", {"email": "z@z.co.il", "password": "long-enough-1",
                                                             "role": "admin"}),
                                     ("put", f"/api/users/{target.id}", {"role": "admin"}),
                                     ("post", f"/api/users/{target.id}/deactivate", None)):
            r = getattr(client, method)(url, json=payload)
            assert (r.status_code, r.get_json()) == (403, {"error": "forbidden", "code": "forbidden"}), (role, url)
        logout()
    assert client.get("/api/users").status_code == 401


def test_admin_cannot_lock_themselves_out(client, login_as, db):
    me = login_as("admin")
    r = client.post(f"/api/users/{me.id}/deactivate")
    assert r.status_code == 409
    r = client.put(f"/api/users/{me.id}", json={"role": "viewer"})
    assert r.status_code == 409
    db.session.expire_all()
    assert db.session.get(User, me.id).active and db.session.get(User, me.id).role == "admin"


def test_password_reset_lets_user_log_in_with_new_password(client, app, login_as, make_business, make_user):
    staff = make_user("staff", business=make_business())
    login_as("admin")
    assert client.put(f"/api/users/{staff.id}", json={"password": "short"}).status_code == 422
    assert client.put(f"/api/users/{staff.id}", json={"password": "brand-new-pass"}).status_code == 200
    other = app.test_client()
    assert other.post("/api/auth/login", json={"email": staff.email, "password": TEST_PASSWORD}).status_code == 401
    login(other, staff.email, "brand-new-pass")


def test_user_and_business_changes_are_audited_without_values(client, login_as, make_business, db):
    from server.models import AuditEntry
    b = make_business("מבוקר")
    login_as("admin")
    created = client.post("/api/users", json={"email": "aud@b.co.il", "password": "long-enough-1", "role": "staff",
                                              "business_id": b.id}).get_json()
    client.put(f"/api/users/{created['id']}", json={"role": "viewer"})
    client.post(f"/api/users/{created['id']}/deactivate")
    client.put(f"/api/businesses/{b.id}", json={"name": "מבוקר חדש", "settings": {"agent_name": "נועה"}})
    entries = {(e.action, e.entity_type): e for e in db.session.query(AuditEntry).all()}
    assert entries[("role_change", "user")].details["to"]["role"] == "viewer"
    assert ("deactivate", "user") in entries and ("create", "user") in entries
    update = entries[("update", "business")]
    assert update.details == {"fields": ["name", "settings.agent_name"]} and update.business_id == b.id
    assert "נועה" not in str([e.details for e in entries.values()])
