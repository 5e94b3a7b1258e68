"""WhatsApp: queue outbound messages, send each exactly once, record inbound, apply statuses.

The message row is the source of truth; the job queue only carries message ids.

Sending a message (attempt_send, run by the huey job):
  1. Claim it with a compare-and-set on (status, attempts): status → `sending`,
     attempts + 1, next_attempt_at → now + lease. Only one worker wins a claim.
  2. If the previous attempt was left in `sending` (worker killed, timeout, dropped
     connection), its outcome is unknown: reconcile with the provider before any resend
     (Twilio: list the pair's messages; Meta: wait for the status webhook that echoes
     our idempotency key). Found → record it, do not send.
  3. Send. Success → provider id + `sent`. Failure → back to `queued` (the provider
     said no) or left in `sending` (it may have landed), with a growing delay; a
     permanent error or too many attempts → `failed` with the provider's code and text.
A periodic sweep re-enqueues every queued/sending message that is due, so a job lost
with a killed worker (huey does not acknowledge tasks) is picked up again.

Statuses only move up STATUS_RANK, with conditional UPDATEs, so concurrent or
out-of-order callbacks always end in the same state.
"""
from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import fields as dataclass_fields, replace
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError

from server import jobs
from server.config import current
from server.error_codes import ErrorCode
from server.errors import BadRequest, Conflict, FieldError, NotFound, ValidationFailed
from server.extensions import db
from server.json_input import has_lone_surrogate
from server.models import Business, WhatsAppMsg, WhatsAppTemplate
from server.models.base import iso, utcnow
from server.phones import normalize_phone, try_normalize_phone
from server.providers.whatsapp import NotConfigured, build_transport, choose, transport_class
from server.providers.whatsapp.base import (
    STATUS_RANK, InboundMessage, Outbound, StatusUpdate, Template, TransportError, missing_variables,
    render_template,
)
from server.services import audit, realtime, whatsapp_media
from server.services.customers.crud import customer_names, find_customer_by_phone, find_or_create_lead, get_customer
from server.tenancy import BusinessScope, scope_filter

log = logging.getLogger(__name__)

WINDOW = timedelta(hours=24)
OPEN_STATUSES = ("queued", "sending")
# A job may fire a moment before the row's due time (clock rounding); this much is fine.
EARLY_TOLERANCE = timedelta(milliseconds=500)
SWEEP_HORIZON_SECONDS = 60
# WhatsApp caps a text at 4096 characters; anything far beyond that is not a real message.
MAX_STORED_TEXT = 65536


class RejectedInbound(Exception):
    """An inbound message that cannot be stored: no valid sender, or no business owns the number."""

    def __init__(self, message: str, code: ErrorCode):
        super().__init__(message)
        self.code = code


# ---- per-business transport ------------------------------------------------------------

def business_account(business: Business) -> dict:
    """The business's non-secret provider ids: Twilio sender number, Meta phone_number_id."""
    config = dict(business.whatsapp_config or {})
    sender = try_normalize_phone(config.get("sender") or business.whatsapp_number)
    return {"sender": sender, "phone_number_id": config.get("phone_number_id")}


def transport_state(business_id: int) -> dict:
    """Which transport this business's messages go through, and whether they are delivered."""
    business = _business(business_id)
    provider, fallback = choose(business.whatsapp_provider, current(), business_account(business))
    return {"business_id": business.id, "configured": business.whatsapp_provider or "dev",
            "provider": provider, "delivers": provider != "dev", "fallback": fallback,
            "warning": None if provider != "dev" else
            "development transport: messages are stored but not delivered to WhatsApp"}


def _business(business_id: int) -> Business:
    business = db.session.get(Business, business_id)
    if business is None or business.deleted_at is not None:
        raise NotFound("business not found", code=ErrorCode.BUSINESS_NOT_FOUND)
    return business


# ---- the 24-hour customer-service window -----------------------------------------------

def last_inbound_at(business_id: int, phone: str | None) -> datetime | None:
    if not phone:
        return None
    return db.session.scalar(select(func.max(WhatsAppMsg.created_at)).where(
        WhatsAppMsg.business_id == business_id, WhatsAppMsg.direction == "inbound",
        WhatsAppMsg.from_number == phone))


def window_for_phone(business_id: int, phone: str | None, now: datetime | None = None) -> dict:
    now = now or utcnow()
    last = last_inbound_at(business_id, phone)
    until = last + WINDOW if last else None
    return {"open": bool(until and until > now), "until": iso(until), "last_inbound_at": iso(last)}


