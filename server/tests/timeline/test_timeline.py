"""GET /api/customers/<id>/timeline: merge order, undated records, filters, cursor, isolation."""
from __future__ import annotations

import random
from datetime import timedelta

import pytest

from server.tests.timeline.conftest import utc


def timeline(client, cid, **params):
    r = client.get(f"/api/customers/{cid}/timeline", query_string=params)
    assert r.status_code == 200, r.get_json()
    return r


def kinds(items):
    return [(i["type"], i["data"]["id"]) for i in items]


def test_merges_all_five_types_newest_first(client, staff_customer, add):
    c = staff_customer
    call = add.call(c, utc(2025, 3, 1, 9), turns=[("שלום, רציתי לקבוע תור", "בשמחה, לאיזה יום?")],
                    recording_url="https://api.twilio.com/rec/RE1", summary="קביעת תור")
    msg = add.msg(c, utc(2025, 3, 2, 9), body="אפשר לדחות ליום ראשון?", direction="inbound", status="read")
    task = add.task(c, utc(2025, 2, 27, 9), title="לאשר תור")
    inv = add.invoice(c, utc(2025, 3, 3, 9), amount_agorot=35_000)
    contract = add.contract(c, utc(2025, 2, 28, 9), title="מנוי שנתי")

    items = timeline(client, c.id).get_json()

    assert kinds(items) == [("invoice", inv.id), ("whatsapp", msg.id), ("call", call.id),
                            ("contract", contract.id), ("task", task.id)]
    assert all(set(i) == {"type", "at", "data"} for i in items)
    assert items[0]["at"] == "2025-03-03T09:00:00+00:00"
    call_item = items[2]["data"]
    assert "recording_url" not in call_item  # the provider's URL stays on the server
    assert call_item["recording"] == f"/api/calls/{call.id}/recording"  # what the UI plays
    assert call_item["summary"] == "קביעת תור"
    assert call_item["turns"][0]["transcript"] == "שלום, רציתי לקבוע תור"
    assert call_item["transcript"] == "לקוח: שלום, רציתי לקבוע תור\nנציג: בשמחה, לאיזה יום?"
    msg_item = items[1]["data"]
    assert (msg_item["direction"], msg_item["status"], msg_item["text"]) == ("inbound", "read", "אפשר לדחות ליום ראשון?")
    inv_item = items[0]["data"]
    assert (inv_item["amount_agorot"], inv_item["vat_agorot"], inv_item["total_agorot"]) == (35_000, 6_300, 41_300)
    assert inv_item["status"] == "issued" and inv_item["display"]["total"] == "₪413.00"


def test_undated_records_come_first_newest_created_first(client, staff_customer, add):
    c = staff_customer
    add.call(c, utc(2030, 1, 1))  # even a future-dated item stays below the undated ones
    old_task = add.task(c, None, created_at=utc(2025, 1, 1))
    draft = add.invoice(c, None, created_at=utc(2025, 1, 3))
    unsigned = add.contract(c, None, created_at=utc(2025, 1, 2))

    items = timeline(client, c.id).get_json()

    assert kinds(items)[:3] == [("invoice", draft.id), ("contract", unsigned.id), ("task", old_task.id)]
    assert [i["at"] for i in items[:3]] == [None, None, None]
    assert items[3]["type"] == "call"
    assert items[0]["data"]["status"] == "draft"


def test_ties_break_by_type_then_newest_row(client, staff_customer, add):
    c = staff_customer
    at = utc(2025, 5, 5, 12)
    contract = add.contract(c, at)
    t1 = add.task(c, at)
    t2 = add.task(c, at)
    msg = add.msg(c, at)
    call = add.call(c, at)

    items = timeline(client, c.id).get_json()

    assert kinds(items) == [("call", call.id), ("whatsapp", msg.id), ("task", t2.id), ("task", t1.id),
                            ("contract", contract.id)]


def test_type_filter(client, staff_customer, add):
    c = staff_customer
    add.call(c, utc(2025, 1, 1))
    add.msg(c, utc(2025, 1, 2))
    add.task(c, None)
    add.invoice(c, utc(2025, 1, 3))

    assert [i["type"] for i in timeline(client, c.id, types="call,whatsapp").get_json()] == ["whatsapp", "call"]
    assert [i["type"] for i in timeline(client, c.id, types="task").get_json()] == ["task"]
    r = client.get(f"/api/customers/{c.id}/timeline?types=call&types=invoice")
    assert [i["type"] for i in r.get_json()] == ["invoice", "call"]


@pytest.mark.parametrize("limit", [1, 3, 7])
def test_cursor_pages_lose_and_repeat_nothing(client, staff_customer, add, limit):
    c = staff_customer
    rng = random.Random(limit)
    base = utc(2025, 1, 1)
    # Many shared timestamps (ties across and within types) and undated records.
    for i in range(24):
        at = base + timedelta(hours=rng.randint(0, 5))
        kind = i % 5
        if kind == 0:
            add.call(c, at)
        elif kind == 1:
            add.msg(c, at)
        elif kind == 2:
            add.task(c, at if i % 3 else None, created_at=base + timedelta(minutes=rng.randint(0, 2)))
        elif kind == 3:
            add.invoice(c, at if i % 2 else None, created_at=base)
        else:
            add.contract(c, at if i % 4 else None)
    everything = kinds(timeline(client, c.id, limit=500).get_json())
    assert len(everything) == 24

    pages, before, seen_last_header = [], None, False
    for _ in range(100):
        params = {"limit": limit, **({"before": before} if before else {})}
        r = timeline(client, c.id, **params)
        pages.append(kinds(r.get_json()))
        before = r.headers.get("X-Next-Cursor")
        if before is None:
            seen_last_header = True
            break
        assert 'rel="next"' in r.headers["Link"] and f"before={before}" in r.headers["Link"]
    assert seen_last_header
    assert all(len(p) == limit for p in pages[:-1])
    assert [k for page in pages for k in page] == everything


