import pytest
from flask import Blueprint, jsonify

from server.authz import auth_required, roles_required
from server.tests.conftest import TEST_PASSWORD, create_app, login, make_test_config


def test_login_returns_user_and_csrf_token(client, make_user, make_business):
    user = make_user(role="staff", business=make_business())
    r = client.post("/api/auth/login", json={"email": user.email.upper(), "password": TEST_PASSWORD})
    assert r.status_code == 200
    body = r.get_json()
    assert body["user"] == {"id": user.id, "email": user.email, "role": "staff", "business_id": user.business_id}
    assert len(body["csrf_token"]) >= 32
    cookie = r.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_me_shows_role_after_login_and_401_before(client, login_as):
    assert client.get("/api/auth/me").get_json() == {"error": "unauthorized", "code": "unauthorized"}
    assert client.get("/api/auth/me").status_code == 401
    user = login_as("viewer")
    r = client.get("/api/auth/me")
    assert r.status_code == 200
    assert r.get_json()["role"] == "viewer"
    assert r.get_json()["email"] == user.email


def test_wrong_password_is_401_with_one_message(client, make_user):
    user = make_user(role="admin")
    r = client.post("/api/auth/login", json={"email": user.email, "password": "nope-nope"})
    assert r.status_code == 401
    assert r.get_json() == {"error": "invalid credentials", "code": "invalid_credentials"}
    r = client.post("/api/auth/login", json={"email": "nobody@test.local", "password": "nope-nope"})
    assert r.get_json() == {"error": "invalid credentials", "code": "invalid_credentials"}


def test_deactivated_user_cannot_log_in_and_loses_session(client, make_user, db):
    user = make_user(role="admin")
    login(client, user.email)
    user.active = False
    db.session.commit()
    assert client.get("/api/auth/me").status_code == 401
    r = client.post("/api/auth/login", json={"email": user.email, "password": TEST_PASSWORD})
    assert r.status_code == 401


def test_inactive_business_users_are_refused(client, make_user, make_business, db):
    business = make_business()
    user = make_user(role="staff", business=business)
    login(client, user.email)
    business.active = False
    db.session.commit()
    r = client.get("/api/auth/me")
    assert r.status_code == 403
    assert r.get_json() == {"error": "business inactive", "code": "business_inactive"}
    client.environ_base.pop("HTTP_X_CSRF_TOKEN", None)
    r = client.post("/api/auth/login", json={"email": user.email, "password": TEST_PASSWORD})
    assert r.status_code == 403
    assert r.get_json() == {"error": "business inactive", "code": "business_inactive"}


def test_login_validation_errors_are_422_with_fields(client):
    r = client.post("/api/auth/login", json={"email": "a@b.c"})
    assert r.status_code == 422
    assert r.get_json()["error"] == "validation"
    assert "password" in r.get_json()["fields"]


def test_malformed_json_is_400(client):
    r = client.post("/api/auth/login", data="{not json", content_type="application/json")
    assert r.status_code == 400
    assert r.get_json() == {"error": "invalid json", "code": "invalid_json"}


def test_form_body_to_json_endpoint_is_415(client):
    r = client.post("/api/auth/login", data={"email": "a@b.c", "password": "x"})
    assert r.status_code == 415
    assert r.get_json() == {"error": "unsupported media type", "code": "unsupported_media_type"}


def test_unsafe_call_without_csrf_token_is_refused(client, login_as):
    login_as("staff")
    token = client.environ_base.pop("HTTP_X_CSRF_TOKEN")
    r = client.post("/api/auth/logout")
    assert r.status_code == 403
    assert r.get_json() == {"error": "csrf", "code": "csrf"}
    r = client.post("/api/auth/logout", headers={"X-CSRF-Token": "forged"})
    assert r.get_json() == {"error": "csrf", "code": "csrf"}
    assert client.get("/api/auth/me").status_code == 200  # still logged in: nothing changed
    r = client.post("/api/auth/logout", headers={"X-CSRF-Token": token})
    assert r.status_code == 200
    assert client.get("/api/auth/me").status_code == 401


def test_csrf_endpoint_answers_the_session_token(client, login_as):
    login_as("staff")
    token = client.environ_base["HTTP_X_CSRF_TOKEN"]
    assert client.get("/api/auth/csrf").get_json() == {"csrf_token": token}


def test_session_is_renewed_at_login(client, make_user):
    first = make_user(role="admin")
    second = make_user(role="admin")
    login(client, first.email)
    old_token = client.environ_base["HTTP_X_CSRF_TOKEN"]
    login(client, second.email)
    assert client.environ_base["HTTP_X_CSRF_TOKEN"] != old_token
    assert client.get("/api/auth/me").get_json()["email"] == second.email