def window_for_customer(business_id: BusinessScope, customer_id: int) -> dict:
    customer = get_customer(business_id, customer_id)
    state = window_for_phone(customer.business_id, customer.phone)
    transport = transport_state(customer.business_id)
    # Only a real transport is refused outside the window; the dev one accepts and flags it.
    return {"customer_id": customer.id, "phone": customer.phone, **state,
            "provider": transport["provider"], "enforced": transport["delivers"]}


# ---- templates -------------------------------------------------------------------------

def list_templates(business_id: int) -> list[WhatsAppTemplate]:
    return list(db.session.scalars(select(WhatsAppTemplate).where(WhatsAppTemplate.business_id == business_id)
                                   .order_by(WhatsAppTemplate.name, WhatsAppTemplate.language)))


def _template(business_id: int, template_id: int) -> WhatsAppTemplate:
    row = db.session.get(WhatsAppTemplate, template_id)
    if row is None or row.business_id != business_id:
        raise NotFound("template not found", code=ErrorCode.TEMPLATE_NOT_FOUND)
    return row


TEMPLATE_FIELDS = ("name", "language", "body", "twilio_content_sid", "meta_template_name")


def create_template(business_id: int, data: dict) -> WhatsAppTemplate:
    _business(business_id)
    row = WhatsAppTemplate(business_id=business_id, **{k: data.get(k) for k in TEMPLATE_FIELDS if k in data})
    row.language = row.language or "he"
    return _save_template(row, "create", sorted(k for k in TEMPLATE_FIELDS if getattr(row, k) is not None))


def update_template(business_id: int, template_id: int, data: dict) -> WhatsAppTemplate:
    row = _template(business_id, template_id)
    before = {key: getattr(row, key) for key in TEMPLATE_FIELDS}
    for key in TEMPLATE_FIELDS:
        # Provider ids may be cleared; name, language and body may only be replaced.
        if key in data and (data[key] is not None or key in ("twilio_content_sid", "meta_template_name")):
            setattr(row, key, data[key])
    return _save_template(row, "update", audit.changed_fields(before, {key: getattr(row, key)
                                                                        for key in TEMPLATE_FIELDS}))


def _save_template(row: WhatsAppTemplate, action: str, fields: list[str]) -> WhatsAppTemplate:
    try:
        with db.session.begin_nested():
            db.session.add(row)
    except IntegrityError:
        db.session.rollback()
        raise Conflict("template exists", code=ErrorCode.TEMPLATE_EXISTS) from None
    # Template names are the business's own wording ids, not personal data: the entry says which.
    audit.record(action, "whatsapp_template", row.id, business_id=row.business_id,
                 details={"name": row.name, "fields": fields})
    db.session.commit()
    return row


def delete_template(business_id: int, template_id: int) -> None:
    row = _template(business_id, template_id)
    audit.record("delete", "whatsapp_template", row.id, business_id=row.business_id, details={"name": row.name})
    db.session.delete(row)
    db.session.commit()


def _find_template(business_id: int, name: str) -> WhatsAppTemplate | None:
    rows = db.session.scalars(select(WhatsAppTemplate).where(
        WhatsAppTemplate.business_id == business_id, WhatsAppTemplate.name == name)).all()
    # Hebrew first: the `he` version when a template exists in several languages.
    rows = sorted(rows, key=lambda r: (r.language != "he", r.language))
    return rows[0] if rows else None


# ---- queueing an outbound message ------------------------------------------------------

