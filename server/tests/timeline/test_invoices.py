"""Israeli invoices: VAT by date, allocation-number thresholds, running numbers, credits."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from server.services import invoices as inv
from server.tests.timeline.conftest import utc

ISRAEL_WINTER = timezone(timedelta(hours=2))
ISRAEL_SUMMER = timezone(timedelta(hours=3))
TAX_ID = "516179157"  # a valid check digit


def url(c, tail=""):
    return f"/api/customers/{c.id}/invoices{tail}"


def create(client, c, **body):
    r = client.post(url(c), json=body)
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def issue(client, c, invoice_id, **body):
    return client.post(url(c, f"/{invoice_id}/issue"), json=body)


# ---- dated rules, on both sides of every boundary (Israel calendar day) --------------------

@pytest.mark.parametrize("moment, rate", [
    (datetime(2024, 12, 31, 23, 59, 59, tzinfo=ISRAEL_WINTER), 1700),
    (utc(2024, 12, 31, 21, 59, 59), 1700),
    (datetime(2025, 1, 1, 0, 0, tzinfo=ISRAEL_WINTER), 1800),
    (utc(2024, 12, 31, 22, 30), 1800),  # still 2024 in UTC, already 2025 in Israel
    (utc(2020, 6, 1), 1700),
    (utc(2026, 11, 24), 1800),
])
def test_vat_rate_follows_the_israel_date(moment, rate):
    assert inv.vat_rate_bp(moment) == rate


@pytest.mark.parametrize("moment, threshold", [
    (datetime(2024, 5, 4, 23, 59, tzinfo=ISRAEL_SUMMER), None),
    (datetime(2024, 5, 5, 0, 0, tzinfo=ISRAEL_SUMMER), 25_000_00),
    (datetime(2024, 12, 31, 23, 59, tzinfo=ISRAEL_WINTER), 25_000_00),
    (datetime(2025, 1, 1, 0, 0, tzinfo=ISRAEL_WINTER), 20_000_00),
    (datetime(2025, 12, 31, 23, 59, tzinfo=ISRAEL_WINTER), 20_000_00),
    (datetime(2026, 1, 1, 0, 0, tzinfo=ISRAEL_WINTER), 10_000_00),
    (datetime(2026, 5, 31, 23, 59, tzinfo=ISRAEL_SUMMER), 10_000_00),
    (datetime(2026, 6, 1, 0, 0, tzinfo=ISRAEL_SUMMER), 5_000_00),
    (utc(2026, 5, 31, 21, 30), 5_000_00),  # 00:30 on 1 June in Israel
])
def test_allocation_threshold_by_date(moment, threshold):
    assert inv.allocation_threshold_agorot(moment) == threshold


def test_vat_is_rounded_to_the_agora_half_up():
    assert inv.vat_for(10_000, 1800) == 1_800
    assert inv.vat_for(3, 1700) == 1          # 0.51 agora → 1
    assert inv.vat_for(2, 1700) == 0          # 0.34 agora → 0
    assert inv.vat_for(50, 1700) == 9         # 8.5 → 9
    assert inv.vat_for(-50, 1700) == -9       # a credit mirrors its invoice


def test_naive_dates_are_refused():
    with pytest.raises(ValueError):
        inv.vat_rate_bp(datetime(2025, 1, 1))


# ---- allocation number over the API, both sides of each threshold ------------------------

@pytest.mark.parametrize("date, threshold_ils", [
    ("2024-05-05T10:00:00+03:00", 25_000),
    ("2025-01-01T10:00:00+02:00", 20_000),
    ("2026-01-01T10:00:00+02:00", 10_000),
    ("2026-06-01T10:00:00+03:00", 5_000),
])
def test_b2b_invoice_reaching_the_threshold_needs_an_allocation_number(client, staff_customer, date, threshold_ils):
    c = staff_customer
    below = create(client, c, amount=f"{threshold_ils - 1}.99", invoice_date=date, is_b2b=True, customer_tax_id=TAX_ID)
    at = create(client, c, amount=threshold_ils, invoice_date=date, is_b2b=True, customer_tax_id=TAX_ID)

    assert issue(client, c, below["id"]).status_code == 200
    r = issue(client, c, at["id"])
    assert r.status_code == 422
    body = r.get_json()
    assert "מספר הקצאה" in body["error"] and f"{threshold_ils:,} ₪" in body["error"]
    assert "allocation_number" in body["fields"]
    assert client.get(url(c, f"/{at['id']}")).get_json()["status"] == "draft"  # nothing changed

    r = issue(client, c, at["id"], allocation_number="123456789")
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["allocation_number"] == "123456789"
    assert r.get_json()["number"] == 2  # the failed attempt burnt no number


def test_day_before_each_threshold_change_uses_the_old_threshold(client, staff_customer):
    c = staff_customer
    # 2025-12-31 in Israel: the threshold is still 20,000, so 15,000 passes without a number.
    ok = create(client, c, amount=15_000, invoice_date="2025-12-31T23:30:00+02:00", is_b2b=True,
                customer_tax_id=TAX_ID)
    assert issue(client, c, ok["id"]).status_code == 200
    # 2024-05-04: before the reform, no allocation number at any amount.
    big = create(client, c, amount=1_000_000, invoice_date="2024-05-04T12:00:00+03:00", is_b2b=True,
                 customer_tax_id=TAX_ID)
    assert issue(client, c, big["id"]).status_code == 200


def test_private_customer_needs_no_allocation_number(client, staff_customer):
    c = staff_customer
    draft = create(client, c, amount=50_000, invoice_date="2026-07-01T10:00:00+03:00")
    r = issue(client, c, draft["id"])
    assert r.status_code == 200 and r.get_json()["allocation_number"] is None


def test_b2b_needs_the_customer_tax_id_to_issue(client, staff_customer):
    c = staff_customer
    draft = create(client, c, amount=100, is_b2b=True)
    r = issue(client, c, draft["id"])
    assert r.status_code == 422 and "customer_tax_id" in r.get_json()["fields"]


# ---- amounts, VAT and status over the API -------------------------------------------------

def test_draft_is_priced_in_agorot_at_its_date(client, staff_customer):
    c = staff_customer
    old = create(client, c, amount=1234.5, invoice_date="2024-12-31T23:00:00+02:00", description="תספורת וצבע")
    new = create(client, c, amount_agorot=123_450, invoice_date="2025-01-01T00:00:00+02:00")
    assert (old["amount_agorot"], old["vat_rate_bp"], old["vat_agorot"], old["total_agorot"]) == (123_450, 1700, 20_987, 144_437)
    assert (new["vat_rate_bp"], new["vat_agorot"], new["total_agorot"]) == (1800, 22_221, 145_671)
    assert old["status"] == "draft" and old["number"] is None and old["vat_percent"] == "17%"
    assert old["display"]["total"] == "₪1,444.37"
    assert old["bill_to_name"] == "דנה כהן"


@pytest.mark.parametrize("body, field", [
    ({}, "body"),
    ({"amount": "12.345"}, "amount"),
    ({"amount": -5}, "amount"),
    ({"amount": "1,000"}, "amount"),
    ({"amount": 10, "amount_agorot": 999}, "body"),
    ({"amount": 10, "invoice_date": "2025-01-01T10:00:00"}, "invoice_date"),
    ({"amount": 10, "currency": "USD"}, "currency"),
    ({"amount": 10, "allocation_number": "12345"}, "allocation_number"),
    ({"amount": 10, "customer_tax_id": "12-345"}, "customer_tax_id"),
    ({"amount": 10, "number": 7}, "number"),
    ({"amount": 10, "status": "paid"}, "status"),
])
def test_bad_invoice_input_is_422_and_creates_nothing(client, staff_customer, body, field):
    r = client.post(url(staff_customer), json=body)
    assert r.status_code == 422, r.get_json()
    fields = r.get_json()["fields"]
    assert any(k == field or k.startswith(field) for k in fields), fields
    assert client.get(url(staff_customer)).get_json() == []


def test_wrong_check_digit_tax_id_is_refused(client, staff_customer):
    r = client.post(url(staff_customer), json={"amount": 10, "is_b2b": True, "customer_tax_id": "516179158"})
    assert r.status_code == 422 and "customer_tax_id" in r.get_json()["fields"]


def test_running_numbers_per_business(client, login_as, make_business, make_customer, make_user, db):
    from server.tests.conftest import login
    b1, b2 = make_business(), make_business()
    c1, c2 = make_customer(b1), make_customer(b2, phone="+972521234567")
    login(client, make_user("staff", b1).email)
    numbers = [issue(client, c1, create(client, c1, amount=100)["id"]).get_json()["number"] for _ in range(3)]
    assert numbers == [1, 2, 3]
    client.post("/api/auth/logout")
    login(client, make_user("staff", b2).email)
    assert issue(client, c2, create(client, c2, amount=100)["id"]).get_json()["number"] == 1
    from server.models import Business
    db.session.expire_all()
    assert db.session.get(Business, b1.id).last_invoice_number == 3


def test_drafts_get_numbers_in_issue_order_not_creation_order(client, staff_customer):
    c = staff_customer
    first, second = create(client, c, amount=100), create(client, c, amount=200)
    assert issue(client, c, second["id"]).get_json()["number"] == 1
    assert issue(client, c, first["id"]).get_json()["number"] == 2
    assert issue(client, c, first["id"]).status_code == 409


def test_issued_invoice_is_never_edited_or_deleted(client, staff_customer):
    c = staff_customer
    draft = create(client, c, amount=100)
    assert client.patch(url(c, f"/{draft['id']}"), json={"amount": 150}).get_json()["amount_agorot"] == 15_000
    issued = issue(client, c, draft["id"]).get_json()
    r = client.patch(url(c, f"/{draft['id']}"), json={"amount": 1})
    assert r.status_code == 409 and "זיכוי" in r.get_json()["error"]
    assert client.delete(url(c, f"/{draft['id']}")).status_code == 409
    assert client.get(url(c, f"/{draft['id']}")).get_json() == issued


def test_draft_can_be_deleted(client, staff_customer):
    c = staff_customer
    draft = create(client, c, amount=100)
    assert client.delete(url(c, f"/{draft['id']}")).get_json() == {"ok": True}
    assert client.get(url(c, f"/{draft['id']}")).status_code == 404


def test_cancel_issues_a_credit_with_the_next_number(client, staff_customer):
    c = staff_customer
    draft = create(client, c, amount=1000, invoice_date="2024-12-30T10:00:00+02:00")
    issued = issue(client, c, draft["id"]).get_json()
    assert issued["vat_rate_bp"] == 1700 and issued["total_agorot"] == 117_000
    r = client.post(url(c, f"/{draft['id']}/cancel"), json={"reason": "הלקוח ביטל את ההזמנה"})
    assert r.status_code == 201, r.get_json()
    original, credit = r.get_json()["invoice"], r.get_json()["credit"]
    assert original["status"] == "cancelled" and original["cancelled_at"]
    assert credit["kind"] == "credit" and credit["credit_for_invoice_id"] == original["id"]
    assert credit["number"] == 2 and credit["status"] == "issued"
    # The credit reverses the original at the original's rate, even though today's is 18%.
    assert (credit["amount_agorot"], credit["vat_rate_bp"], credit["vat_agorot"], credit["total_agorot"]) == \
        (-100_000, 1700, -17_000, -117_000)
    assert credit["display"]["total"] == "-₪1,170.00"
    assert client.post(url(c, f"/{draft['id']}/cancel"), json={}).status_code == 409
    assert client.post(url(c, f"/{credit['id']}/cancel"), json={}).status_code == 409


def test_pay_then_cancel(client, staff_customer):
    c = staff_customer
    draft = create(client, c, amount=100)
    assert client.post(url(c, f"/{draft['id']}/pay"), json={}).status_code == 409  # a draft is not paid
    issue(client, c, draft["id"])
    paid = client.post(url(c, f"/{draft['id']}/pay"), json={"paid_at": "2026-11-20T10:00:00+02:00"}).get_json()
    assert paid["status"] == "paid" and paid["paid_at"] == "2026-11-20T08:00:00+00:00"
    assert client.post(url(c, f"/{draft['id']}/pay"), json={}).status_code == 409
    assert client.post(url(c, f"/{draft['id']}/cancel"), json={}).status_code == 201


def test_draft_cannot_be_cancelled_by_credit(client, staff_customer):
    c = staff_customer
    draft = create(client, c, amount=100)
    assert client.post(url(c, f"/{draft['id']}/cancel"), json={}).status_code == 409


def test_issued_invoices_on_the_timeline(client, staff_customer):
    c = staff_customer
    draft = create(client, c, amount=100)
    other = create(client, c, amount=200)
    issue(client, c, other["id"])
    items = client.get(f"/api/customers/{c.id}/timeline").get_json()
    assert [(i["type"], i["data"]["id"], i["data"]["status"]) for i in items] == \
        [("invoice", draft["id"], "draft"), ("invoice", other["id"], "issued")]
    assert items[0]["at"] is None and items[1]["at"] is not None


def test_concurrent_issues_never_share_a_number(app, db, make_business, make_customer):
    """Eight threads issue eight drafts at once: numbers 1..8, each exactly once."""
    import threading

    from server.extensions import db as _db
    from server.models import Invoice
    from server.services.customers import get_customer

    business = make_business()
    customer = make_customer(business)
    ids = []
    for _ in range(8):
        invoice = Invoice(business_id=business.id, customer_id=customer.id, amount_agorot=100)
        db.session.add(invoice)
        db.session.commit()
        ids.append(invoice.id)
    errors, barrier = [], threading.Barrier(len(ids))

    def worker(invoice_id):
        with app.app_context():
            try:
                barrier.wait()
                inv.issue_invoice(get_customer(customer.business_id, customer.id), invoice_id)
            except Exception as exc:  # pragma: no cover - reported below
                errors.append(repr(exc))
            finally:
                _db.session.remove()

    threads = [threading.Thread(target=worker, args=(i,)) for i in ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    db.session.expire_all()
    numbers = sorted(db.session.get(Invoice, i).number for i in ids)
    assert numbers == list(range(1, 9))
