"""A customer who writes "הסר" is opted out: no campaign or automation messages them again."""
from __future__ import annotations

import logging
import re

from server.extensions import db
from server.models import Customer, WhatsAppMsg
from server.services import audit

log = logging.getLogger(__name__)

# The whole message, after niqqud, punctuation and spacing are dropped: "הסר" inside a
# longer sentence ("איך מסירים כתם?") is not a request.
OPT_OUT_PHRASES = frozenset({"הסר", "הסרה", "הסירו", "הסר אותי", "הסירו אותי", "תסירו אותי", "הסירי אותי",
                             "נא להסיר", "להסיר", "stop", "unsubscribe"})
_MARKS = re.compile(r"[\u0591-\u05C7]")
_NOT_WORD = re.compile(r"[^\w\s]")


def normalize(text: str | None) -> str:
    text = _MARKS.sub("", text or "")
    return " ".join(_NOT_WORD.sub(" ", text).split()).lower()


def asks_to_opt_out(text: str | None) -> bool:
    return normalize(text) in OPT_OUT_PHRASES


def record_opt_out_if_asked(message: WhatsAppMsg) -> bool:
    """When the stored inbound `message` asks to be removed, mark its customer opted out
    (audited, committed). True when this message opted the customer out now; False otherwise
    (not a request, not inbound, no customer, or already opted out)."""
    if message.direction != "inbound" or message.customer_id is None or not asks_to_opt_out(message.body):
        return False
    customer = db.session.get(Customer, message.customer_id)
    if customer is None or customer.business_id != message.business_id or customer.whatsapp_opted_out_at:
        return False
    customer.whatsapp_opted_out_at = message.created_at
    audit.record("update", "customer", customer.id, business_id=customer.business_id,
                 details={"fields": ["whatsapp_opted_out_at"], "via": "whatsapp", "message_id": message.id})
    db.session.commit()
    log.info("customer %s opted out of WhatsApp messages (message %s)", customer.id, message.id)
    return True