def queue_message(business_id: int, *, to: str, text: str | None = None, template: str | None = None,
                  variables: dict | None = None, now: datetime | None = None, flags: dict | None = None,
                  idempotency_key: str | None = None, on_stored: Callable[[WhatsAppMsg], None] | None = None,
                  file: tuple[str | None, bytes | None] | None = None) -> WhatsAppMsg:
    """Validate, store as `queued`, commit, then hand the id to the job queue.

    `flags` mark who sent it (e.g. {"automation": "missed_call"}, {"agent": {...}});
    `idempotency_key` (a job's own key, e.g. "agent-<inbound id>"): the message already
    queued under it is returned instead of a second one; `on_stored(msg)` runs after the
    row is flushed and before the commit, so a caller's own bookkeeping (a campaign
    recipient moving to `queued`) commits with the message or not at all;
    `file`: (file name, bytes) of an image or a document to send, `text` its caption."""
    upload = whatsapp_media.check_upload(*file) if file is not None else None
    now = now or utcnow()
    if idempotency_key is not None:
        existing = db.session.scalar(select(WhatsAppMsg).where(WhatsAppMsg.idempotency_key == idempotency_key))
        if existing is not None:
            return existing
    business = _business(business_id)
    to_e164 = normalize_phone(to)
    account = business_account(business)
    provider, fallback = choose(business.whatsapp_provider, current(), account)
    flags = dict(flags or {})
    if fallback:
        flags["fallback"] = fallback
    if provider == "dev":
        flags.update(dev_transport=True, not_delivered=True)
    variables = {str(k): str(v) for k, v in (variables or {}).items()}
    template_row = None
    if template:
        template_row = _find_template(business.id, template)
        if template_row is None:
            raise ValidationFailed({"template": FieldError(ErrorCode.UNKNOWN_TEMPLATE, "unknown template")})
        missing = missing_variables(template_row.body, variables)
        if missing:
            raise ValidationFailed({"variables": FieldError(ErrorCode.MISSING_VARIABLES, "missing: " + ", ".join(missing),
                                                             names=list(missing))})
        if transport_class(provider).needs_content_sid and not template_row.twilio_content_sid:
            raise ValidationFailed({"template": FieldError(ErrorCode.TEMPLATE_WITHOUT_CONTENT_SID,
                                                            "template has no Twilio ContentSid")})
        body = render_template(template_row.body, variables)
    else:
        if not window_for_phone(business.id, to_e164, now)["open"]:
            if provider != "dev":
                raise Conflict("outside 24h window", code=ErrorCode.OUTSIDE_24H_WINDOW)
            flags["outside_window"] = True  # a real provider would refuse this free text
        body = text or ""
    customer = find_customer_by_phone(business.id, to_e164)
    msg = WhatsAppMsg(business_id=business.id, customer_id=customer.id if customer else None,
                      direction="outbound", status="queued", provider=provider,
                      idempotency_key=idempotency_key or uuid.uuid4().hex, from_number=account["sender"],
                      to_number=to_e164,
                      body=body, template_name=template_row.name if template_row else None,
                      template_variables=variables if template_row else None, flags=flags,
                      attempts=0, next_attempt_at=now)
    try:
        with db.session.begin_nested():
            db.session.add(msg)
            if upload is not None:
                whatsapp_media.add_outbound(msg, *upload, file[1])
    except IntegrityError:
        if idempotency_key is None:
            raise
        db.session.rollback()  # the same job, run twice at once: the other run queued it
        return db.session.scalar(select(WhatsAppMsg).where(WhatsAppMsg.idempotency_key == idempotency_key))
    # Who sent what kind of message to which customer; never the text or the number.
    audit.record("create", "whatsapp_message", msg.id, business_id=business.id,
                 details={"provider": provider,
                          "kind": "template" if template_row else (upload[0] if upload else "text"),
                          "template": template_row.name if template_row else None,
                          "customer_id": msg.customer_id})
    if on_stored is not None:
        on_stored(msg)
    db.session.commit()
    if provider == "dev":
        log.warning("whatsapp %s queued on the DEVELOPMENT transport: it will not be delivered%s",
                    msg.id, f" ({fallback})" if fallback else "")
    else:
        log.info("whatsapp %s queued via %s", msg.id, provider)
    realtime.publish(msg.business_id, "whatsapp.message", msg.to_dict())
    _enqueue(msg.id)
    return msg


def _enqueue(message_id: int, eta: datetime | None = None) -> None:
    try:
        jobs.enqueue("whatsapp.send_whatsapp", message_id,
                     delay=(eta - utcnow()).total_seconds() if eta is not None else None)
    except Exception as exc:  # noqa: BLE001 — the row is stored; the sweep will enqueue it
        log.error("whatsapp %s: could not enqueue (%s); the periodic sweep will pick it up",
                  message_id, exc.__class__.__name__)


# ---- reading ---------------------------------------------------------------------------

