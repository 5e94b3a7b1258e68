"""GET|PUT /api/automations: viewers read, the business admin writes (audited), a platform
admin names the business, texts are validated, businesses never see each other's."""
from __future__ import annotations

from sqlalchemy import select

from server.models import AuditEntry
from server.schemas.automations import AWAY_TEXT


def test_defaults_are_off_with_the_shipped_texts(client, business, login_as):
    login_as("viewer", business=business)
    data = client.get("/api/automations").get_json()
    assert data["settings"]["missed_call"]["enabled"] is False
    assert data["settings"]["away_message"] == {"enabled": False, "text": AWAY_TEXT}
    assert data["missed_call_template"]["exists"] is False
    assert data["recent"] == []


def test_admin_switches_on_and_edits_a_text_audited(client, db, business, login_as):
    login_as("admin", business=business)
    r = client.put("/api/automations", json={"missed_call": {"enabled": True, "text": "ראינו שהתקשרת, נחזור אליך"}})
    assert r.status_code == 200, r.get_json()
    data = r.get_json()
    assert data["settings"]["missed_call"] == {"enabled": True, "text": "ראינו שהתקשרת, נחזור אליך"}
    assert data["settings"]["away_message"]["enabled"] is False
    assert data["missed_call_template"]["exists"] is True  # seeded when switched on
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.entity_type == "automation_settings"))
    assert entry.details["fields"] == ["missed_call.enabled", "missed_call.text"]
    # Only what is sent changes.
    r = client.put("/api/automations", json={"away_message": {"enabled": True}})
    assert r.get_json()["settings"]["missed_call"]["text"] == "ראינו שהתקשרת, נחזור אליך"


def test_invalid_texts_and_keys_are_refused(client, business, login_as):
    login_as("admin", business=business)
    r = client.put("/api/automations", json={"away_message": {"text": ""}})
    assert r.status_code == 422
    assert r.get_json()["field_codes"]["away_message.text"]["code"] == "too_short"
    r = client.put("/api/automations", json={"away_message": {"text": "א" * 1001}})
    assert r.get_json()["field_codes"]["away_message.text"]["code"] == "too_long"
    r = client.put("/api/automations", json={"birthday": {"enabled": True}})
    assert r.status_code == 422


def test_viewer_and_staff_cannot_write(client, business, login_as):
    login_as("viewer", business=business)
    assert client.put("/api/automations", json={"away_message": {"enabled": True}}).status_code == 403


def test_platform_admin_names_the_business(client, business, make_business, login_as):
    other = make_business("עסק אחר")
    login_as("admin")
    assert client.get("/api/automations").status_code == 422
    r = client.put(f"/api/automations?business_id={other.id}", json={"away_message": {"enabled": True}})
    assert r.status_code == 200 and r.get_json()["business_id"] == other.id
    assert client.get(f"/api/automations?business_id={business.id}").get_json()["settings"]["away_message"][
        "enabled"] is False


def test_a_business_admin_cannot_reach_another_business(client, business, make_business, login_as):
    other = make_business("עסק אחר")
    login_as("admin", business=business)
    assert client.get(f"/api/automations?business_id={other.id}").status_code == 404
    assert client.put(f"/api/automations?business_id={other.id}", json={"away_message": {"enabled": True}}
                      ).status_code == 404
