"""Hostile request bodies are the client's error: a JSON 4xx, and nothing is written.

JSON nested far past the interpreter's recursion limit, a lone UTF-16 surrogate (which Python's
json accepts but no UTF-8 encoder, database driver or log file does), and a NUL character.
"""
from __future__ import annotations

import io
import json

import pytest

from server.models import Customer

DEEP = "[" * 100_000 + "]" * 100_000
TOO_DEEP = {"error": "invalid json: nested too deep", "code": "json_too_deep"}


@pytest.fixture()
def staff_business(login_as, make_business):
    business = make_business()
    login_as("admin", business=business)
    return business


def _customers(db) -> list[tuple]:
    db.session.expire_all()
    return [(c.id, c.name, c.phone, c.notes) for c in db.session.query(Customer).order_by(Customer.id)]


def _body_routes(customer_id: int) -> list[tuple[str, str]]:
    return [("post", "/api/crm/customers"), ("put", f"/api/crm/customers/{customer_id}"),
            ("post", f"/api/customers/{customer_id}/tasks"), ("post", f"/api/customers/{customer_id}/contracts"),
            ("put", "/api/agent/settings"), ("post", "/api/whatsapp/send"), ("post", "/api/users")]


@pytest.mark.parametrize("nesting", [DEEP, "{\"a\": " * 500 + "1" + "}" * 500])
def test_deeply_nested_json_is_a_400_on_every_api_route_and_changes_nothing(client, db, staff_business,
                                                                           make_customer, nesting):
    customer = make_customer(staff_business)
    before = _customers(db)
    for method, path in _body_routes(customer.id):
        body = '{"name": "דנה", "phone": "+972501112233", "title": "x", "notes": ' + nesting + "}"
        r = getattr(client, method)(path, data=body, content_type="application/json")
        assert (r.status_code, r.get_json()) == (400, TOO_DEEP), (path, r.status_code, r.data[:200])
    assert _customers(db) == before


def test_deeply_nested_login_is_a_400_not_a_500(client, db):
    # The login limiter reads the body before the view does (its per-email key).
    r = client.post("/api/auth/login", data=DEEP, content_type="application/json")
    assert (r.status_code, r.get_json()) == (400, TOO_DEEP)


def test_a_lone_surrogate_in_a_customer_name_is_a_422_naming_the_field(client, db, staff_business):
    r = client.post("/api/crm/customers", data='{"name": "דנה \\ud800", "phone": "+972501112233"}',
                    content_type="application/json")
    assert r.status_code == 422
    assert r.get_json() == {"error": "validation", "code": "validation", "fields": {"name": "must be valid Unicode text"},
                            "field_codes": {"name": {"code": "unstorable_text", "params": {}}}}
    assert _customers(db) == []


@pytest.mark.parametrize("raw", [
    b'{"name": "\xed\xa0\x80", "phone": "+972501112233"}',            # the surrogate's raw bytes
    b'{"name": "ok", "phone": "+972501112233", "\\udfff": 1}',        # in a key
    b'{"name": "ok", "phone": "+972501112233", "tags": ["a", "\\udbff"]}',
])
def test_lone_surrogates_anywhere_in_a_body_are_a_422_and_nothing_is_created(client, db, staff_business, raw):
    r = client.post("/api/crm/customers", data=raw, content_type="application/json")
    assert r.status_code == 422, r.data[:300]
    assert r.get_json()["error"] == "validation"
    json.dumps(r.get_json(), ensure_ascii=False).encode("utf-8")  # the answer itself is valid UTF-8
    assert _customers(db) == []


def test_a_lone_surrogate_in_an_update_leaves_the_customer_as_it_was(client, db, staff_business, make_customer):
    customer = make_customer(staff_business)
    before = _customers(db)
    r = client.put(f"/api/crm/customers/{customer.id}", data='{"notes": "\\ud800"}', content_type="application/json")
    assert r.status_code == 422 and r.get_json()["fields"] == {"notes": "must be valid Unicode text"}
    assert _customers(db) == before


def test_a_valid_surrogate_pair_is_ordinary_text(client, db, staff_business):
    r = client.post("/api/crm/customers", data='{"name": "דנה \\ud83d\\ude00", "phone": "+972501112233"}',
                    content_type="application/json")
    assert r.status_code == 201, r.get_json()
    assert _customers(db)[0][1] == "דנה \U0001F600"


def test_invalid_utf8_in_a_query_is_plain_text_not_a_500(client, db, staff_business):
    r = client.get("/api/crm/customers?q=%ED%A0%80")
    assert r.status_code == 200 and r.get_json()["items"] == []
    assert client.get("/api/crm/customers?q=a%00b").status_code == 422


@pytest.mark.parametrize("raw", [b"\xff\xfe\xfa not text", b"\xca\xd9\xdf\xfb\xfc\xff"])
def test_csv_import_of_bytes_that_are_no_text_is_a_422(client, db, staff_business, raw):
    r = client.post("/api/crm/customers/import", data={"file": (io.BytesIO(raw), "x.csv")},
                    content_type="multipart/form-data")
    assert r.status_code == 422, r.data[:200]
    assert _customers(db) == []