def list_messages(business_id: BusinessScope, customer_id: int | None, page: int, limit: int) -> dict:
    query = select(WhatsAppMsg).where(scope_filter(WhatsAppMsg.business_id, business_id))
    if customer_id is not None:
        customer = get_customer(business_id, customer_id)
        query = query.where(WhatsAppMsg.customer_id == customer.id)
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    rows = db.session.scalars(query.order_by(WhatsAppMsg.created_at.desc(), WhatsAppMsg.id.desc())
                              .limit(limit).offset((page - 1) * limit)).all()
    names = customer_names(r.customer_id for r in rows)
    items = [{**r.to_dict(), "customer_name": names.get(r.customer_id)} for r in rows]
    return {"items": items, "page": page, "limit": limit, "total": total}


# ---- status ladder ---------------------------------------------------------------------

_TIMESTAMPS = {"sent": ("sent_at",), "delivered": ("sent_at", "delivered_at"),
               "read": ("sent_at", "delivered_at", "read_at")}


def advance_status(message_id: int, status: str, at: datetime | None = None,
                   error_code: str | None = None, error: str | None = None) -> bool:
    """Move a message up the ladder (never down). True when its status changed. No commit."""
    at = at or utcnow()
    rank = STATUS_RANK[status]
    lower = [name for name, r in STATUS_RANK.items() if r < rank]
    values: dict = {"status": status, "updated_at": utcnow()}
    if status == "failed":
        values.update(error_code=(error_code or None) and str(error_code)[:32], error=error, next_attempt_at=None)
    elif rank >= STATUS_RANK["sent"]:
        values["next_attempt_at"] = None
    moved = db.session.execute(update(WhatsAppMsg).where(WhatsAppMsg.id == message_id, WhatsAppMsg.status.in_(lower))
                               .values(**values)).rowcount == 1
    # The earliest report of each step wins, so the times too are the same in any order.
    for column_name in _TIMESTAMPS.get(status, ()):
        column = getattr(WhatsAppMsg, column_name)
        db.session.execute(update(WhatsAppMsg).where(WhatsAppMsg.id == message_id,
                                                     or_(column.is_(None), column > at)).values({column_name: at}))
    return moved


# ---- sending (the job) -----------------------------------------------------------------

def _outbound(msg: WhatsAppMsg) -> Outbound:
    business = db.session.get(Business, msg.business_id)
    template = None
    if msg.template_name:
        row = _find_template(msg.business_id, msg.template_name)
        if row is not None:
            template = Template(name=row.name, language=row.language, body=row.body,
                                variables=dict(msg.template_variables or {}),
                                twilio_content_sid=row.twilio_content_sid, meta_template_name=row.meta_template_name)
    host = current().app.host
    callback = f"{host}/webhook/whatsapp/twilio/status?key={msg.idempotency_key}" if host else None
    return Outbound(key=msg.idempotency_key, to=msg.to_number, sender=msg.from_number, text=msg.body or "",
                    template=template, status_callback=callback,
                    account=business_account(business) if business else {}, created_at=msg.created_at,
                    media=whatsapp_media.outbound_media(msg))


def _merge_flags(msg: WhatsAppMsg, add: dict | None = None, drop: tuple = ()) -> None:
    flags = {k: v for k, v in (msg.flags or {}).items() if k not in drop}
    flags.update(add or {})
    msg.flags = flags


def attempt_send(message_id: int, now: datetime | None = None) -> float | None:
    """One attempt at a queued message. Returns seconds until the next attempt, or None."""
    now = now or utcnow()
    msg = db.session.get(WhatsAppMsg, message_id)
    if msg is None or msg.direction != "outbound" or msg.status not in OPEN_STATUSES:
        return None
    if msg.next_attempt_at and msg.next_attempt_at > now + EARLY_TOLERANCE:
        return None  # a live attempt holds the lease, or a retry is already scheduled
    prev_status, prev_attempts = msg.status, msg.attempts
    if prev_status == "queued" and prev_attempts >= current().whatsapp.max_attempts:
        # Out of attempts (a crash may have skipped the check in _attempt_failed): stop here.
        return _give_up(msg, prev_status, prev_attempts, now)
    lease = now + timedelta(seconds=current().whatsapp.send_lease_seconds)
    claimed = db.session.execute(
        update(WhatsAppMsg)
        .where(WhatsAppMsg.id == msg.id, WhatsAppMsg.status == prev_status, WhatsAppMsg.attempts == prev_attempts)
        .values(status="sending", attempts=prev_attempts + 1, next_attempt_at=lease, updated_at=now)
    ).rowcount == 1
    db.session.commit()
    if not claimed:
        return None
    db.session.refresh(msg)
    if msg.status != "sending":
        return None
    realtime.publish(msg.business_id, "whatsapp.status", _status_payload(msg))
    try:
        return _send_claimed(msg, prev_status, now)
    except Exception as exc:  # noqa: BLE001 — a bug or bad row must not loop forever
        # Only the class name: an exception's text may quote the number or the body.
        log.error("whatsapp %s attempt %d crashed (%s); marking it failed", message_id, msg.attempts,
                  exc.__class__.__name__)
        db.session.rollback()
        msg = db.session.get(WhatsAppMsg, message_id)
        if msg is None or msg.status != "sending":
            return None  # the outcome was recorded before the crash
        return _attempt_failed(msg, TransportError(f"internal error: {exc.__class__.__name__}", code="internal",
                                                   retryable=False), now, keep_sending=False)