def test_failed_logins_are_rate_limited_per_ip(client, make_user):
    user = make_user(role="admin")
    codes = [client.post("/api/auth/login", json={"email": f"x{i}@test.local", "password": "bad-pass"}).status_code
             for i in range(6)]
    assert codes[:5] == [401] * 5
    assert codes[5] == 429
    r = client.post("/api/auth/login", json={"email": user.email, "password": TEST_PASSWORD})
    assert r.status_code == 429
    assert r.get_json() == {"error": "too many requests", "code": "too_many_requests"}


def test_failed_logins_are_rate_limited_per_email_across_ips(client, make_user):
    user = make_user(role="admin")
    for i in range(5):
        r = client.post("/api/auth/login", json={"email": user.email, "password": "bad-pass"},
                        environ_base={"REMOTE_ADDR": f"10.0.0.{i + 1}"})
        assert r.status_code == 401
    r = client.post("/api/auth/login", json={"email": user.email, "password": TEST_PASSWORD},
                    environ_base={"REMOTE_ADDR": "10.0.0.99"})
    assert r.status_code == 429


@pytest.fixture()
def limiter_redis_down(app):
    """An app whose rate limiter stores its counters in a Redis that is not there (port 1).
    The limiter is one object shared by every app: its storage is put back afterwards."""
    from server.extensions import limiter
    saved = {k: getattr(limiter, k, None) for k in ("_storage", "_limiter", "_storage_dead", "_fallback_limiter",
                                               "_fallback_storage")}
    try:
        yield create_app(make_test_config(RATELIMIT_STORAGE_URI="redis://127.0.0.1:1"))
    finally:
        for key, value in saved.items():
            setattr(limiter, key, value)


def test_login_with_the_rate_limit_redis_down_is_never_a_500(db, make_user, limiter_redis_down, caplog):
    user = make_user(role="admin")
    c = limiter_redis_down.test_client()
    ok = c.post("/api/auth/login", json={"email": user.email, "password": TEST_PASSWORD})
    assert ok.status_code == 200 and ok.get_json()["user"]["email"] == user.email
    codes = [c.post("/api/auth/login", json={"email": "nobody@kesher.test", "password": "לא-נכונה"},
                    environ_base={"REMOTE_ADDR": "198.51.100.4"}).status_code for _ in range(7)]
    # The limit still holds, counted in this process's memory until Redis is back.
    assert codes == [401] * 5 + [429] * 2
    assert "falling back to in-memory storage" in caplog.text


def test_successful_logins_are_not_counted(client, make_user):
    user = make_user(role="admin")
    for _ in range(8):
        r = client.post("/api/auth/login", json={"email": user.email, "password": TEST_PASSWORD})
        assert r.status_code == 200


def _app_with_guarded_routes():
    app = create_app(make_test_config())
    bp = Blueprint("guarded", __name__, url_prefix="/api/guarded")

    @bp.get("/any")
    @auth_required
    def any_user():
        return jsonify({"ok": True})

    @bp.get("/admin")
    @roles_required("admin")
    def admin_only():
        return jsonify({"ok": True})

    @bp.get("/boom")
    def boom():
        raise RuntimeError("secret internals: /etc/passwd")

    app.register_blueprint(bp)
    return app


def test_401_when_logged_out_and_403_for_the_wrong_role(db, make_user, make_business):
    app = _app_with_guarded_routes()
    client = app.test_client()
    assert client.get("/api/guarded/admin").status_code == 401
    assert client.get("/api/guarded/admin").get_json() == {"error": "unauthorized", "code": "unauthorized"}
    viewer = make_user(role="viewer", business=make_business())
    login(client, viewer.email)
    assert client.get("/api/guarded/any").status_code == 200
    r = client.get("/api/guarded/admin")
    assert r.status_code == 403
    assert r.get_json() == {"error": "forbidden", "code": "forbidden"}
    admin = make_user(role="admin")
    login(client, admin.email)
    assert client.get("/api/guarded/admin").status_code == 200


def test_500_is_json_without_a_stack_trace(db):
    app = _app_with_guarded_routes()
    app.config["PROPAGATE_EXCEPTIONS"] = False
    r = app.test_client().get("/api/guarded/boom")
    assert r.status_code == 500
    assert r.get_json() == {"error": "internal error", "code": "internal_error"}
    assert b"Traceback" not in r.data and b"passwd" not in r.data
