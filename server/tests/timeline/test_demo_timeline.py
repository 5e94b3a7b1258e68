"""The demo seed fills a timeline: a draft and an issued invoice made by the invoice service."""
from server.tests.conftest import login


def test_demo_customer_timeline_has_issued_and_draft_invoices(app, db, client):
    from sqlalchemy import select

    from server.models import Customer
    from server.services.demo import DEMO_PASSWORD, seed_demo

    assert seed_demo("development")["created"]
    login(client, "staff@kesher.local", DEMO_PASSWORD)
    dana = db.session.scalar(select(Customer).where(Customer.name == "דנה כהן"))
    items = client.get(f"/api/customers/{dana.id}/timeline").get_json()
    invoices = [i for i in items if i["type"] == "invoice"]
    assert len(invoices) == 1
    assert invoices[0]["data"]["number"] == 1 and invoices[0]["data"]["status"] == "issued"
    assert invoices[0]["data"]["total_agorot"] == 53_100  # 450 ₪ + 18% VAT
    assert {i["type"] for i in items} >= {"task", "contract", "invoice"}
    avi = db.session.scalar(select(Customer).where(Customer.name == "אבי מזרחי"))
    drafts = [i for i in client.get(f"/api/customers/{avi.id}/timeline").get_json() if i["type"] == "invoice"]
    assert drafts[0]["at"] is None and drafts[0]["data"]["status"] == "draft"