def _send_claimed(msg: WhatsAppMsg, prev_status: str, now: datetime) -> float | None:
    """The claimed attempt: reconcile an interrupted one, then send (unless out of attempts)."""
    if msg.provider_message_id:
        # A status webhook already told us the provider has it (it echoed our key).
        _record_sent(msg, msg.provider_message_id, "sent", now)
        return None
    if not msg.to_number:
        # The person was erased while the message waited: there is nobody to send it to.
        return _attempt_failed(msg, TransportError("no recipient number", code="no_recipient", retryable=False),
                               now, keep_sending=False)
    outbound = _outbound(msg)
    try:
        transport = build_transport(msg.provider, current())
    except NotConfigured as exc:
        return _attempt_failed(msg, TransportError(f"{msg.provider} not configured: {exc}", code="config"),
                               now, keep_sending=prev_status == "sending")

    if prev_status == "sending":
        outbound = replace(outbound, known_ids=_known_ids(msg))
        wait = _reconcile(msg, transport, outbound, now)
        if wait is not None:
            return wait if wait > 0 else None
    if msg.attempts > current().whatsapp.max_attempts:
        # This claim only reconciled the last allowed attempt; it may not send again.
        return _give_up(msg, "sending", msg.attempts, now)
    try:
        result = transport.send(outbound)
    except TransportError as exc:
        return _attempt_failed(msg, exc, now, keep_sending=exc.ambiguous)
    _record_sent(msg, result.provider_message_id, result.status, now, result.flags)
    return None


def _known_ids(msg: WhatsAppMsg) -> frozenset:
    rows = db.session.scalars(select(WhatsAppMsg.provider_message_id).where(
        WhatsAppMsg.provider == msg.provider, WhatsAppMsg.direction == "outbound", WhatsAppMsg.id != msg.id,
        WhatsAppMsg.to_number == msg.to_number, WhatsAppMsg.provider_message_id.is_not(None),
        WhatsAppMsg.created_at >= msg.created_at - timedelta(hours=1)))
    return frozenset(rows)


def _reconcile(msg: WhatsAppMsg, transport, outbound: Outbound, now: datetime) -> float | None:
    """An earlier attempt may have reached the provider. None: safe to send; else stop here.

    Returns 0 when the message turned out to be sent, or the seconds to wait.
    """
    try:
        lookup = transport.lookup(outbound)
    except TransportError as exc:
        log.warning("whatsapp %s: cannot reconcile with %s yet (%s)", msg.id, transport.name, exc.text)
        return _attempt_failed(msg, exc, now, keep_sending=True) or 0
    if lookup.found:
        log.info("whatsapp %s: %s already has it as %s; not sending again", msg.id, transport.name,
                 lookup.provider_message_id)
        _record_sent(msg, lookup.provider_message_id, lookup.status or "sent", now, {"reconciled": True})
        return 0
    if lookup.found is False:
        log.info("whatsapp %s: %s never got the interrupted attempt; sending", msg.id, transport.name)
        return None
    # The provider cannot be asked (Meta): its status webhook echoes our key when it has the
    # message. Wait for it; only after the wait, with no word, send again.
    deadline_text = (msg.flags or {}).get("reconciling_until")
    deadline = datetime.fromisoformat(deadline_text) if deadline_text else None
    if deadline is None:
        deadline = now + timedelta(seconds=current().whatsapp.reconcile_wait_seconds)
        _merge_flags(msg, {"reconciling_until": deadline.isoformat()})
        log.warning("whatsapp %s: outcome of an interrupted send unknown; waiting for %s's status "
                    "webhook until %s before sending again", msg.id, transport.name, deadline.isoformat())
    if now < deadline:
        msg.next_attempt_at = deadline
        db.session.commit()
        return max((deadline - now).total_seconds(), 0.001)
    log.warning("whatsapp %s: no status from %s by %s; sending again", msg.id, transport.name, deadline_text)
    _merge_flags(msg, {"resent_after_wait": True}, drop=("reconciling_until",))
    db.session.commit()
    return None


