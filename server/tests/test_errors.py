"""The one JSON error contract, and the database failures mapped onto it."""
import pytest


def test_unknown_api_path_is_json_404_not_the_spa(client):
    r = client.get("/api/no-such-thing")
    assert r.status_code == 404
    assert r.get_json() == {"error": "not found", "code": "not_found"}
    r = client.post("/api/no/such/thing", json={})
    assert r.status_code == 404
    assert r.is_json


def test_unknown_webhook_path_is_json_404(client):
    r = client.post("/webhook/nope")
    assert r.status_code == 404
    assert r.get_json() == {"error": "not found", "code": "not_found"}


def test_wrong_method_is_json_405(client):
    r = client.get("/api/auth/login")
    assert r.status_code == 405
    assert r.get_json() == {"error": "method not allowed", "code": "method_not_allowed"}
    assert "POST" in r.headers["Allow"]


def test_oversized_body_is_json_413(client, app, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 1024)
    r = client.post("/api/auth/login", data="x" * 4096, content_type="application/json")
    assert r.status_code == 413
    assert r.get_json() == {"error": "payload too large", "code": "payload_too_large"}


def test_client_side_routes_fall_back_to_the_spa_shell(client):
    r = client.get("/customers/42")
    assert r.status_code == 200
    assert r.mimetype == "text/html"
    assert 'dir="rtl"' in r.get_data(as_text=True)
    assert "no-store" in r.headers["Cache-Control"] or "no-cache" in r.headers["Cache-Control"]


def test_missing_asset_is_404_not_the_shell(client):
    assert client.get("/assets/missing-abc123.js").status_code == 404


def test_built_spa_is_served_with_cache_rules(client, app, tmp_path, monkeypatch):
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_text('<html lang="he" dir="rtl"><div id="root"></div></html>', encoding="utf-8")
    (tmp_path / "assets" / "index-abc123.js").write_text("console.log(1)")
    monkeypatch.setitem(app.config, "FRONTEND_DIST", str(tmp_path))
    index = client.get("/")
    assert index.status_code == 200 and b'id="root"' in index.data
    assert "no-cache" in index.headers["Cache-Control"]
    asset = client.get("/assets/index-abc123.js")
    assert asset.status_code == 200
    assert "immutable" in asset.headers["Cache-Control"]
    assert client.get("/inbox").data == index.data


@pytest.mark.parametrize("failure", ["refused", "closed mid-request", "session left invalid"])
def test_database_outage_answers_503_json_not_500(client, login_as, monkeypatch, failure):
    from sqlalchemy.exc import InterfaceError, OperationalError, PendingRollbackError

    from server.extensions import db
    login_as("staff")

    def refused(*args, **kwargs):
        # What a PostgreSQL restart looks like from inside a request, in its three shapes.
        if failure == "refused":
            raise OperationalError("SELECT user", {}, ConnectionRefusedError("connection refused"))
        if failure == "closed mid-request":
            raise InterfaceError("SELECT user", {}, Exception("connection already closed"))
        raise PendingRollbackError("This Session's transaction has been rolled back due to a previous exception")

    monkeypatch.setattr(db.session, "get", refused)
    response = client.get("/api/auth/me")
    assert response.status_code == 503
    assert response.get_json() == {"error": "service unavailable", "code": "service_unavailable"}
    assert response.headers["Retry-After"] == "5"


def test_a_value_the_database_cannot_hold_is_a_400_not_a_500(client, login_as, db):
    login_as("admin")
    # Beyond int64 everywhere (OverflowError in SQLite, DataError in PostgreSQL), and beyond
    # PostgreSQL's 32-bit integer columns, which SQLite happens to hold.
    queries = ["entity_id=99999999999999999999999"]
    if db.engine.dialect.name == "postgresql":
        queries += ["entity_id=99999999999999", "actor_user_id=-99999999999"]
    for query in queries:
        response = client.get("/api/audit?" + query)
        assert response.status_code == 400, (query, response.get_json())
        assert response.get_json() == {"error": "bad request", "code": "bad_request"}
    assert client.get("/api/audit").status_code == 200  # the session's transaction was rolled back
    # business_id is bounded at the edge (schemas.fields.BusinessIdParam): a 422 naming it.
    response = client.get("/api/audit?business_id=99999999999999999999")
    assert response.status_code == 422
    assert response.get_json()["field_codes"]["business_id"]["code"] == "max_value"


def test_nul_character_in_a_filter_is_refused_cleanly(client, login_as):
    login_as("admin")
    response = client.get("/api/audit?actor_email=a%00b")
    # Refused at the edge, so both engines answer alike (PostgreSQL text cannot hold a NUL).
    assert response.status_code == 422
    assert response.get_json()["fields"] == {"actor_email": "must not contain a NUL character"}


def test_a_constraint_a_concurrent_request_tripped_is_409_and_nothing_is_written(client, login_as, make_customer,
                                                                                 db, monkeypatch):
    from sqlalchemy.exc import IntegrityError

    from server.models import Task
    from server.services import records
    staff = login_as("staff")
    customer = make_customer(staff.business, name="דנה כהן")

    def customer_deleted_meanwhile(*args, **kwargs):
        db.session.add(Task(business_id=customer.business_id, customer_id=customer.id, title="להתקשר",
                            status="open", source="manual"))
        db.session.flush()
        raise IntegrityError("INSERT INTO task", {}, Exception("FOREIGN KEY constraint failed"))

    monkeypatch.setattr(records, "_save", customer_deleted_meanwhile)
    r = client.post(f"/api/customers/{customer.id}/tasks", json={"title": "להתקשר"})
    assert (r.status_code, r.get_json()) == (409, {"error": "conflict", "code": "conflict"})
    db.session.expire_all()
    assert db.session.query(Task).count() == 0
