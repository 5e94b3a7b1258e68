from datetime import datetime, timedelta, timezone
from urllib.parse import quote

import pytest
from sqlalchemy import func, select

from server.models import AuditEntry
from server.services import audit
from server.tests.conftest import TEST_PASSWORD, create_app, login, make_test_config


def entries(db, **filters):
    query = select(AuditEntry).order_by(AuditEntry.id)
    for key, value in filters.items():
        query = query.where(getattr(AuditEntry, key) == value)
    return db.session.scalars(query).all()


def test_login_logout_and_failed_login_are_audited_without_the_password(client, db, make_user, make_business):
    business = make_business()
    user = make_user(role="staff", business=business)

    r = client.post("/api/auth/login", json={"email": user.email, "password": "סיסמה-שגויה-12"},
                    environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert r.status_code == 401
    r = client.post("/api/auth/login", json={"email": "Nobody@Test.Local", "password": "another-wrong-1"})
    assert r.status_code == 401
    login(client, user.email)
    assert client.post("/api/auth/logout").status_code == 200

    rows = entries(db)
    assert [e.action for e in rows] == ["login_failed", "login_failed", "login", "logout"]
    wrong, unknown, ok, out = rows
    assert wrong.details == {"email": user.email, "reason": "wrong password"}
    assert wrong.business_id == business.id and wrong.entity_id == user.id and wrong.actor_user_id is None
    assert wrong.ip == "10.1.2.3"
    assert unknown.details == {"email": "nobody@test.local", "reason": "unknown email"}
    assert unknown.business_id is None
    assert (ok.actor_user_id, ok.actor_email, ok.actor_role, ok.business_id) == (user.id, user.email, "staff", business.id)
    assert ok.ip == "127.0.0.1"
    assert out.actor_user_id == user.id and out.entity_id == user.id
    dump = " ".join(str(e.to_dict()) for e in rows)
    assert "סיסמה-שגויה-12" not in dump and "another-wrong-1" not in dump and TEST_PASSWORD not in dump


def test_inactive_business_login_is_audited_as_failed(client, db, make_user, make_business):
    business = make_business(active=False)
    user = make_user(role="admin", business=business)
    r = client.post("/api/auth/login", json={"email": user.email, "password": TEST_PASSWORD})
    assert r.status_code == 403
    [entry] = entries(db)
    assert entry.action == "login_failed" and entry.details["reason"] == "business inactive"


def test_logout_without_session_writes_nothing(client, db):
    assert client.post("/api/auth/logout").status_code == 200
    assert entries(db) == []


def test_client_ip_comes_from_x_forwarded_for_behind_a_trusted_proxy(app, db, make_user):
    proxied = create_app(make_test_config(TRUSTED_PROXIES=1))
    user = make_user(role="admin")
    with proxied.test_client() as c:
        r = c.post("/api/auth/login", json={"email": user.email, "password": TEST_PASSWORD},
                   headers={"X-Forwarded-For": "203.0.113.7"})
        assert r.status_code == 200
    db.session.expire_all()
    [entry] = entries(db)
    assert entry.ip == "203.0.113.7"


def test_record_commits_with_the_change_and_rolls_back_with_it(db, make_business):
    business = make_business()
    business.name = "שם חדש"
    audit.record("update", "business", business.id, business_id=business.id, details={"fields": ["name"]})
    db.session.rollback()
    assert entries(db) == []
    business.name = "שם חדש"
    audit.record("update", "business", business.id, business_id=business.id, details={"fields": ["name"]})
    db.session.commit()
    [entry] = entries(db)
    assert entry.actor_role == "system" and entry.details == {"fields": ["name"]}


def test_record_refuses_unknown_actions_and_non_json_details(db):
    with pytest.raises(ValueError):
        audit.record("hack")
    with pytest.raises(TypeError):
        audit.record("update", details={"when": object()})


def test_audit_entries_are_append_only_in_the_orm(db, make_business):
    business = make_business()
    with audit.acting_as(None, ip="127.0.0.9"):
        entry = audit.record("create", "business", business.id, business_id=business.id)
    db.session.commit()
    assert entry.ip == "127.0.0.9"
    entry.action = "delete"
    with pytest.raises(RuntimeError, match="append-only"):
        db.session.commit()
    db.session.rollback()
    db.session.delete(db.session.get(AuditEntry, entry.id))
    with pytest.raises(RuntimeError, match="append-only"):
        db.session.commit()
    db.session.rollback()
    assert db.session.get(AuditEntry, entry.id).action == "create"


def test_changed_fields_names_fields_not_values():
    assert audit.changed_fields({"name": "דנה", "phone": "+972501234567", "email": None},
                                {"name": "דנה כהן", "phone": "+972501234567", "notes": "x"}) == ["name", "notes"]


# ---- GET /api/audit -----------------------------------------------------------------------

def _seed(db, business, other):
    now = datetime.now(timezone.utc)
    rows = [
        AuditEntry(business_id=business.id, actor_user_id=11, actor_email="a@b.co.il", actor_role="admin",
                   action="create", entity_type="customer", entity_id=5, details={}, created_at=now - timedelta(days=3)),
        AuditEntry(business_id=business.id, actor_user_id=12, actor_email="s@b.co.il", actor_role="staff",
                   action="update", entity_type="customer", entity_id=5, details={"fields": ["name"]},
                   created_at=now - timedelta(days=1)),
        AuditEntry(business_id=business.id, actor_user_id=12, actor_email="s@b.co.il", actor_role="staff",
                   action="delete", entity_type="task", entity_id=9, details={}, created_at=now),
        AuditEntry(business_id=other.id, actor_user_id=21, actor_email="x@other.co.il", actor_role="admin",
                   action="create", entity_type="customer", entity_id=6, details={}, created_at=now),
    ]
    db.session.add_all(rows)
    db.session.commit()
    return rows


def test_business_admin_sees_only_own_business(client, db, make_business, login_as):
    business, other = make_business(), make_business()
    _seed(db, business, other)
    admin = login_as("admin", business=business)
    body = client.get("/api/audit").get_json()
    # Their own login is in their business's log too.
    assert {i["business_id"] for i in body["items"]} == {business.id}
    assert body["total"] == 4
    assert [i["action"] for i in body["items"]][:3] == ["login", "delete", "update"]
    assert body["items"][0]["actor"] == {"id": admin.id, "email": admin.email, "role": "admin"}
    # Asking for another business answers 404, like a missing one.
    assert client.get(f"/api/audit?business_id={other.id}").status_code == 404


def test_platform_admin_sees_every_business_and_can_filter_one(client, db, make_business, login_as):
    business, other = make_business(), make_business()
    _seed(db, business, other)
    login_as("admin")
    body = client.get("/api/audit").get_json()
    assert body["total"] == 5  # 4 seeded + the platform admin's login
    body = client.get(f"/api/audit?business_id={other.id}").get_json()
    assert [i["actor"]["email"] for i in body["items"]] == ["x@other.co.il"]


@pytest.mark.parametrize("role", ["staff", "viewer"])
def test_staff_and_viewer_cannot_read_the_audit_log(client, login_as, role):
    login_as(role)
    r = client.get("/api/audit")
    assert r.status_code == 403 and r.get_json() == {"error": "forbidden", "code": "forbidden"}


def test_audit_log_needs_login(client):
    assert client.get("/api/audit").status_code == 401


def test_audit_filters_and_paging(client, db, make_business, login_as):
    business, other = make_business(), make_business()
    _seed(db, business, other)
    login_as("admin", business=business)

    def get(qs):
        r = client.get("/api/audit?" + qs)
        assert r.status_code == 200, r.get_json()
        return r.get_json()

    assert [i["action"] for i in get("action=update,delete")["items"]] == ["delete", "update"]
    assert [i["entity_id"] for i in get("entity_type=customer&entity_id=5")["items"]] == [5, 5]
    assert {i["actor"]["id"] for i in get("actor_user_id=12")["items"]} == {12}
    assert get("actor_email=S@B.CO.IL")["total"] == 2
    two_days_ago = quote((datetime.now(timezone.utc) - timedelta(days=2)).isoformat())
    assert [i["action"] for i in get(f"since={two_days_ago}&action=create,update,delete")["items"]] == ["delete", "update"]
    day_before = (datetime.now(timezone.utc) - timedelta(days=3)).date().isoformat()
    assert [i["action"] for i in get(f"since={day_before}&until={day_before}")["items"]] == ["create"]
    page1 = get("limit=2&page=1")
    page2 = get("limit=2&page=2")
    assert page1["total"] == page2["total"] == 4
    assert len(page1["items"]) == 2 and len(page2["items"]) == 2
    assert not {i["id"] for i in page1["items"]} & {i["id"] for i in page2["items"]}


@pytest.mark.parametrize("qs", ["limit=0", "limit=101", "page=0", "action=hack", "since=yesterday",
                                "since=2026-02-02&until=2026-02-01"])
def test_bad_audit_queries_are_422(client, login_as, qs):
    login_as("admin")
    r = client.get("/api/audit?" + qs)
    assert r.status_code == 422
    assert r.get_json()["error"] == "validation"


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_no_route_writes_the_audit_log(client, db, make_business, login_as, method):
    business = make_business()
    _seed(db, business, make_business())
    login_as("admin")
    before = [e.to_dict() for e in entries(db)]
    r = getattr(client, method)("/api/audit", json={"action": "create", "business_id": business.id})
    assert r.status_code == 405 and r.get_json() == {"error": "method not allowed", "code": "method_not_allowed"}
    for entry in before:
        for path in (f"/api/audit/{entry['id']}", f"/api/audit/{entry['id']}/details", "/api/audit/bulk"):
            r = getattr(client, method)(path, json={"action": "delete"})
            assert r.status_code in (404, 405), (path, r.status_code)
            assert r.get_json()["error"] in ("not found", "method not allowed")
    db.session.expire_all()
    assert [e.to_dict() for e in entries(db)] == before


def test_no_write_route_exists_under_api_audit(app):
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/audit"):
            assert rule.methods - {"GET", "HEAD", "OPTIONS"} == set(), rule
