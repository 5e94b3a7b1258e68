"""Every audited action of the other features writes exactly one entry, in the same
transaction as the change; a refused change writes none. Details name fields, never values."""
import json

import pytest
from sqlalchemy import func, select

from server.models import AuditEntry
from server.tests.whatsapp.conftest import (  # noqa: F401  (fixtures)
    dev_business, fake_twilio, inbound_from, twilio_business,
)


def _entries(db):
    return db.session.scalars(select(AuditEntry).where(AuditEntry.action.notin_(["login", "logout"]))
                              .order_by(AuditEntry.id)).all()


@pytest.fixture()
def staff_and_customer(login_as, make_customer):
    user = login_as("staff")
    return user, make_customer(user.business, name="מיכל אברהם", phone="+972509998877")


class Recorder:
    def __init__(self, db):
        self.db = db
        self.seen = len(_entries(db))

    def new(self):
        self.db.session.expire_all()
        rows = _entries(self.db)
        fresh, self.seen = rows[self.seen:], len(rows)
        return fresh


def _one(rec, action, entity_type, entity_id=None, user=None):
    fresh = rec.new()
    assert len(fresh) == 1, [(e.action, e.entity_type) for e in fresh]
    entry = fresh[0]
    assert (entry.action, entry.entity_type) == (action, entity_type)
    if entity_id is not None:
        assert entry.entity_id == entity_id
    if user is not None:
        assert (entry.actor_user_id, entry.actor_role, entry.business_id) == (user.id, user.role, user.business_id)
    assert entry.ip == "127.0.0.1"
    text = json.dumps(entry.details, ensure_ascii=False)
    for personal in ("מיכל", "אברהם", "509998877", "להתקשר", "חוזה", "הערה", "תיאור"):
        assert personal not in text, f"{personal!r} leaked into audit details {text}"
    return entry


def test_task_create_update_delete_are_audited_once_each(client, db, staff_and_customer):
    user, customer = staff_and_customer
    rec = Recorder(db)
    base = f"/api/customers/{customer.id}/tasks"
    r = client.post(base, json={"title": "להתקשר למיכל אברהם", "description": "תיאור פרטי"})
    assert r.status_code == 201, r.get_json()
    tid = r.get_json()["id"]
    entry = _one(rec, "create", "task", tid, user)
    assert entry.details["fields"] == ["description", "due_at", "status", "title"]
    assert client.patch(f"{base}/{tid}", json={"title": "להתקשר שוב", "status": "done"}).status_code == 200
    entry = _one(rec, "update", "task", tid, user)
    assert entry.details["fields"] == ["status", "title"]
    assert client.delete(f"{base}/{tid}").status_code in (200, 204)
    _one(rec, "delete", "task", tid, user)


def test_contract_create_update_delete_are_audited_once_each(client, db, staff_and_customer):
    user, customer = staff_and_customer
    rec = Recorder(db)
    base = f"/api/customers/{customer.id}/contracts"
    r = client.post(base, json={"title": "חוזה שירות למיכל", "notes": "הערה פרטית"})
    assert r.status_code == 201, r.get_json()
    kid = r.get_json()["id"]
    _one(rec, "create", "contract", kid, user)
    assert client.patch(f"{base}/{kid}", json={"status": "signed"}).status_code == 200
    assert "status" in _one(rec, "update", "contract", kid, user).details["fields"]
    assert client.delete(f"{base}/{kid}").status_code in (200, 204)
    _one(rec, "delete", "contract", kid, user)


