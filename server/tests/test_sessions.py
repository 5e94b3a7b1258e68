"""Session revocation: logout, a new password, a role or business change and deactivation
end every session of the user at once — a copied cookie included."""
from __future__ import annotations

from server.tests.conftest import login

COOKIE = "kesher_session"


def _copy_of(app, client):
    """A second browser holding a copy of client's session cookie (and its CSRF token)."""
    thief = app.test_client()
    thief.set_cookie(COOKIE, client.get_cookie(COOKIE).value)
    thief.environ_base["HTTP_X_CSRF_TOKEN"] = client.environ_base["HTTP_X_CSRF_TOKEN"]
    return thief


def _logged_in(app, user):
    browser = app.test_client()
    login(browser, user.email)
    return browser


def test_a_copied_cookie_cannot_act_after_logout(app, db, make_business, make_user):
    business = make_business()
    staff = make_user("staff", business)
    browser = _logged_in(app, staff)
    thief = _copy_of(app, browser)
    assert thief.get("/api/auth/me").status_code == 200

    assert browser.post("/api/auth/logout").status_code == 200

    assert thief.get("/api/auth/me").status_code == 401
    r = thief.post("/api/crm/customers", json={"name": "לקוח מזויף", "phone": "0501234567"})
    assert r.status_code == 401 and r.get_json() == {"error": "unauthorized", "code": "unauthorized"}
    from server.models import Customer
    assert db.session.query(Customer).count() == 0


def test_logout_in_one_browser_ends_the_users_other_browsers(app, db, make_business, make_user):
    staff = make_user("staff", make_business())
    laptop, phone = _logged_in(app, staff), _logged_in(app, staff)
    assert laptop.post("/api/auth/logout").status_code == 200
    assert phone.get("/api/auth/me").status_code == 401


def test_a_password_reset_by_an_admin_ends_the_users_sessions(app, db, make_business, make_user):
    business = make_business()
    admin, staff = make_user("admin", business), make_user("staff", business)
    admin_browser, staff_browser = _logged_in(app, admin), _logged_in(app, staff)

    r = admin_browser.put(f"/api/users/{staff.id}", json={"password": "a-brand-new-pass"})
    assert r.status_code == 200

    assert staff_browser.get("/api/auth/me").status_code == 401
    assert admin_browser.get("/api/auth/me").status_code == 200  # the admin's own session is untouched


def test_your_own_new_password_ends_your_other_sessions_but_not_this_one(app, db, make_business, make_user):
    admin = make_user("admin", make_business())
    here, elsewhere = _logged_in(app, admin), _logged_in(app, admin)
    assert here.put(f"/api/users/{admin.id}", json={"password": "my-new-password"}).status_code == 200
    assert here.get("/api/auth/me").status_code == 200
    assert elsewhere.get("/api/auth/me").status_code == 401


def test_a_role_change_ends_the_users_sessions(app, db, make_business, make_user):
    business = make_business()
    admin, staff = make_user("admin", business), make_user("staff", business)
    admin_browser, staff_browser = _logged_in(app, admin), _logged_in(app, staff)
    assert admin_browser.put(f"/api/users/{staff.id}", json={"role": "viewer"}).status_code == 200
    assert staff_browser.get("/api/auth/me").status_code == 401
    # Logging in again gives a session with the new role.
    assert _logged_in(app, staff).get("/api/auth/me").get_json()["role"] == "viewer"


def test_a_business_change_ends_the_users_sessions(app, db, make_business, make_user):
    first, second = make_business(), make_business()
    platform_admin, staff = make_user("admin", None), make_user("staff", first)
    admin_browser, staff_browser = _logged_in(app, platform_admin), _logged_in(app, staff)
    assert admin_browser.put(f"/api/users/{staff.id}", json={"business_id": second.id}).status_code == 200
    assert staff_browser.get("/api/auth/me").status_code == 401


def test_a_name_change_keeps_the_users_sessions(app, db, make_business, make_user):
    business = make_business()
    admin, staff = make_user("admin", business), make_user("staff", business)
    admin_browser, staff_browser = _logged_in(app, admin), _logged_in(app, staff)
    assert admin_browser.put(f"/api/users/{staff.id}", json={"name": "נועה"}).status_code == 200
    assert staff_browser.get("/api/auth/me").status_code == 200


def test_a_session_ended_by_deactivation_stays_ended_after_reactivation(app, db, make_business, make_user):
    business = make_business()
    admin, staff = make_user("admin", business), make_user("staff", business)
    admin_browser, staff_browser = _logged_in(app, admin), _logged_in(app, staff)
    assert admin_browser.post(f"/api/users/{staff.id}/deactivate").status_code == 200
    assert admin_browser.post(f"/api/users/{staff.id}/reactivate").status_code == 200
    assert staff_browser.get("/api/auth/me").status_code == 401
    assert _logged_in(app, staff).get("/api/auth/me").status_code == 200
