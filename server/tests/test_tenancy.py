"""A forgotten business argument is an error, never "every business" (issue 16).

ALL_BUSINESSES is the only way to ask for every business, and only a platform admin's
request is given it (authz.scoped_business_id)."""
from __future__ import annotations

import pytest

from server.tenancy import ALL_BUSINESSES, in_scope, scope_filter

SCOPED_READS = [
    ("server.services.customers", "get_customer", lambda c: (c.id,)),
    ("server.services.customers", "list_customers", lambda c: (1, 25)),
    ("server.services.calls", "list_calls", lambda c: (1, 25)),
    ("server.services.whatsapp", "list_messages", lambda c: (None, 1, 25)),
    ("server.services.whatsapp", "window_for_customer", lambda c: (c.id,)),
    ("server.services.dashboard", "dashboard", lambda c: ()),
    ("server.services.privacy.export", "list_exports", lambda c: (c.id,)),
    ("server.services.privacy.erasure", "erase_customer", lambda c: (c.id, "בקשת הלקוחה")),
]


@pytest.mark.parametrize("module,name,args", SCOPED_READS, ids=[f"{m.rsplit('.', 1)[-1]}.{n}" for m, n, _ in SCOPED_READS])
def test_a_forgotten_business_argument_is_refused_not_read_as_every_business(db, make_business, make_customer,
                                                                             module, name, args):
    import importlib

    from server.models import Customer

    customer = make_customer(make_business(), name="דנה כהן")
    function = getattr(importlib.import_module(module), name)
    with pytest.raises(TypeError, match="business scope"):
        function(None, *args(customer))
    db.session.rollback()
    assert db.session.get(Customer, customer.id).name == "דנה כהן"  # erasure did not run


def test_audit_list_refuses_a_forgotten_business(db):
    from server.services.audit import list_entries
    with pytest.raises(TypeError, match="business scope"):
        list_entries(business_id=None)


def test_all_businesses_reaches_every_business_and_one_id_only_its_own(db, make_business, make_customer):
    from server.services.customers import get_customer, list_customers

    a, b = make_business("מספרת אורית"), make_business("מוסך השרון")
    in_a = make_customer(a, name="דנה כהן", phone="+972501111111")
    in_b = make_customer(b, name="יוסי לוי", phone="+972502222222")
    assert {c.id for c in list_customers(ALL_BUSINESSES, 1, 25).items} == {in_a.id, in_b.id}
    assert [c.id for c in list_customers(a.id, 1, 25).items] == [in_a.id]
    assert get_customer(ALL_BUSINESSES, in_b.id).id == in_b.id
    from server.errors import NotFound
    with pytest.raises(NotFound):
        get_customer(a.id, in_b.id)


def test_only_a_platform_admin_request_is_scoped_to_every_business(client, login_as, make_business):
    from server.authz import scoped_business_id

    business = make_business()
    login_as("admin", business=business)  # the business's own admin
    with client.application.test_request_context(headers={"Cookie": _cookie(client)}):
        assert scoped_business_id(None, required=False) == business.id
    login_as("admin")  # platform admin
    with client.application.test_request_context(headers={"Cookie": _cookie(client)}):
        assert scoped_business_id(None, required=False) is ALL_BUSINESSES
        assert scoped_business_id(business.id, required=False) == business.id


def _cookie(client) -> str:
    cookie = client.get_cookie("kesher_session")
    return f"kesher_session={cookie.value}"


@pytest.mark.parametrize("bad", [None, "3", 3.0, True])
def test_a_scope_is_a_business_id_or_all_businesses_nothing_else(bad):
    from server.models import Customer
    with pytest.raises(TypeError):
        in_scope(bad, 3)
    with pytest.raises(TypeError):
        scope_filter(Customer.business_id, bad)


def test_all_businesses_has_no_truth_value():
    with pytest.raises(TypeError):
        bool(ALL_BUSINESSES)


def _routes_with_a_business_id_query(app):
    from server.validation import build_openapi
    for path, operations in build_openapi(app)["paths"].items():
        for method, operation in operations.items():
            if any(p["in"] == "query" and p["name"] == "business_id" for p in operation.get("parameters", [])):
                yield method, path.replace("{", "").replace("}", "")


@pytest.mark.parametrize("value", ["abc", "-1", "1.5", "٣"])
def test_every_business_id_query_is_one_whole_number_with_one_message(app, client, login_as, value):
    """business_id is parsed once (schemas.fields.BusinessIdParam): the same 422 on every route."""
    import re
    login_as("admin")  # the platform admin: every route lets it choose the business
    routes = list(_routes_with_a_business_id_query(app))
    assert {("get", "/api/crm/customers"), ("get", "/api/calls"), ("get", "/api/dashboard"),
            ("post", "/api/crm/customers/import"), ("get", "/api/users")} <= set(routes)
    for method, path in routes:
        url = re.sub(r"(?<=/)(\w*id)(?=/|$)", "1", path)
        r = client.open(url, method=method.upper(), query_string={"business_id": value}, json={})
        body = r.get_json()
        # Other required parameters of the route (from/to ...) may be named too; business_id's is one.
        assert (r.status_code, body["code"], body["fields"]["business_id"], body["field_codes"]["business_id"]) == (
            422, "validation", "must be a whole number", {"code": "not_integer", "params": {}}), (method, url)


@pytest.mark.parametrize("method, path, body", [
    ("post", "/api/users", {"email": "x@example.co.il", "password": "long-enough-1", "role": "staff"}),
    ("put", "/api/users/{me}", {}),
    ("post", "/api/whatsapp/send", {"to": "050-123-4567", "text": "שלום"}),
    ("post", "/api/crm/customers", {"name": "דנה", "phone": "050-123-4567"}),
])
def test_a_business_id_beyond_any_row_id_is_a_422_not_a_database_error(client, login_as, method, path, body):
    """PostgreSQL's integer ids end at 2**31 - 1: a larger business_id must stop at the edge."""
    admin = login_as("admin")
    r = client.open(path.format(me=admin.id), method=method.upper(), json={**body, "business_id": 2**40})
    assert r.status_code == 422
    assert r.get_json()["field_codes"]["business_id"] == {"code": "max_value", "params": {"max": 2**31 - 1}}


@pytest.mark.parametrize("value", [None, ""])
def test_a_null_or_empty_business_id_in_a_body_means_not_given(client, login_as, value):
    login_as("admin")  # the platform admin: no business chosen → the route's own 422 for it
    r = client.post("/api/whatsapp/send", json={"to": "050-123-4567", "text": "שלום", "business_id": value})
    assert r.status_code == 422 and r.get_json()["field_codes"]["business_id"]["code"] == "business_id_required"
