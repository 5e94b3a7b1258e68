"""The development transport: the default when no WhatsApp credentials are set.

It delivers nothing. It says so in the log on every message, and the service marks
each message it handles (`flags.dev_transport`, `flags.not_delivered`) so nobody
mistakes it for delivered. The last messages are kept in memory for inspection.
"""
from __future__ import annotations

import collections
import logging
import threading

from server.providers.whatsapp.base import Lookup, Outbound, SendResult, WhatsAppTransport

log = logging.getLogger(__name__)

OUTBOX: collections.deque = collections.deque(maxlen=200)
_lock = threading.Lock()


class DevTransport(WhatsAppTransport):
    name = "dev"
    real = False
    can_lookup = True

    def send(self, message: Outbound) -> SendResult:
        with _lock:
            OUTBOX.append({"key": message.key, "to": message.to, "text": message.text,
                           "template": message.template.name if message.template else None,
                           "media": [{"kind": m.kind, "content_type": m.content_type, "filename": m.filename}
                                     for m in message.media]})
        if message.media:
            log.warning("WhatsApp DEV TRANSPORT: %s (%s) NOT delivered", message.media[0].kind, message.media[0].content_type)
        log.warning("WhatsApp DEV TRANSPORT: message %s to %s NOT delivered (no provider configured)",
                    message.key, message.to)
        return SendResult(provider_message_id=f"dev-{message.key}", status="sent",
                          flags={"dev_transport": True, "not_delivered": True})

    def lookup(self, message: Outbound) -> Lookup:
        # Nothing leaves this process, so "sending it again" delivers nothing twice either.
        with _lock:
            hit = any(item["key"] == message.key for item in OUTBOX)
        return Lookup(found=hit, provider_message_id=f"dev-{message.key}" if hit else None,
                      status="sent" if hit else None)
