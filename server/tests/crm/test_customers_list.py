"""GET /api/crm/customers: the seed's paging contract, Israeli search, and the fast paths
(maintained day counts for the total, day-seek for deep pages) agreeing with plain SQL."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import text

from server.models import Customer
from server.services import customers as service
from server.services.customers import build_search_text


def _add(db, business, name, phone=None, email=None, created_at=None):
    c = Customer(business_id=business.id, name=name, phone=phone, email=email,
                 search_text=build_search_text(name, phone, email),
                 **({"created_at": created_at} if created_at else {}))
    db.session.add(c)
    db.session.commit()
    return c


def test_answer_shape_defaults_and_newest_first(client, login_as, make_customer, db):
    staff = login_as("staff")
    first = make_customer(staff.business, name="ראשון", phone="+972507234567")
    second = make_customer(staff.business, name="שני", phone="+972523456789")
    r = client.get("/api/crm/customers")
    assert r.status_code == 200
    body = r.get_json()
    assert set(body) == {"page", "limit", "total", "items"}
    assert (body["page"], body["limit"], body["total"]) == (1, 25, 2)
    assert [c["id"] for c in body["items"]] == [second.id, first.id]
    assert r.headers["X-Total-Exact"] == "true"


@pytest.mark.parametrize("query,page,limit", [
    ({"page": "0"}, 1, 25), ({"page": "-5"}, 1, 25), ({"limit": "0"}, 1, 1), ({"limit": "1000"}, 1, 100),
    ({"limit": "-3", "page": "2"}, 2, 1), ({"page": " 3 ", "limit": "10"}, 3, 10),
])
def test_paging_is_clamped_like_the_seed(client, login_as, query, page, limit):
    login_as("viewer")
    body = client.get("/api/crm/customers", query_string=query).get_json()
    assert (body["page"], body["limit"]) == (page, limit)


@pytest.mark.parametrize("query", [{"page": "abc"}, {"limit": "x"}, {"page": "1.5"}, {"page": ""}, {"limit": "10e"}])
def test_non_numeric_paging_is_400_invalid_paging(client, login_as, query):
    login_as("staff")
    r = client.get("/api/crm/customers", query_string=query)
    assert (r.status_code, r.get_json()) == (400, {"error": "invalid paging", "code": "invalid_paging"})


def test_parameters_keep_their_meaning_behind_the_schema(client, login_as):
    """The list's query schema documents the parameters without changing how they read:
    a repeated key takes its first value, a bad business_id is this route's own 422."""
    login_as("staff")
    body = client.get("/api/crm/customers?page=2&page=x&limit=5&limit=y").get_json()
    assert (body["page"], body["limit"]) == (2, 5)
    r = client.get("/api/crm/customers?business_id=abc")
    assert (r.status_code, r.get_json()) == (422, {
        "error": "validation", "code": "validation", "fields": {"business_id": "must be a whole number"},
        "field_codes": {"business_id": {"code": "not_integer", "params": {}}}})


def test_list_requires_login(client):
    r = client.get("/api/crm/customers?page=1&limit=25")
    assert (r.status_code, r.get_json()) == (401, {"error": "unauthorized", "code": "unauthorized"})


def test_page_beyond_the_end_is_empty_with_total(client, login_as, make_customer):
    staff = login_as("staff")
    make_customer(staff.business, name="יחיד", phone="+972507234567")
    body = client.get("/api/crm/customers", query_string={"page": 5, "limit": 10}).get_json()
    assert body["total"] == 1 and body["items"] == [] and body["page"] == 5
    huge = client.get("/api/crm/customers", query_string={"page": 10 ** 18, "limit": 100})
    assert huge.status_code == 200 and huge.get_json()["items"] == []


@pytest.fixture()
def searchable(login_as, make_business, db):
    staff = login_as("staff")
    other = make_business("עסק זר")
    people = {
        "dana": _add(db, staff.business, "דָּנָה כֹּהֵן", "+972507234567", "Dana.Cohen@Example.co.il"),
        "yossi": _add(db, staff.business, "יוֹסֵף לֵוִי", "+972523456789", "yossi@example.co.il"),
        "michal": _add(db, staff.business, "מיכל אברהם", "+972544123456"),
        "foreign": _add(db, staff.business, "John Smith", "+14155550123", "john@example.com"),
    }
    _add(db, other, "דנה כהן", "+972507234567")  # same name and phone in another business
    return people