def _attempt_failed(msg: WhatsAppMsg, exc: TransportError, now: datetime, keep_sending: bool) -> float | None:
    max_attempts = current().whatsapp.max_attempts
    if not exc.retryable or msg.attempts >= max_attempts:
        reason = exc.text if not exc.retryable else f"gave up after {msg.attempts} attempts: {exc.text}"
        advance_status(msg.id, "failed", now, exc.code, reason)
        db.session.commit()
        db.session.refresh(msg)
        log.error("whatsapp %s failed via %s: %s %s", msg.id, msg.provider, exc.code or "", reason)
        realtime.publish(msg.business_id, "whatsapp.status", _status_payload(msg))
        return None
    base = current().whatsapp.retry_base_seconds
    delay = min(base * (2 ** (msg.attempts - 1)), current().whatsapp.retry_max_seconds)
    db.session.execute(
        update(WhatsAppMsg).where(WhatsAppMsg.id == msg.id, WhatsAppMsg.status == "sending",
                                  WhatsAppMsg.attempts == msg.attempts)
        .values(status="sending" if keep_sending else "queued", next_attempt_at=now + timedelta(seconds=delay),
                error_code=(exc.code or None) and str(exc.code)[:32], error=exc.text, updated_at=now))
    db.session.commit()
    log.warning("whatsapp %s attempt %d via %s failed (%s %s); next try in %.1fs%s", msg.id, msg.attempts,
                msg.provider, exc.code or "", exc.text, delay, " after reconciling" if keep_sending else "")
    return delay


def _give_up(msg: WhatsAppMsg, status: str, attempts: int, now: datetime) -> None:
    """Fail a message that has used all its attempts, if nobody moved it meanwhile."""
    reason = f"gave up after {attempts} attempts"
    if msg.error:
        reason += f": {msg.error}"
    failed = db.session.execute(
        update(WhatsAppMsg).where(WhatsAppMsg.id == msg.id, WhatsAppMsg.status == status,
                                  WhatsAppMsg.attempts == attempts)
        .values(status="failed", error_code=msg.error_code or "attempts", error=reason[:500], next_attempt_at=None,
                updated_at=now)).rowcount == 1
    db.session.commit()
    if failed:
        db.session.refresh(msg)
        log.error("whatsapp %s failed via %s: %s", msg.id, msg.provider, reason)
        realtime.publish(msg.business_id, "whatsapp.status", _status_payload(msg))
    return None


def _record_sent(msg: WhatsAppMsg, provider_message_id: str | None, status: str, now: datetime,
                 flags: dict | None = None) -> None:
    if provider_message_id:
        db.session.execute(update(WhatsAppMsg).where(WhatsAppMsg.id == msg.id,
                                                     WhatsAppMsg.provider_message_id.is_(None))
                           .values(provider_message_id=provider_message_id))
    advance_status(msg.id, status if status in STATUS_RANK else "sent", now)
    db.session.execute(update(WhatsAppMsg).where(WhatsAppMsg.id == msg.id, WhatsAppMsg.status != "failed")
                       .values(error=None, error_code=None))
    db.session.refresh(msg)
    if flags or (msg.flags or {}).get("reconciling_until"):
        _merge_flags(msg, flags, drop=("reconciling_until",))
    db.session.commit()
    if msg.provider == "dev":
        log.warning("whatsapp %s handled by the development transport: NOT delivered", msg.id)
    else:
        log.info("whatsapp %s accepted by %s as %s", msg.id, msg.provider, msg.provider_message_id)
    realtime.publish(msg.business_id, "whatsapp.status", _status_payload(msg))


def _status_payload(msg: WhatsAppMsg) -> dict:
    return {"id": msg.id, "customer_id": msg.customer_id, "status": msg.status, "provider": msg.provider,
            "error_code": msg.error_code, "error": msg.error, "flags": msg.flags or {}}


