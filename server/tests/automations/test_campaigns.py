"""Campaigns: preview count, filters, opt-outs respected, rate-limited batches, a killed worker
loses nobody and messages nobody twice, per-recipient status follows the message, isolation."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from server import jobs
from server.models import CampaignRecipient, CustomerTag, WhatsAppMsg, WhatsAppTemplate
from server.models.base import utcnow
from server.services.automations import campaigns


@pytest.fixture()
def template(db, business):
    row = WhatsAppTemplate(business_id=business.id, name="promo", language="he", body="שלום! {{1}} השבוע בלבד")
    db.session.add(row)
    db.session.commit()
    return row


@pytest.fixture()
def customers(db, business, make_customer):
    made = [make_customer(business, name=f"לקוח {n}", phone=f"+9725455503{n:02d}") for n in range(6)]
    for c in made[:4]:
        db.session.add(CustomerTag(customer_id=c.id, tag="VIP", business_id=business.id))
    made[1].whatsapp_opted_out_at = utcnow()
    db.session.commit()
    return made


def _messages(db, business) -> list[WhatsAppMsg]:
    return list(db.session.scalars(select(WhatsAppMsg).where(WhatsAppMsg.business_id == business.id,
                                                             WhatsAppMsg.direction == "outbound")))


def test_preview_counts_the_filter_without_opted_out(client, business, customers, template, login_as):
    login_as("admin", business=business)
    r = client.post("/api/campaigns/preview", json={"filters": {"tag": "VIP"}})
    assert r.status_code == 200, r.get_json()
    assert r.get_json() == {"count": 3, "opted_out": 1}
    assert client.post("/api/campaigns/preview", json={}).get_json() == {"count": 5, "opted_out": 1}
    r = client.post("/api/campaigns/preview", json={"filters": {"upcoming_appointment": True}})
    assert r.get_json()["count"] == 0


def test_campaign_sends_once_to_each_and_never_to_the_opted_out(client, db, business, customers, template,
                                                                  login_as):
    login_as("admin", business=business)
    r = client.post("/api/campaigns", json={"name": "מבצע חורף", "template": "promo", "variables": {"1": "20% הנחה"},
                                            "filters": {"tag": "VIP"}})
    assert r.status_code == 201, r.get_json()
    campaign = r.get_json()
    sent = _messages(db, business)
    assert sorted(m.to_number for m in sent) == sorted(c.phone for c in customers[:4] if c is not customers[1])
    assert all(m.flags["automation"] == "campaign" and m.flags["campaign_id"] == campaign["id"] for m in sent)
    assert all(m.body == "שלום! 20% הנחה השבוע בלבד" for m in sent)
    detail = client.get(f"/api/campaigns/{campaign['id']}").get_json()
    assert detail["status"] == "sent"
    # The dev transport "sends" at once: each recipient's status is its message's.
    assert {r["status"] for r in detail["recipients"]} == {m.status for m in sent}
    assert detail["counts"]["total"] == 3
    login_as("viewer", business=business)
    assert [c["id"] for c in client.get("/api/campaigns").get_json()] == [campaign["id"]]


def test_customer_who_opts_out_after_the_list_is_made_is_skipped(db, business, customers, template, monkeypatch):
    from server.schemas.automations import CampaignFilter
    monkeypatch.setattr(jobs, "enqueue", lambda *a, **k: None)  # no worker yet
    campaign = campaigns.create_campaign(business.id, name="x", template="promo", variables={"1": "a"},
                                         filters=CampaignFilter(tag="VIP"), created_by=None)
    customers[0].whatsapp_opted_out_at = utcnow()
    db.session.commit()
    campaigns.send_batch(campaign.id)
    statuses = dict(db.session.execute(select(CampaignRecipient.customer_id, CampaignRecipient.status)).all())
    assert statuses[customers[0].id] == "skipped"
    assert customers[0].phone not in {m.to_number for m in _messages(db, business)}


def test_killed_worker_loses_nothing_and_sends_nobody_twice(db, business, make_customer, template, monkeypatch):
    from server.schemas.automations import CampaignFilter
    people = [make_customer(business, name=f"ל{n}", phone=f"+9725455504{n:02d}") for n in range(7)]
    monkeypatch.setattr(campaigns, "BATCH_SIZE", 3)
    monkeypatch.setattr(jobs, "enqueue", lambda *a, **k: None)  # every batch job is lost with the worker
    campaign = campaigns.create_campaign(business.id, name="x", template="promo", variables={"1": "a"},
                                         filters=CampaignFilter(), created_by=None)
    # A worker dies in the middle of its batch: after two messages were stored.
    real_queue = campaigns.whatsapp.queue_message
    calls = {"n": 0}

    def dying(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise SystemExit("worker killed")
        return real_queue(*args, **kwargs)

    monkeypatch.setattr(campaigns.whatsapp, "queue_message", dying)
    with pytest.raises(SystemExit):
        campaigns.send_batch(campaign.id)
    db.session.rollback()
    assert len(_messages(db, business)) == 2
    monkeypatch.setattr(campaigns.whatsapp, "queue_message", real_queue)
    # A second batch job that was already in the queue runs, and the sweep finds the stalled campaign.
    campaigns.send_batch(campaign.id)
    ran = []
    monkeypatch.setattr(jobs, "enqueue", lambda name, *args, **k: ran.append(args))
    assert campaigns.sweep(now=utcnow() + timedelta(seconds=campaigns.STALE_SECONDS + 1)) == 1
    for (campaign_id,) in ran:
        campaigns.send_batch(campaign_id)
    campaigns.send_batch(campaign.id)  # a duplicate batch changes nothing
    sent = _messages(db, business)
    assert sorted(m.to_number for m in sent) == sorted(p.phone for p in people)
    assert db.session.scalar(select(func.count(CampaignRecipient.id)).where(
        CampaignRecipient.status == "pending")) == 0
    assert campaigns.campaign_detail(business.id, campaign.id)["status"] == "sent"


def test_recipient_status_follows_the_whatsapp_status(db, business, customers, template, monkeypatch):
    from server.schemas.automations import CampaignFilter
    from server.services.whatsapp import advance_status
    campaign = campaigns.create_campaign(business.id, name="x", template="promo", variables={"1": "a"},
                                         filters=CampaignFilter(tag="VIP"), created_by=None)
    recipient = db.session.scalar(select(CampaignRecipient).where(CampaignRecipient.message_id.is_not(None)))
    advance_status(recipient.message_id, "read")
    advance_status(db.session.scalars(select(CampaignRecipient.message_id).where(
        CampaignRecipient.id != recipient.id)).first(), "failed", error_code="131026", error="undeliverable")
    db.session.commit()
    detail = campaigns.campaign_detail(business.id, campaign.id)
    by_id = {r["id"]: r for r in detail["recipients"]}
    assert by_id[recipient.id]["status"] == "read"
    assert detail["counts"]["read"] == 1 and detail["counts"]["failed"] == 1


def test_campaigns_are_isolated_between_businesses(client, db, business, customers, template, make_business,
                                                   make_customer, login_as):
    other = make_business("עסק שכן")
    make_customer(other, name="זר", phone="+972545550999")
    login_as("admin", business=business)
    campaign = client.post("/api/campaigns", json={"name": "x", "template": "promo", "variables": {"1": "a"}}
                           ).get_json()
    assert all(m.to_number != "+972545550999" for m in _messages(db, business))
    login_as("admin", business=other)
    assert client.get(f"/api/campaigns/{campaign['id']}").status_code == 404
    assert client.get("/api/campaigns").get_json() == []
    # Another business's template is unknown here.
    r = client.post("/api/campaigns", json={"name": "x", "template": "promo", "variables": {"1": "a"}})
    assert r.status_code == 422 and r.get_json()["field_codes"]["template"]["code"] == "unknown_template"


def test_viewer_cannot_send_a_campaign(client, business, template, login_as):
    login_as("viewer", business=business)
    assert client.post("/api/campaigns", json={"name": "x", "template": "promo", "variables": {"1": "a"}}
                       ).status_code == 403