@pytest.mark.parametrize("q,expected", [
    ("050-723-4567", {"dana"}), ("0507234567", {"dana"}), ("+972 50 723 4567", {"dana"}),
    ("972507234567", {"dana"}), ("050-723", {"dana"}), ("(052) 345-6789", {"yossi"}),
    ("דנה", {"dana"}), ("דָּנָה", {"dana"}), ("כֹּהֵן דנה", {"dana"}), ("יוסף", {"yossi"}), ("לֵוִי", {"yossi"}),
    ("DANA.COHEN@example", {"dana"}), ("example.co.il", {"dana", "yossi"}), ("smith", {"foreign"}),
    ("4155550123", {"foreign"}), ("אב", {"michal"}), ("zzz", set()), ("100%", set()), ("_", set()),
])
def test_search_by_israeli_phone_formats_hebrew_with_or_without_niqqud_and_email(client, searchable, q, expected):
    body = client.get("/api/crm/customers", query_string={"q": q}).get_json()
    found = {key for key, c in searchable.items() if c.id in {i["id"] for i in body["items"]}}
    assert found == expected, q
    assert body["total"] == len(expected)


def test_search_is_paged_and_counted(client, login_as, db):
    staff = login_as("staff")
    for i in range(7):
        _add(db, staff.business, f"כהן {i}")
    _add(db, staff.business, "לוי")
    body = client.get("/api/crm/customers", query_string={"q": "כהן", "limit": 3, "page": 3}).get_json()
    assert body["total"] == 7 and [c["name"] for c in body["items"]] == ["כהן 0"]


def test_search_total_is_bounded_and_flagged(login_as, db):
    staff = login_as("staff")
    for i in range(6):
        _add(db, staff.business, f"כהן {i}")
    result = service.list_customers(staff.business_id, 1, 2, "כהן", count_cap=4)
    assert result.total == 4 and result.total_exact is False and len(result.items) == 2
    exact = service.list_customers(staff.business_id, 1, 2, "כהן", count_cap=6)
    assert exact.total == 6 and exact.total_exact is True
    # total says 4: the page past it is empty, as it would be past an exact total
    beyond = service.list_customers(staff.business_id, 3, 2, "כהן", count_cap=4)
    assert beyond.total == 4 and beyond.items == []


def _plain_page(db, business_id, offset, limit):
    return [row[0] for row in db.session.execute(text(
        "SELECT id FROM customer WHERE business_id = :b ORDER BY created_at DESC, id DESC LIMIT :l OFFSET :o"),
        {"b": business_id, "l": limit, "o": offset})]