def test_invoice_lifecycle_is_audited_once_per_action(client, db, staff_and_customer):
    user, customer = staff_and_customer
    rec = Recorder(db)
    base = f"/api/customers/{customer.id}/invoices"
    r = client.post(base, json={"amount": "100", "description": "תיאור טיפול"})
    assert r.status_code == 201, r.get_json()
    iid = r.get_json()["id"]
    _one(rec, "create", "invoice", iid, user)
    assert client.patch(f"{base}/{iid}", json={"amount": "150"}).status_code == 200
    assert "amount_agorot" in _one(rec, "update", "invoice", iid, user).details["fields"]
    r = client.post(f"{base}/{iid}/issue", json={})
    assert r.status_code == 200, r.get_json()
    assert _one(rec, "update", "invoice", iid, user).details["event"] == "issue"
    assert client.post(f"{base}/{iid}/pay", json={}).status_code == 200
    assert _one(rec, "update", "invoice", iid, user).details["event"] == "pay"
    r = client.post(f"{base}/{iid}/cancel", json={})
    assert r.status_code in (200, 201), r.get_json()
    # Cancelling changes two records: the credit invoice is created, the original cancelled.
    fresh = rec.new()
    assert [(e.action, e.entity_type, e.details.get("event")) for e in fresh] == [
        ("create", "invoice", "credit"), ("update", "invoice", "cancel")]
    assert fresh[1].entity_id == iid and fresh[1].details["credit_invoice_id"] == fresh[0].entity_id
    r = client.post(base, json={"amount": "10"})
    draft = r.get_json()["id"]
    rec.new()
    assert client.delete(f"{base}/{draft}").status_code in (200, 204)
    _one(rec, "delete", "invoice", draft, user)


def test_refused_changes_write_no_audit_entry(client, db, staff_and_customer):
    user, customer = staff_and_customer
    base = f"/api/customers/{customer.id}"
    r = client.post(f"{base}/contracts", json={"title": "חוזה", "status": "draft",
                                                "signed_at": "2026-01-01T10:00:00+02:00"})
    assert r.status_code == 422  # refused by the service after the row was built
    r = client.post(f"{base}/invoices", json={"amount": "100"})
    iid = r.get_json()["id"]
    client.post(f"{base}/invoices/{iid}/issue", json={})
    count = db.session.scalar(select(func.count()).select_from(AuditEntry))
    assert client.patch(f"{base}/invoices/{iid}", json={"amount": "1"}).status_code == 409
    assert client.delete(f"{base}/invoices/{iid}").status_code == 409
    assert client.post(f"{base}/invoices/{iid}/issue", json={}).status_code == 409
    assert client.delete(f"{base}/tasks/999999").status_code == 404
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)) == count
    actions = [(e.action, e.entity_type) for e in _entries(db)]
    assert ("create", "contract") not in actions


def test_a_change_and_its_entry_roll_back_together(client, db, staff_and_customer, monkeypatch):
    from server.services import records
    user, customer = staff_and_customer

    real_commit = db.session.commit

    def failing_commit():
        raise RuntimeError("database went away")
    monkeypatch.setattr(db.session, "commit", failing_commit)
    r = client.post(f"/api/customers/{customer.id}/tasks", json={"title": "משימה"})
    assert r.status_code == 500
    monkeypatch.setattr(db.session, "commit", real_commit)
    db.session.rollback()
    from server.models import Task
    assert db.session.scalar(select(func.count()).select_from(Task)) == 0
    assert _entries(db) == []


# ---- customers, businesses, users ---------------------------------------------------------

def test_customer_create_update_delete_are_audited_once_each(client, db, login_as):
    user = login_as("staff")
    rec = Recorder(db)
    r = client.post("/api/crm/customers", json={"name": "מיכל אברהם", "phone": "050-999-8877",
                                                "notes": "הערה על הלקוחה"})
    assert r.status_code == 201, r.get_json()
    cid = r.get_json()["id"]
    assert _one(rec, "create", "customer", cid, user).details["fields"] == ["name", "notes", "phone"]
    assert client.put(f"/api/crm/customers/{cid}", json={"email": "michal@example.co.il"}).status_code == 200
    assert _one(rec, "update", "customer", cid, user).details["fields"] == ["email"]
    assert client.delete(f"/api/crm/customers/{cid}").status_code == 200
    _one(rec, "delete", "customer", cid, user)


