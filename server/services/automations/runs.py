"""Firing an automation exactly once: its AutomationRun (unique per business, kind and key) and
its WhatsApp message commit together, or neither does."""
from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable

from sqlalchemy.exc import IntegrityError

from server.errors import AppError
from server.extensions import db
from server.models import AutomationRun, WhatsAppMsg

log = logging.getLogger(__name__)

Send = Callable[[Callable[[WhatsAppMsg], None]], WhatsAppMsg]


def _claim(run: AutomationRun) -> bool:
    try:
        with db.session.begin_nested():
            db.session.add(run)
    except IntegrityError:
        return False
    return True


def _reason(exc: AppError) -> str:
    """The most specific code: a field's (template_without_content_sid) before the error's."""
    codes = [getattr(value, "code", None) for value in (exc.fields or {}).values()] + [exc.code]
    code = next(c for c in codes + [exc.__class__.__name__] if c)
    return str(getattr(code, "value", code))


def fire(business_id: int, kind: str, key: str, send: Send, *, customer_id: int | None = None,
         call_id: int | None = None) -> AutomationRun | None:
    """Send once for (business, kind, key). None when it already fired (now or before);
    else the run: `queued` with its message, or `skipped` with why (the provider would refuse
    it: no template ContentSid, outside the window...), logged and shown on the screen."""
    # Hashed: the key names a phone number, which must not outlive the customer's erasure here.
    digest = hashlib.sha256(key.encode()).hexdigest()
    fields = dict(business_id=business_id, kind=kind, dedupe_key=digest, customer_id=customer_id, call_id=call_id)
    run = AutomationRun(status="queued", **fields)
    if not _claim(run):
        log.info("automation %s for business %s: already fired for this key", kind, business_id)
        return None

    def link(message: WhatsAppMsg) -> None:
        run.message_id = message.id

    try:
        message = send(link)  # queue_message commits the run with its message
    except AppError as exc:
        # Refused before anything was stored: the key stays used (the next call-end of the
        # day would be refused the same way), and the run says why.
        run.status, run.reason = "skipped", _reason(exc)[:64]
        db.session.commit()
        log.warning("automation %s for business %s not sent: %s", kind, business_id, run.reason)
        return run
    log.info("automation %s for business %s: whatsapp %s queued", kind, business_id, message.id)
    return run