def test_every_page_equals_plain_offset_paging_across_days_and_ties(login_as, make_business, db):
    """The day-seek deep page must return exactly what OFFSET would, page after page."""
    staff = login_as("staff")
    other = make_business("שכן")
    base = datetime(2025, 3, 1, 23, 59, 59, 999999, tzinfo=timezone.utc)
    offsets = [timedelta(0), timedelta(microseconds=1), timedelta(days=1), timedelta(days=1), timedelta(days=3, hours=5),
               timedelta(days=40), timedelta(days=40, seconds=1), timedelta(days=400), timedelta(hours=-23)]
    n = 0
    for rep in range(3):
        for delta in offsets:
            _add(db, staff.business, f"לקוח {n}", created_at=base + delta)
            _add(db, other, f"שכן {n}", created_at=base + delta)
            n += 1
    total = 3 * len(offsets)
    for limit in (1, 2, 4, 5):
        for page in range(1, total // limit + 3):
            got = service.list_customers(staff.business_id, page, limit)
            assert got.total == total
            assert [c.id for c in got.items] == _plain_page(db, staff.business_id, (page - 1) * limit, limit), \
                (limit, page)


def _day_counts(db, business_id):
    return int(db.session.execute(text("SELECT coalesce(sum(n), 0) FROM customer_day_count WHERE business_id = :b"),
                                  {"b": business_id}).scalar())


def test_day_counts_follow_inserts_deletes_and_moves(login_as, make_business, db):
    staff = login_as("staff")
    other = make_business("אחר")
    a = _add(db, staff.business, "א")
    b = _add(db, staff.business, "ב", created_at=datetime(2024, 1, 1, tzinfo=timezone.utc))
    assert _day_counts(db, staff.business_id) == 2
    b.created_at = datetime(2023, 6, 1, 12, tzinfo=timezone.utc)
    db.session.commit()
    assert _day_counts(db, staff.business_id) == 2
    b.business_id = other.id
    db.session.commit()
    assert (_day_counts(db, staff.business_id), _day_counts(db, other.id)) == (1, 1)
    db.session.delete(a)
    db.session.commit()
    assert _day_counts(db, staff.business_id) == 0
    count = db.session.execute(text("SELECT count(*) FROM customer WHERE business_id = :b"), {"b": other.id}).scalar()
    assert _day_counts(db, other.id) == count == 1


def test_leads_created_by_calls_are_counted_and_found(login_as, db):
    from server.services.customers import find_or_create_lead
    staff = login_as("staff")
    find_or_create_lead(staff.business_id, "052-345-6789", None, "call")
    db.session.commit()
    result = service.list_customers(staff.business_id, 1, 25, "0523456789")
    assert result.total == 1 and result.items[0].source == "call"
    assert service.list_customers(staff.business_id, 1, 25).total == 1


def test_search_index_follows_updates_and_deletes(client, login_as, make_customer, db):
    staff = login_as("staff")
    c = make_customer(staff.business, name="אורית", phone="+972507234567")
    client.put(f"/api/crm/customers/{c.id}", json={"name": "אורנה"})
    assert client.get("/api/crm/customers", query_string={"q": "אורית"}).get_json()["total"] == 0
    assert client.get("/api/crm/customers", query_string={"q": "אורנה"}).get_json()["total"] == 1
    client.delete(f"/api/crm/customers/{c.id}")
    assert client.get("/api/crm/customers", query_string={"q": "אורנה"}).get_json()["total"] == 0


@pytest.mark.parametrize("q", ["כֹּהֵן", "כהן ד", "כהן דנה"])
def test_common_term_pages_agree_with_plain_sql_whichever_plan_serves_them(app, db, make_business, monkeypatch, q):
    """A capped count sends SQLite down the date-index walk; every page must match plain SQL."""
    walked = []
    from server.services.customers import search
    real_walk = search._walk_dates_for_common_terms
    monkeypatch.setattr(search, "_walk_dates_for_common_terms",
                        lambda *a: walked.append(real_walk(*a)) or walked[-1])
    business = make_business("עסק גדול")
    other = make_business("שכן")
    start = datetime(2025, 3, 1, 8, tzinfo=timezone.utc)
    firsts = ["דנה", "יוסי", "מיכל", "דוד"]
    for i in range(80):
        # Same-second timestamps in pairs, so the id tie-break is part of the order.
        _add(db, business, f"{firsts[i % 4]} {'כהן' if i % 3 else 'לוי'}", created_at=start + timedelta(seconds=i // 2))
        if i % 10 == 0:
            _add(db, other, f"{firsts[i % 4]} כהן", created_at=start + timedelta(seconds=i))
    terms = service.search_terms(q)
    rows = db.session.execute(text("SELECT id, search_text FROM customer WHERE business_id = :b "
                                   "ORDER BY created_at DESC, id DESC"), {"b": business.id}).all()
    expected = [r.id for r in rows if all(t in r.search_text for t in terms)]
    assert len(expected) > 10
    cap = len(expected) - 1  # capped, yet nearly every match is within reach of a page
    for limit in (7, 25):
        pages = [service.list_customers(business.id, page, limit, q, count_cap=cap)
                 for page in range(1, -(-cap // limit) + 1)]
        assert all(not p.total_exact and p.total == cap for p in pages)
        got = [c.id for p in pages for c in p.items]
        assert got == expected[:len(pages) * limit], (q, limit)
    if db.engine.dialect.name == "sqlite":
        assert any(ids for ids in walked), "the walk served some pages"