def test_cursor_survives_new_items_arriving_on_top(client, staff_customer, add):
    c = staff_customer
    for h in range(6):
        add.msg(c, utc(2025, 1, 1, h))
    first = timeline(client, c.id, limit=3)
    add.msg(c, utc(2025, 6, 1))  # a new message while the user scrolls
    add.task(c, None)
    second = timeline(client, c.id, limit=3, before=first.headers["X-Next-Cursor"]).get_json()
    assert [i["at"][11:13] for i in second] == ["02", "01", "00"]


def test_before_accepts_an_iso_time_with_zone(client, staff_customer, add):
    c = staff_customer
    add.task(c, None)
    add.msg(c, utc(2025, 1, 1, 10))
    add.msg(c, utc(2025, 1, 1, 8))
    # 10:00 UTC is 12:00 in Israel (winter, +02:00): strictly before it is the 08:00 message.
    items = timeline(client, c.id, before="2025-01-01T12:00:00+02:00").get_json()
    assert [i["at"] for i in items] == ["2025-01-01T08:00:00+00:00"]
    # A '+' that was not URL-encoded arrives as a space; it is put back.
    r = client.get(f"/api/customers/{c.id}/timeline?before=2025-01-01T12:00:00+02:00")
    assert [i["at"] for i in r.get_json()] == ["2025-01-01T08:00:00+00:00"]


@pytest.mark.parametrize("params, field", [
    ({"types": "call,sms"}, "types"),
    ({"limit": 0}, "limit"),
    ({"limit": 501}, "limit"),
    ({"limit": "many"}, "limit"),
    ({"before": "not-a-cursor!"}, "before"),
    ({"before": "2025-01-01T10:00:00"}, "before"),  # naive: which zone? refused
    ({"before": "2025-13-01T10:00:00Z"}, "before"),
    ({"colour": "blue"}, "colour"),
])
def test_bad_parameters_are_422(client, staff_customer, params, field):
    r = client.get(f"/api/customers/{staff_customer.id}/timeline", query_string=params)
    assert r.status_code == 422
    assert field in r.get_json()["fields"]


def test_without_paging_params_everything_fits_and_no_cursor(client, staff_customer, add):
    c = staff_customer
    for h in range(5):
        add.call(c, utc(2025, 1, 1, h))
    r = timeline(client, c.id)
    assert len(r.get_json()) == 5
    assert "X-Next-Cursor" not in r.headers


def test_empty_timeline_is_an_empty_list(client, staff_customer):
    r = timeline(client, staff_customer.id)
    assert r.get_json() == [] and r.is_json


def test_another_business_customer_is_404(client, login_as, make_business, make_customer, add):
    login_as("staff")
    other = make_customer(make_business())
    add.call(other, utc(2025, 1, 1))
    r = client.get(f"/api/customers/{other.id}/timeline")
    assert r.status_code == 404 and r.get_json() == {"error": "customer not found", "code": "customer_not_found"}
    assert client.get("/api/customers/999999/timeline").status_code == 404


def test_items_of_other_customers_never_leak(client, db, staff_customer, make_customer, add):
    from server.models import Business
    neighbour = make_customer(db.session.get(Business, staff_customer.business_id), name="יוסי השכן",
                              phone="+972521110000")
    add.msg(neighbour, utc(2025, 1, 1))
    add.task(neighbour, None)
    mine = add.msg(staff_customer, utc(2025, 1, 2))
    assert kinds(timeline(client, staff_customer.id).get_json()) == [("whatsapp", mine.id)]


def test_requires_login(client, make_business, make_customer):
    c = make_customer(make_business())
    r = client.get(f"/api/customers/{c.id}/timeline")
    assert r.status_code == 401 and r.get_json() == {"error": "unauthorized", "code": "unauthorized"}


def test_viewer_reads_and_platform_admin_reads_any_business(client, login_as, make_business, make_customer, add):
    business = make_business()
    c = make_customer(business)
    add.msg(c, utc(2025, 1, 1))
    login_as("viewer", business=business)
    assert len(timeline(client, c.id).get_json()) == 1
    client.post("/api/auth/logout")
    login_as("admin")
    assert len(timeline(client, c.id).get_json()) == 1
    assert timeline(client, c.id, business_id=business.id).get_json()[0]["type"] == "whatsapp"


def test_forged_cursor_with_out_of_range_values_is_422(client, staff_customer):
    import base64
    import json
    for forged in ([0, "2025-01-01T00:00:00+00:00", 2, 2**40], [0, "2025-01-01T00:00:00+00:00", 99, 1],
                   [0, "2025-01-01T00:00:00", 2, 1], {"u": 0}):
        token = base64.urlsafe_b64encode(json.dumps(forged).encode()).decode().rstrip("=")
        r = client.get(f"/api/customers/{staff_customer.id}/timeline", query_string={"before": token})
        assert r.status_code == 422 and "before" in r.get_json()["fields"], forged
