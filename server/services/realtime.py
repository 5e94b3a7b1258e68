"""Live events to browsers (Socket.IO). Each business has its own room.

Browsers hold their sockets on a web process. With REDIS_URL every process (web or job
worker) emits through Redis, Flask-SocketIO's message queue. Without Redis — `make run`
on a fresh machine — the job worker has no way to reach those sockets, so it relays its
events to the web process over loopback HTTP (`POST /api/internal/realtime`, signed with
an HMAC of SECRET_KEY), and the web process emits them. A relay that fails is logged
and dropped: live events are best effort (a browser that misses one refetches), a job
must never fail because of one.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import logging

from server.extensions import socketio

log = logging.getLogger(__name__)

RELAY_PATH = "/api/internal/realtime"
RELAY_SIGNATURE_HEADER = "X-Kesher-Relay-Signature"
RELAY_TIMEOUT_SECONDS = 2.0

_relay: dict | None = None  # {"url", "secret"} in a process that relays instead of emitting


def business_room(business_id: int) -> str:
    return f"business:{business_id}"


def relay_through(base_url: str, secret: str) -> None:
    """This process (the job worker without Redis) hands its events to the web process at base_url."""
    global _relay
    _relay = {"url": base_url.rstrip("/") + RELAY_PATH, "secret": secret}
    log.info("live events relayed to the web process at %s", base_url)


def stop_relaying() -> None:
    global _relay
    _relay = None


def relay_signature(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


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
    from server.errors import Forbidden, ValidationFailed

    if not signature or not hmac.compare_digest(relay_signature(secret, body), signature):
        raise Forbidden("forbidden")
    from server.json_input import loads as loads_untrusted

    try:
        message = loads_untrusted(body)  # nested too deep is malformed, like any other non-JSON
    except ValueError:
        message = None
    if (not isinstance(message, dict) or not isinstance(message.get("business_id"), int)
            or not isinstance(message.get("event"), str) or not isinstance(message.get("payload"), dict)):
        raise ValidationFailed({"body": "business_id, event and payload required"})
    emit_locally(message["business_id"], message["event"], message["payload"])