def due_messages(now: datetime | None = None, horizon_seconds: float = SWEEP_HORIZON_SECONDS,
                 limit: int = 1000) -> list[tuple[int, datetime | None]]:
    """Outbound messages still queued/sending that come due before the next sweep."""
    now = now or utcnow()
    rows = db.session.execute(
        select(WhatsAppMsg.id, WhatsAppMsg.next_attempt_at)
        .where(WhatsAppMsg.direction == "outbound", WhatsAppMsg.status.in_(OPEN_STATUSES),
               or_(WhatsAppMsg.next_attempt_at.is_(None),
                   WhatsAppMsg.next_attempt_at <= now + timedelta(seconds=horizon_seconds)))
        .order_by(WhatsAppMsg.next_attempt_at).limit(limit)).all()
    db.session.commit()
    return [(row.id, row.next_attempt_at) for row in rows]


# ---- webhooks: inbound messages and status updates -------------------------------------

def ingest_webhook(provider: str, payload, args: dict | None = None, *, strict: bool = False) -> dict:
    """Parse one verified webhook body and store what it says. Returns counts for the log.

    strict (one message per request, as Twilio sends): a message that cannot be stored
    raises BadRequest so the provider sees the failure; otherwise it is logged and skipped.
    """
    events = transport_class(provider).parse_webhook(payload, args or {})
    counts = {"inbound": 0, "duplicate": 0, "status": 0, "ignored": 0, "rejected": 0}
    for position, event in enumerate(events, 1):
        field_name = _unstorable_field(event)
        if field_name is not None:
            # Only the position and the field: the value itself cannot even be written to the log.
            log.warning("whatsapp %s event %d of %d rejected: its %s cannot be stored (lone surrogate or NUL)",
                        provider, position, len(events), field_name)
            counts["rejected"] += 1
            if strict:
                raise BadRequest("invalid text", code=ErrorCode.INVALID_TEXT) from None
            continue
        if isinstance(event, InboundMessage):
            try:
                _, created = record_inbound(event)
            except RejectedInbound as exc:
                counts["rejected"] += 1
                if strict:
                    raise BadRequest(str(exc), code=exc.code) from None
                continue
            counts["inbound" if created else "duplicate"] += 1
        elif isinstance(event, StatusUpdate):
            counts["status" if apply_status(event) else "ignored"] += 1
    return counts


# record_inbound strips NUL from the free text and the profile name; anywhere else it, like a
# lone surrogate anywhere, would make the database refuse the row, and the provider would then
# redeliver the batch forever.
_NUL_STRIPPED = frozenset({"text", "profile_name"})


def _unstorable_field(event) -> str | None:
    """The first field of a parsed webhook event holding text the database cannot store."""
    for item in dataclass_fields(event):
        value = getattr(event, item.name)
        for text in (value if isinstance(value, (list, tuple)) else [value]):
            if not isinstance(text, str):
                continue
            if has_lone_surrogate(text) or ("\x00" in text and item.name not in _NUL_STRIPPED):
                return item.name
    return None


def _message_by_provider_id(provider: str, provider_message_id: str) -> WhatsAppMsg | None:
    return db.session.scalar(select(WhatsAppMsg).where(WhatsAppMsg.provider == provider,
                                                       WhatsAppMsg.provider_message_id == provider_message_id))


def _business_for_inbound(event: InboundMessage) -> Business | None:
    """The business the message was sent to: by its WhatsApp number, else (Meta) by the
    phone_number_id of its account."""
    from server.services.businesses import business_for_number
    business = business_for_number("whatsapp", event.to_number)
    if business is None and event.account_id:
        # as_string() reads the JSON value as text, so an id stored as a number matches too.
        phone_number_id = Business.whatsapp_config["phone_number_id"].as_string()
        business = db.session.scalar(select(Business).where(
            Business.whatsapp_provider == "meta", Business.deleted_at.is_(None),
            phone_number_id == str(event.account_id)).order_by(Business.id).limit(1))
    return business


