"""Socket.IO: only logged-in sessions connect, and each hears only its own business."""
from __future__ import annotations

from server.extensions import socketio
from server.services.realtime import publish
from server.tests.conftest import login


def _socket(app, http_client):
    return socketio.test_client(app, flask_test_client=http_client)


def _events(socket_client):
    return [(m["name"], m["args"][0]) for m in socket_client.get_received()]


def test_logged_out_browser_cannot_connect(app, client):
    sock = _socket(app, client)
    assert not sock.is_connected()


def test_staff_hears_own_business_only(app, db, make_business, make_user):
    mine, other = make_business("מספרת רותי"), make_business("מוסך אבי")
    me, stranger = make_user("staff", mine), make_user("viewer", other)
    my_http, their_http = app.test_client(), app.test_client()
    login(my_http, me.email)
    login(their_http, stranger.email)
    my_sock, their_sock = _socket(app, my_http), _socket(app, their_http)
    assert my_sock.is_connected() and their_sock.is_connected()
    my_sock.get_received(), their_sock.get_received()

    publish(mine.id, "whatsapp.message", {"id": 7, "text": "שלום"})

    assert _events(my_sock) == [("whatsapp.message", {"id": 7, "text": "שלום"})]
    assert _events(their_sock) == []
    my_sock.disconnect()
    their_sock.disconnect()


def test_platform_admin_hears_every_business(app, db, make_business, make_user):
    business = make_business()
    admin = make_user("admin", None)
    http = app.test_client()
    login(http, admin.email)
    sock = _socket(app, http)
    assert sock.is_connected()
    sock.get_received()
    publish(business.id, "call.created", {"id": 3})
    assert _events(sock) == [("call.created", {"id": 3})]
    sock.disconnect()


def test_deactivated_business_cannot_connect(app, db, make_business, make_user):
    business = make_business()
    user = make_user("staff", business)
    http = app.test_client()
    login(http, user.email)
    business.active = False
    db.session.commit()
    assert not _socket(app, http).is_connected()


def test_deactivated_user_cannot_connect(app, db, make_business, make_user):
    user = make_user("staff", make_business())
    http = app.test_client()
    login(http, user.email)
    user.active = False
    db.session.commit()
    assert not _socket(app, http).is_connected()


# ---- an open socket ends with the user's sessions ----------------------------------------

def _listening_staff(app, make_business, make_user):
    """A staff member's browser with an open socket, and their business admin's browser."""
    business = make_business()
    admin, staff = make_user("admin", business), make_user("staff", business)
    admin_http, staff_http = app.test_client(), app.test_client()
    login(admin_http, admin.email)
    login(staff_http, staff.email)
    sock = _socket(app, staff_http)
    assert sock.is_connected()
    sock.get_received()
    return business, staff, admin_http, staff_http, sock


def _delivered(sock):
    # What reached this client, read directly: get_received() refuses a closed socket.
    return [m["name"] for m in sock.queue]


def _assert_ended(sock, business):
    assert not sock.is_connected()
    publish(business.id, "whatsapp.message", {"id": 9, "text": "סודי"})
    assert _delivered(sock) == []


def test_logout_disconnects_the_users_open_socket(app, db, make_business, make_user):
    business, _, _, staff_http, sock = _listening_staff(app, make_business, make_user)
    assert staff_http.post("/api/auth/logout").status_code == 200
    _assert_ended(sock, business)


def test_deactivation_disconnects_the_users_open_socket(app, db, make_business, make_user):
    business, staff, admin_http, _, sock = _listening_staff(app, make_business, make_user)
    assert admin_http.post(f"/api/users/{staff.id}/deactivate").status_code == 200
    _assert_ended(sock, business)


def test_a_role_change_disconnects_the_users_open_socket(app, db, make_business, make_user):
    business, staff, admin_http, _, sock = _listening_staff(app, make_business, make_user)
    assert admin_http.put(f"/api/users/{staff.id}", json={"role": "viewer"}).status_code == 200
    _assert_ended(sock, business)


def test_a_password_reset_disconnects_the_users_open_socket(app, db, make_business, make_user):
    business, staff, admin_http, _, sock = _listening_staff(app, make_business, make_user)
    assert admin_http.put(f"/api/users/{staff.id}", json={"password": "another-pass-1"}).status_code == 200
    _assert_ended(sock, business)


def test_ending_one_users_sockets_leaves_the_others_listening(app, db, make_business, make_user):
    business, staff, admin_http, _, sock = _listening_staff(app, make_business, make_user)
    admin_sock = _socket(app, admin_http)
    admin_sock.get_received()
    assert admin_http.post(f"/api/users/{staff.id}/deactivate").status_code == 200
    publish(business.id, "call.created", {"id": 4})
    assert admin_sock.is_connected() and _events(admin_sock) == [("call.created", {"id": 4})]
    assert not sock.is_connected() and _delivered(sock) == []
    admin_sock.disconnect()


def test_a_cookie_whose_session_ended_cannot_reconnect(app, db, make_business, make_user):
    business, staff, admin_http, staff_http, sock = _listening_staff(app, make_business, make_user)
    thief = app.test_client()
    thief.set_cookie("kesher_session", staff_http.get_cookie("kesher_session").value)
    assert staff_http.post("/api/auth/logout").status_code == 200
    assert not _socket(app, thief).is_connected()


def test_ending_a_businesss_sockets_disconnects_its_users_but_not_the_platform_admin(
        app, db, make_business, make_user):
    from server.services.realtime import end_business_sockets
    business, _, _, _, sock = _listening_staff(app, make_business, make_user)
    platform_http = app.test_client()
    login(platform_http, make_user("admin", None).email)
    platform_sock = _socket(app, platform_http)
    platform_sock.get_received()

    end_business_sockets(business.id)

    _assert_ended(sock, business)
    assert platform_sock.is_connected()
    assert _events(platform_sock) == [("whatsapp.message", {"id": 9, "text": "סודי"})]
    platform_sock.disconnect()


def _platform_admin_http(app, make_user):
    http = app.test_client()
    login(http, make_user("admin", None).email)
    return http


def test_deactivating_a_business_disconnects_its_open_sockets(app, db, make_business, make_user):
    business, _, _, _, sock = _listening_staff(app, make_business, make_user)
    platform_http = _platform_admin_http(app, make_user)
    assert platform_http.post(f"/api/businesses/{business.id}/deactivate").status_code == 200
    _assert_ended(sock, business)


def test_deleting_a_business_disconnects_its_open_sockets(app, db, make_business, make_user):
    business, _, _, _, sock = _listening_staff(app, make_business, make_user)
    platform_http = _platform_admin_http(app, make_user)
    assert platform_http.delete(f"/api/businesses/{business.id}").status_code in (200, 204)
    _assert_ended(sock, business)
