"""Every audited action of the other features writes exactly one entry, in the same
transaction as the change; a refused change writes none. Details name fields, never values."""
import json

import pytest
from sqlalchemy import func, select

from server.models import AuditEntry


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
