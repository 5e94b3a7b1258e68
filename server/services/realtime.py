"""Live events to browsers (Socket.IO). Each business has its own room."""
from __future__ import annotations

import logging

from server.extensions import socketio

log = logging.getLogger(__name__)


def business_room(business_id: int) -> str:
    return f"business:{business_id}"


def publish(business_id: int | None, event: str, payload: dict) -> None:
    """Best effort: a browser that misses an event refetches; the request must not fail."""
    if business_id is None:
        return
    try:
        socketio.emit(event, payload, to=business_room(business_id))
        socketio.emit(event, payload, to="platform")  # platform admins watch every business
    except Exception as exc:  # noqa: BLE001 — a dead message queue must not fail a webhook
        log.warning("realtime publish of %s failed: %s", event, exc.__class__.__name__)