def test_refused_customer_changes_write_no_audit_entry(client, db, login_as, make_customer, make_user):
    user = login_as("staff")
    taken = make_customer(user.business, name="מיכל אברהם", phone="+972509998877")
    other = make_customer(user.business, name="דני לוי", phone="+972501112233")
    assert client.post(f"/api/customers/{other.id}/tasks", json={"title": "להתקשר"}).status_code == 201  # history
    rec = Recorder(db)
    assert client.post("/api/crm/customers", json={"name": "מיכל", "phone": "0509998877"}).status_code == 409
    assert client.post("/api/crm/customers", json={"name": "מיכל", "email": "לא מייל"}).status_code == 422
    assert client.put(f"/api/crm/customers/{other.id}", json={"phone": "050-999-8877"}).status_code == 409
    assert client.put(f"/api/crm/customers/{taken.id}", json={"email": "x@"}).status_code == 422
    assert client.delete(f"/api/crm/customers/{other.id}").status_code == 409
    assert client.delete("/api/crm/customers/999999").status_code == 404
    viewer = make_user("viewer", business=user.business)
    from server.tests.conftest import login
    login(client, viewer.email)
    assert client.post("/api/crm/customers", json={"name": "מיכל אברהם"}).status_code == 403
    assert client.delete(f"/api/crm/customers/{taken.id}").status_code == 403
    assert rec.new() == []


def test_business_deactivate_reactivate_delete_are_audited_once_each(client, db, login_as, make_business):
    business = make_business("מספרת הדס")
    admin = login_as("admin")  # the platform admin
    rec = Recorder(db)
    for action in ("deactivate", "reactivate"):
        assert client.post(f"/api/businesses/{business.id}/{action}").status_code == 200
        entry = _one(rec, action, "business", business.id)
        assert (entry.actor_user_id, entry.actor_role, entry.business_id) == (admin.id, "admin", business.id)
    assert client.delete(f"/api/businesses/{business.id}").status_code == 200
    entry = _one(rec, "delete", "business", business.id)
    assert entry.details == {"soft": True} and entry.actor_user_id == admin.id


def test_refused_business_changes_write_no_audit_entry(client, db, login_as, make_business):
    business = make_business("מספרת הדס")
    login_as("admin", business=business)  # the business's own admin is not the platform admin
    rec = Recorder(db)
    assert client.post(f"/api/businesses/{business.id}/deactivate").status_code == 403
    assert client.post(f"/api/businesses/{business.id}/reactivate").status_code == 403
    assert client.delete(f"/api/businesses/{business.id}").status_code == 403
    login_as("admin")
    assert client.post("/api/businesses/999999/deactivate").status_code == 404
    assert client.delete("/api/businesses/999999").status_code == 404
    assert rec.new() == []
    db.session.refresh(business)
    assert business.active and business.deleted_at is None


def test_role_change_writes_exactly_one_entry_and_a_refused_one_none(client, db, login_as, make_user):
    admin = login_as("admin", platform=False)  # a business admin
    staff = make_user("staff", business=admin.business)
    rec = Recorder(db)
    assert client.put(f"/api/users/{staff.id}", json={"role": "viewer"}).status_code == 200
    entry = _one(rec, "role_change", "user", staff.id, admin)
    assert entry.details == {"from": {"role": "staff", "business_id": admin.business_id},
                             "to": {"role": "viewer", "business_id": admin.business_id}}
    assert client.put(f"/api/users/{staff.id}", json={"role": "viewer"}).status_code == 200  # no change
    assert client.put(f"/api/users/{staff.id}", json={"role": "owner"}).status_code == 422
    assert client.put(f"/api/users/{admin.id}", json={"role": "staff"}).status_code == 409
    assert rec.new() == []
    login_as("staff", business=admin.business)
    assert client.put(f"/api/users/{staff.id}", json={"role": "admin"}).status_code == 403
    assert rec.new() == []


# ---- WhatsApp ---------------------------------------------------------------------------

TEMPLATE = {"name": "appointment_reminder", "language": "he", "body": "שלום {{1}}, מזכירים את התור שלך ב-{{2}}"}


