"""The away message: an inbound WhatsApp while the business is closed gets the business's away
text, once per conversation (the customer's number) per closed period. Called by the WhatsApp
agent's job for each inbound text the agent does not answer — not from record_inbound."""
from __future__ import annotations

import logging

from server.extensions import db
from server.models import Customer, WhatsAppMsg
from server.services import whatsapp
from server.services.automations.hours import closed_period
from server.services.automations.runs import fire
from server.services.automations.settings import get_settings
from server.sqlite_locking import write_lock_first_here

log = logging.getLogger(__name__)
KIND = "away_message"


def on_inbound_whatsapp(message: WhatsAppMsg) -> bool:
    """Send the away message in reply to the stored inbound `message` when the business was
    closed as it arrived, its away message is on, and this conversation has not had it in this
    closed period. True when an away message was queued now. Commits the session.

    Call record_opt_out_if_asked(message) first: an opted-out customer gets no away message."""
    if message.direction != "inbound" or message.business_id is None or not message.from_number:
        return False
    business_id, sender, at = message.business_id, message.from_number, message.created_at
    settings = get_settings(business_id).away_message
    if not settings.enabled:
        return False
    customer = db.session.get(Customer, message.customer_id) if message.customer_id else None
    if customer is not None and customer.whatsapp_opted_out_at is not None:
        return False
    period = closed_period(business_id, at)
    if period is None:
        return False
    message_id = message.id
    # End the caller's transaction (it commits, as documented), so the next one begins with
    # SQLite's write lock and two concurrent inbound messages queue instead of colliding.
    db.session.commit()
    with write_lock_first_here():
        run = fire(business_id, KIND, f"{sender}:{period}",
                   lambda on_stored: whatsapp.queue_message(
                       business_id, to=sender, text=settings.text, on_stored=on_stored,
                       flags={"automation": KIND, "reply_to": message_id}),
                   customer_id=customer.id if customer else None)
    return run is not None and run.status == "queued"