def record_inbound(event: InboundMessage) -> tuple[WhatsAppMsg, bool]:
    """Store an inbound message once, however often the provider delivers it.

    Raises RejectedInbound (logged) when the sender is no phone number or no business
    owns the number it was sent to: there is no tenant to keep it for.
    """
    sender = try_normalize_phone(event.from_number)
    if sender is None:
        log.warning("whatsapp inbound %s from %s rejected: the sender is not a valid phone number",
                    event.provider_message_id, event.provider)
        raise RejectedInbound("invalid sender", ErrorCode.INVALID_SENDER)
    existing = _message_by_provider_id(event.provider, event.provider_message_id)
    if existing is not None:
        log.info("whatsapp inbound %s from %s delivered again; already stored as %s",
                 event.provider_message_id, event.provider, existing.id)
        return existing, False
    business = _business_for_inbound(event)
    if business is None:
        log.warning("whatsapp inbound %s from %s to %s (phone-number id %s) rejected: no business has this number",
                    event.provider_message_id, event.provider, event.to_number, event.account_id)
        raise RejectedInbound("unknown business number", ErrorCode.UNKNOWN_BUSINESS_NUMBER)
    customer = find_or_create_lead(business.id, sender, (event.profile_name or "").replace("\x00", "") or None,
                                   "whatsapp")
    flags: dict = {}
    # PostgreSQL text cannot hold NUL; a provider retrying a 400 forever would be worse.
    text = (event.text or "").replace("\x00", "")
    if len(text) > MAX_STORED_TEXT:
        text, flags["truncated"] = text[:MAX_STORED_TEXT], True
    at = event.at or utcnow()
    msg = WhatsAppMsg(business_id=business.id, customer_id=customer.id if customer else None,
                      direction="inbound", status="delivered", provider=event.provider,
                      provider_message_id=event.provider_message_id[:128], from_number=sender,
                      to_number=business.whatsapp_number, body=text, flags=flags,
                      sent_at=at, delivered_at=utcnow())
    media = whatsapp_media.add_inbound(msg, event.media)
    # Stored as waiting for the agent's decision (services/reception/whatsapp_agent.py):
    # the job below, or the sweep if that job is lost, answers it or says why not. A voice
    # note waits for its transcript (services/whatsapp_media.py hands it over then).
    msg.agent_status = "pending" if msg.customer_id is not None and text.strip() and not media else None
    try:
        with db.session.begin_nested():
            db.session.add(msg)
    except IntegrityError:
        # The same message arriving concurrently: the other request stored it.
        db.session.commit()
        return _message_by_provider_id(event.provider, event.provider_message_id), False
    # Read before the commit expires the rows: a read after it would open (on SQLite, with the
    # webhook's BEGIN IMMEDIATE, a write-locking) transaction that lasts to the request's end.
    pending = [row.id for row in media if row.status == "pending"]
    answer_now = msg.agent_status == "pending"
    db.session.commit()
    # The files are fetched by a job, never in the webhook's request (the provider waits on it).
    whatsapp_media.enqueue_fetches(pending)
    log.info("whatsapp inbound %s stored as %s (business %s, customer %s)",
             event.provider_message_id, msg.id, business.id, msg.customer_id)
    realtime.publish(msg.business_id, "whatsapp.message", msg.to_dict())
    if answer_now:
        enqueue_answer(msg.id)
    return msg, True


def enqueue_answer(message_id: int) -> None:
    try:
        jobs.enqueue("whatsapp.answer_inbound", message_id)
    except Exception as exc:  # noqa: BLE001 — the row is pending; the sweep will enqueue it
        log.error("whatsapp %s: could not enqueue the agent's answer (%s); the sweep will pick it up",
                  message_id, exc.__class__.__name__)


def apply_status(event: StatusUpdate) -> WhatsAppMsg | None:
    msg = _message_by_provider_id(event.provider, event.provider_message_id)
    if msg is None and event.key:
        # The callback outran the worker that would have recorded the provider id.
        msg = db.session.scalar(select(WhatsAppMsg).where(WhatsAppMsg.idempotency_key == event.key,
                                                          WhatsAppMsg.provider == event.provider))
        if msg is not None:
            db.session.execute(update(WhatsAppMsg).where(WhatsAppMsg.id == msg.id,
                                                         WhatsAppMsg.provider_message_id.is_(None))
                               .values(provider_message_id=event.provider_message_id))
    if msg is None:
        log.info("whatsapp status %s for unknown %s message %s ignored", event.status, event.provider,
                 event.provider_message_id)
        db.session.commit()
        return None
    moved = advance_status(msg.id, event.status, event.at, event.error_code, event.error)
    db.session.commit()
    db.session.refresh(msg)
    if moved and "reconciling_until" in (msg.flags or {}):
        _merge_flags(msg, drop=("reconciling_until",))  # the provider has answered the question
        db.session.commit()
    if moved:
        log.info("whatsapp %s status → %s%s", msg.id, msg.status,
                 f" ({msg.error_code} {msg.error})" if msg.status == "failed" else "")
        realtime.publish(msg.business_id, "whatsapp.status", _status_payload(msg))
    return msg

