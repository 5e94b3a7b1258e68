"""Live events to browsers (Socket.IO). Each business has its own room.

Browsers hold their sockets on a web process. With REDIS_URL every process (web or job
worker) emits through Redis, Flask-SocketIO's message queue. Without Redis — `make run`
on a fresh machine — the job worker has no way to reach those sockets, so it relays its
events to the web process over loopback HTTP (`POST /api/internal/realtime`, signed with
a key derived from SECRET_KEY for this purpose only), and the web process emits them. A
relay that fails is logged and dropped: live events are best effort (a browser that
misses one refetches), a job must never fail because of one.

Each socket also joins its user's room (`user:<id>`). Ending a user's sessions (logout, a
password, role or business change, deactivation) ends their open sockets with
end_user_sockets: closing a user's room disconnects its members, in this process and,
through Redis, in every other web process (ClosingRedisManager). end_business_sockets does
the same for a business's room.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import logging

from socketio import Manager, RedisManager
from socketio.pubsub_manager import PubSubManager

from server.extensions import socketio

log = logging.getLogger(__name__)

RELAY_PATH = "/api/internal/realtime"
RELAY_SIGNATURE_HEADER = "X-Kesher-Relay-Signature"
RELAY_TIMEOUT_SECONDS = 2.0
# The relay signs with its own key, HMAC(SECRET_KEY, label): a relay signature can never
# double as any other signature made with SECRET_KEY (session cookies, export links).
RELAY_KEY_LABEL = b"kesher realtime relay v1"

_relay: dict | None = None  # {"url", "secret"} in a process that relays instead of emitting


def business_room(business_id: int) -> str:
    return f"business:{business_id}"


def user_room(user_id: int) -> str:
    return f"user:{user_id}"


def end_user_sockets(user_id: int) -> None:
    """Disconnect every open socket of this user, whichever web process holds it."""
    _end_room(user_room(user_id))


def end_business_sockets(business_id: int) -> None:
    """Disconnect every open socket listening to this business (it was deactivated or
    deleted); platform admins, who listen to every business, stay connected."""
    _end_room(business_room(business_id))


def _end_room(room: str) -> None:
    """Best effort like publish (a dead message queue must not fail a logout): a socket left
    open by a failure still cannot reconnect, and its HTTP session is already refused."""
    try:
        if isinstance(socketio.server.manager, PubSubManager):
            socketio.server.manager.close_room(room, namespace="/")  # here and in every other process
        else:
            _disconnect_members(socketio.server, room, "/")
    except Exception as exc:  # noqa: BLE001
        log.warning("ending the sockets of %s failed: %s", room.split(":")[0], exc.__class__.__name__)


def _disconnect_members(server, room: str, namespace: str) -> None:
    """Disconnect the sockets of room that this process holds."""
    for sid, _eio_sid in list(server.manager.get_participants(namespace, room)):
        server.disconnect(sid, namespace=namespace, ignore_queue=True)


class ClosingRedisManager(RedisManager):
    """Flask-SocketIO's Redis manager, but closing a user's or business's room disconnects
    its members.

    close_room is the one room-wide message python-socketio already carries to every
    process; each process disconnects the members it holds. Other rooms close as usual.
    """

    def _handle_close_room(self, message):
        room, namespace = message.get("room"), message.get("namespace") or "/"
        if isinstance(room, str) and room.startswith(("user:", "business:")):
            _disconnect_members(self.server, room, namespace)
        super()._handle_close_room(message)


def client_manager(redis_url: str | None):
    """The Socket.IO client manager for create_app: this process's memory, or Redis shared by
    every process (same channel as Flask-SocketIO's default, so web and worker meet).

    Always a new one: Flask-SocketIO keeps init_app's options across calls, so an app made
    without Redis after one made with it would otherwise inherit its manager."""
    if not redis_url:
        return Manager()
    return ClosingRedisManager(redis_url, channel="flask-socketio")


def relay_through(base_url: str, secret: str) -> None:
    """This process (the job worker without Redis) hands its events to the web process at base_url."""
    global _relay
    _relay = {"url": base_url.rstrip("/") + RELAY_PATH, "secret": secret}
    log.info("live events relayed to the web process at %s", base_url)


def stop_relaying() -> None:
    global _relay
    _relay = None


def relay_signature(secret: str, body: bytes) -> str:
    """`secret` is SECRET_KEY, which the worker and the web process share (the environment,
    or the generated instance/secret_key both read)."""
    key = hmac.new(secret.encode(), RELAY_KEY_LABEL, hashlib.sha256).digest()
    return hmac.new(key, body, hashlib.sha256).hexdigest()


def publish(business_id: int | None, event: str, payload: dict) -> None:
    """Best effort: a browser that misses an event refetches; the request must not fail."""
    if business_id is None:
        return
    if _relay is not None:
        _send_to_relay(business_id, event, payload)
        return
    emit_locally(business_id, event, payload)


def emit_locally(business_id: int, event: str, payload: dict) -> None:
    try:
        socketio.emit(event, payload, to=business_room(business_id))
        socketio.emit(event, payload, to="platform")  # platform admins watch every business
    except Exception as exc:  # noqa: BLE001 — a dead message queue must not fail a webhook
        log.warning("realtime publish of %s failed: %s", event, exc.__class__.__name__)


def _send_to_relay(business_id: int, event: str, payload: dict) -> None:
    import requests

    body = json.dumps({"business_id": business_id, "event": event, "payload": payload},
                      ensure_ascii=False, default=str).encode()
    try:
        response = requests.post(_relay["url"], data=body, timeout=RELAY_TIMEOUT_SECONDS, headers={
            "Content-Type": "application/json",
            RELAY_SIGNATURE_HEADER: relay_signature(_relay["secret"], body)})
        if response.status_code != 204:
            log.warning("realtime relay of %s answered %s", event, response.status_code)
    except requests.RequestException as exc:
        log.warning("realtime relay of %s failed: %s", event, exc.__class__.__name__)


def accept_relayed(body: bytes, signature: str, secret: str) -> None:
    """The web process's side: check the worker's signature, then emit to the browsers here."""
    from server.error_codes import ErrorCode
    from server.errors import FieldError, Forbidden, ValidationFailed

    if not signature or not hmac.compare_digest(relay_signature(secret, body), signature):
        raise Forbidden("forbidden")
    from server.json_input import loads as loads_untrusted

    try:
        message = loads_untrusted(body)  # nested too deep is malformed, like any other non-JSON
    except ValueError:
        message = None
    if (not isinstance(message, dict) or not isinstance(message.get("business_id"), int)
            or not isinstance(message.get("event"), str) or not isinstance(message.get("payload"), dict)):
        raise ValidationFailed({"body": FieldError(ErrorCode.EVENT_FIELDS_REQUIRED, "business_id, event and payload required")})
    emit_locally(message["business_id"], message["event"], message["payload"])
