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
