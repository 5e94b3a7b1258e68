"""Socket.IO connections of logged-in browsers.

On connect the session cookie must belong to an active user of an active business; the
socket then joins its business's room (`business:<id>`), or `platform` for a platform
admin, which is where server/services/realtime.py publishes, and its user's room
(`user:<id>`), through which ending the user's sessions disconnects it. Anyone else is
refused, so no event of one business ever reaches another's browser.
"""
from __future__ import annotations

import logging

from flask import Blueprint, request, session
from flask_socketio import join_room

from server.config import current
from server.extensions import socketio
from server.services import realtime
from server.authz import session_user
from server.services.realtime import business_room, user_room

log = logging.getLogger(__name__)

realtime_bp = Blueprint("realtime", __name__)


@realtime_bp.post(realtime.RELAY_PATH)
def relay():
    """The job worker's live events when there is no Redis (signed; see services/realtime.py)."""
    realtime.accept_relayed(request.get_data(cache=False), request.headers.get(realtime.RELAY_SIGNATURE_HEADER, ""),
                            current().app.secret_key)
    return ("", 204)


def socket_rooms_for_session() -> list[str] | None:
    """The rooms this connection joins, or None when it may not connect.

    The same check as every HTTP request (authz.session_user): a cookie whose session was
    ended (logout, password, role or business change, deactivation) cannot reconnect.
    """
    user = session_user(session.get("user"))
    if user is None:
        return None
    if user.is_platform_admin:
        return ["platform", user_room(user.id)]
    business = user.business
    if business is None or not business.active or business.deleted_at is not None:
        return None
    return [business_room(business.id), user_room(user.id)]


def on_connect(auth=None):
    rooms = socket_rooms_for_session()
    if rooms is None:
        log.info("socket refused: no active session")
        return False  # Socket.IO answers the client with a connect_error
    for room in rooms:
        join_room(room)
    return True


def register_socket_handlers() -> None:
    """Attach the handlers to the Socket.IO server of the app being created.

    Called from create_app after socketio.init_app: each init_app builds a new server, and
    Flask-SocketIO attaches a handler only to the server that exists when it is declared.
    Registering again replaces the handler (one per event), never duplicates it.
    """
    socketio.on_event("connect", on_connect)