def test_whatsapp_send_is_audited_once_without_body_or_number(client, db, login_as, dev_business, inbound_from):
    from server.models import WhatsAppTemplate
    user = login_as("staff", business=dev_business)
    inbound_from(dev_business, phone="+972509998877")
    db.session.add(WhatsAppTemplate(business_id=dev_business.id, **TEMPLATE))
    db.session.commit()
    rec = Recorder(db)
    r = client.post("/api/whatsapp/send", json={"to": "050-999-8877", "text": "מיכל, הערה: התור שלך מחר"})
    assert r.status_code == 200, r.get_json()
    entry = _one(rec, "create", "whatsapp_message", r.get_json()["id"], user)
    assert entry.details == {"provider": "dev", "kind": "text", "template": None, "customer_id": None}
    r = client.post("/api/whatsapp/send", json={"to": "050-999-8877", "template": "appointment_reminder",
                                                "variables": {"1": "מיכל אברהם", "2": "10:30"}})
    assert r.status_code == 200, r.get_json()
    entry = _one(rec, "create", "whatsapp_message", r.get_json()["id"], user)
    assert entry.details["kind"] == "template" and entry.details["template"] == "appointment_reminder"
    assert "10:30" not in json.dumps(entry.details)


def test_refused_whatsapp_sends_write_no_audit_entry(client, db, login_as, twilio_business, make_user):
    login_as("staff", business=twilio_business)
    rec = Recorder(db)
    r = client.post("/api/whatsapp/send", json={"to": "050-999-8877", "text": "מיכל, שלום"})
    assert r.status_code == 409 and r.get_json() == {"error": "outside 24h window", "code": "outside_24h_window"}
    assert client.post("/api/whatsapp/send", json={"to": "050-999-8877", "template": "no_such"}).status_code == 422
    assert client.post("/api/whatsapp/send", json={"to": "12", "text": "שלום"}).status_code == 422
    from server.tests.conftest import login
    login(client, make_user("viewer", business=twilio_business).email)
    assert client.post("/api/whatsapp/send", json={"to": "050-999-8877", "text": "שלום"}).status_code == 403
    assert rec.new() == []
    from server.models import WhatsAppMsg
    assert db.session.scalar(select(func.count()).select_from(WhatsAppMsg)) == 0


def test_whatsapp_template_create_update_delete_are_audited_once_each(client, db, login_as, dev_business):
    user = login_as("admin", business=dev_business)
    rec = Recorder(db)
    r = client.post("/api/whatsapp/templates", json=TEMPLATE)
    assert r.status_code == 201, r.get_json()
    tid = r.get_json()["id"]
    entry = _one(rec, "create", "whatsapp_template", tid, user)
    assert entry.details == {"name": "appointment_reminder", "fields": ["body", "language", "name"]}
    r = client.put(f"/api/whatsapp/templates/{tid}", json={"body": "היי {{1}}, נתראה ב-{{2}}",
                                                           "meta_template_name": "appointment_reminder"})
    assert r.status_code == 200, r.get_json()
    entry = _one(rec, "update", "whatsapp_template", tid, user)
    assert entry.details["fields"] == ["body", "meta_template_name"]
    assert client.delete(f"/api/whatsapp/templates/{tid}").status_code == 200
    _one(rec, "delete", "whatsapp_template", tid, user)


def test_refused_whatsapp_template_changes_write_no_audit_entry(client, db, login_as, dev_business, make_user):
    login_as("admin", business=dev_business)
    tid = client.post("/api/whatsapp/templates", json=TEMPLATE).get_json()["id"]
    other = client.post("/api/whatsapp/templates", json={**TEMPLATE, "name": "order_ready"}).get_json()["id"]
    rec = Recorder(db)
    assert client.post("/api/whatsapp/templates", json=TEMPLATE).status_code == 409
    assert client.put(f"/api/whatsapp/templates/{other}", json={"name": "appointment_reminder"}).status_code == 409
    assert client.post("/api/whatsapp/templates", json={**TEMPLATE, "name": "תזכורת"}).status_code == 422
    assert client.delete("/api/whatsapp/templates/999999").status_code == 404
    from server.tests.conftest import login
    login(client, make_user("staff", business=dev_business).email)
    assert client.delete(f"/api/whatsapp/templates/{tid}").status_code == 403
    assert rec.new() == []
