"""Campaigns: an approved template to a filtered list of customers.

A campaign row and one recipient row per customer are written together. Batch jobs send:
each recipient moves pending → queued in the same transaction that stores its WhatsApp
message (a compare-and-set on the recipient), so a recipient is messaged at most once however
many batch jobs run; a worker killed mid-batch leaves the rest `pending`, and the sweep
re-queues a campaign whose batches stopped. Opted-out customers are left out when the list is
made and skipped if they opt out before their turn. Once queued, a recipient's status is its
message's (sent, delivered, read, failed), read through the join.
"""
from __future__ import annotations

import logging
from datetime import date, datetime, time, timedelta

from sqlalchemy import and_, exists, func, insert, or_, select, update

from server import jobs
from server.error_codes import ErrorCode
from server.errors import AppError, FieldError, NotFound, ValidationFailed
from server.extensions import db
from server.models import (Appointment, Business, CallLog, Campaign, CampaignRecipient, Customer, CustomerTag,
                           WhatsAppMsg, WhatsAppTemplate)
from server.models.base import utcnow
from server.providers.whatsapp.base import missing_variables
from server.schemas.automations import CampaignFilter
from server.services import audit, whatsapp
from server.services.customers.crud import customer_names
from server.services.voice.context import ISRAEL
from server.sqlite_locking import write_lock_first_here
from server.tenancy import BusinessScope, in_scope, scope_filter

log = logging.getLogger(__name__)

BATCH_SIZE = 20
BATCH_INTERVAL_SECONDS = 2.0  # at most BATCH_SIZE messages queued per interval
STALE_SECONDS = 60  # a sending campaign with no batch for this long lost its job
UPCOMING_STATUSES = ("booked", "confirmed")
MESSAGE_STATUSES = ("queued", "sending", "sent", "delivered", "read", "failed")


class _Taken(Exception):
    """Another batch queued this recipient first."""


# ---- who ---------------------------------------------------------------------------------

def _israel_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), ISRAEL)


def _last_contact():
    last_message = (select(func.max(WhatsAppMsg.created_at)).where(WhatsAppMsg.customer_id == Customer.id)
                    .correlate(Customer).scalar_subquery())
    last_call = (select(func.max(CallLog.started_at)).where(CallLog.customer_id == Customer.id)
                 .correlate(Customer).scalar_subquery())
    # The later of the two; a customer never in touch counts from when they were added.
    message_or_added = func.coalesce(last_message, Customer.created_at)
    call_or_added = func.coalesce(last_call, Customer.created_at)
    return func.max(message_or_added, call_or_added) if db.engine.dialect.name == "sqlite" \
        else func.greatest(message_or_added, call_or_added)


def _matching(business_id: int, filters: CampaignFilter):
    """The filter's customers of this business who have a phone (opted out or not)."""
    conditions = [Customer.business_id == business_id, Customer.phone.is_not(None)]
    if filters.tag:
        conditions.append(exists().where(CustomerTag.customer_id == Customer.id, CustomerTag.tag == filters.tag))
    if filters.last_contact_before or filters.last_contact_after:
        last = _last_contact()
        if filters.last_contact_before:
            conditions.append(last < _israel_midnight(filters.last_contact_before))
        if filters.last_contact_after:
            conditions.append(last >= _israel_midnight(filters.last_contact_after))
    if filters.upcoming_appointment is not None:
        upcoming = exists().where(Appointment.customer_id == Customer.id, Appointment.business_id == business_id,
                                  Appointment.start_at > utcnow(), Appointment.status.in_(UPCOMING_STATUSES))
        conditions.append(upcoming if filters.upcoming_appointment else ~upcoming)
    return and_(*conditions)


def preview(business_id: int, filters: CampaignFilter) -> dict:
    _business(business_id)
    where = _matching(business_id, filters)
    count = db.session.scalar(select(func.count(Customer.id)).where(where, Customer.whatsapp_opted_out_at.is_(None)))
    opted = db.session.scalar(select(func.count(Customer.id)).where(where, Customer.whatsapp_opted_out_at.is_not(None)))
    return {"count": count or 0, "opted_out": opted or 0}


def _business(business_id: int) -> Business:
    business = db.session.get(Business, business_id)
    if business is None or business.deleted_at is not None:
        raise NotFound("business not found", code=ErrorCode.BUSINESS_NOT_FOUND)
    return business


# ---- create ------------------------------------------------------------------------------

def _check_template(business_id: int, name: str, variables: dict[str, str]) -> WhatsAppTemplate:
    template = db.session.scalar(select(WhatsAppTemplate).where(WhatsAppTemplate.business_id == business_id,
                                                                WhatsAppTemplate.name == name)
                                 .order_by(WhatsAppTemplate.language != "he").limit(1))
    if template is None:
        raise ValidationFailed({"template": FieldError(ErrorCode.UNKNOWN_TEMPLATE, "unknown template")})
    missing = missing_variables(template.body, variables)
    if missing:
        raise ValidationFailed({"variables": FieldError(ErrorCode.MISSING_VARIABLES, "missing: " + ", ".join(missing),
                                                         names=list(missing))})
    return template


def create_campaign(business_id: int, *, name: str, template: str, variables: dict[str, str],
                    filters: CampaignFilter, created_by: int | None) -> Campaign:
    _business(business_id)
    _check_template(business_id, template, variables)
    campaign = Campaign(business_id=business_id, name=name, template_name=template, variables=dict(variables),
                        filters=filters.model_dump(mode="json", exclude_none=True), status="sending",
                        created_by=created_by)
    db.session.add(campaign)
    db.session.flush()
    ids = db.session.scalars(select(Customer.id).where(_matching(business_id, filters),
                                                       Customer.whatsapp_opted_out_at.is_(None))
                             .order_by(Customer.id)).all()
    if ids:
        now = utcnow()
        db.session.execute(insert(CampaignRecipient), [
            {"campaign_id": campaign.id, "business_id": business_id, "customer_id": customer_id, "status": "pending",
             "attempts": 0, "created_at": now, "updated_at": now} for customer_id in ids])
    else:
        campaign.status, campaign.finished_at = "sent", utcnow()
    audit.record("create", "campaign", campaign.id, business_id=business_id,
                 details={"template": template, "filters": campaign.filters, "recipients": len(ids)})
    db.session.commit()
    log.info("campaign %s of business %s: %d recipients", campaign.id, business_id, len(ids))
    if ids:
        _enqueue_batch(campaign.id)
    return campaign


def _enqueue_batch(campaign_id: int, delay: float | None = None) -> None:
    try:
        jobs.enqueue("automations.campaign_batch_task", campaign_id, delay=delay)
    except Exception as exc:  # noqa: BLE001 — the rows are stored; the sweep will enqueue it
        log.error("campaign %s: could not enqueue a batch (%s); the sweep will", campaign_id, exc.__class__.__name__)


# ---- send --------------------------------------------------------------------------------

def _skip(recipient_id: int, status: str, reason: str, error: str | None = None) -> None:
    db.session.execute(update(CampaignRecipient).where(CampaignRecipient.id == recipient_id,
                                                       CampaignRecipient.status == "pending")
                       .values(status=status, reason=reason[:64], error=error, updated_at=utcnow()))
    db.session.commit()


def _send_one(campaign: Campaign, recipient_id: int) -> bool:
    recipient = db.session.get(CampaignRecipient, recipient_id)
    if recipient is None or recipient.status != "pending":
        db.session.commit()
        return False
    customer = db.session.get(Customer, recipient.customer_id) if recipient.customer_id else None
    if customer is None or not customer.phone:
        _skip(recipient_id, "skipped", "no_phone")
        return False
    if customer.whatsapp_opted_out_at is not None:
        _skip(recipient_id, "skipped", "opted_out")
        return False

    def claim(message: WhatsAppMsg) -> None:
        moved = db.session.execute(
            update(CampaignRecipient).where(CampaignRecipient.id == recipient_id, CampaignRecipient.status == "pending")
            .values(status="queued", message_id=message.id, attempts=CampaignRecipient.attempts + 1,
                    updated_at=utcnow())).rowcount
        if moved != 1:
            raise _Taken()

    try:
        whatsapp.queue_message(campaign.business_id, to=customer.phone, template=campaign.template_name,
                               variables=campaign.variables, on_stored=claim,
                               flags={"automation": "campaign", "campaign_id": campaign.id})
    except _Taken:
        db.session.rollback()
        return False
    except AppError as exc:
        db.session.rollback()
        codes = [getattr(v, "code", None) for v in (exc.fields or {}).values()] + [exc.code]
        code = next(c for c in codes if c)
        _skip(recipient_id, "failed", str(getattr(code, "value", code)), exc.message)
        return False
    return True


def send_batch(campaign_id: int) -> int:
    """One batch of a campaign (the job's body): up to BATCH_SIZE recipients, then the next
    batch after BATCH_INTERVAL_SECONDS, or the campaign is done. Returns the messages queued."""
    db.session.rollback()  # the job's own transactions, each beginning with SQLite's write lock
    with write_lock_first_here():
        campaign = db.session.get(Campaign, campaign_id)
        if campaign is None or campaign.status != "sending":
            db.session.commit()
            return 0
        campaign.last_batch_at = utcnow()
        db.session.commit()
        ids = db.session.scalars(select(CampaignRecipient.id).where(
            CampaignRecipient.campaign_id == campaign_id, CampaignRecipient.status == "pending")
            .order_by(CampaignRecipient.id).limit(BATCH_SIZE)).all()
        db.session.commit()
        sent = sum(_send_one(campaign, rid) for rid in ids)
        left = db.session.scalar(select(func.count(CampaignRecipient.id)).where(
            CampaignRecipient.campaign_id == campaign_id, CampaignRecipient.status == "pending"))
        if not left:
            db.session.execute(update(Campaign).where(Campaign.id == campaign_id, Campaign.status == "sending")
                               .values(status="sent", finished_at=utcnow(), updated_at=utcnow()))
        db.session.commit()
    log.info("campaign %s: batch queued %d, %d left", campaign_id, sent, left)
    if left:
        _enqueue_batch(campaign_id, delay=BATCH_INTERVAL_SECONDS)
    return sent


def sweep(now: datetime | None = None) -> int:
    """Re-queue every sending campaign whose batches stopped (a killed worker lost the job).
    An extra batch is harmless: each recipient is claimed with a compare-and-set."""
    now = now or utcnow()
    cutoff = now - timedelta(seconds=STALE_SECONDS)
    ids = db.session.scalars(select(Campaign.id).where(
        Campaign.status == "sending",
        or_(Campaign.last_batch_at < cutoff, and_(Campaign.last_batch_at.is_(None), Campaign.created_at < cutoff)))
    ).all()
    db.session.commit()
    for campaign_id in ids:
        log.warning("campaign %s: no batch for %ss; re-queued by the sweep", campaign_id, STALE_SECONDS)
        _enqueue_batch(campaign_id)
    return len(ids)


# ---- read --------------------------------------------------------------------------------

def _get(scope: BusinessScope, campaign_id: int) -> Campaign:
    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None or not in_scope(scope, campaign.business_id):
        raise NotFound("campaign not found", code=ErrorCode.CAMPAIGN_NOT_FOUND)
    return campaign


def _effective_status():
    return func.coalesce(WhatsAppMsg.status, CampaignRecipient.status)


def _counts(campaign_ids: list[int]) -> dict[int, dict]:
    counts = {cid: {key: 0 for key in ("total", "pending", "skipped", *MESSAGE_STATUSES)} for cid in campaign_ids}
    if not campaign_ids:
        return counts
    rows = db.session.execute(
        select(CampaignRecipient.campaign_id, _effective_status(), func.count(CampaignRecipient.id))
        .outerjoin(WhatsAppMsg, WhatsAppMsg.id == CampaignRecipient.message_id)
        .where(CampaignRecipient.campaign_id.in_(campaign_ids))
        .group_by(CampaignRecipient.campaign_id, _effective_status())).all()
    for campaign_id, status, n in rows:
        bucket = counts[campaign_id]
        bucket[status if status in bucket else "failed"] += n
        bucket["total"] += n
    return counts


def _campaign_dict(campaign: Campaign, counts: dict) -> dict:
    return {"id": campaign.id, "business_id": campaign.business_id, "name": campaign.name,
            "template_name": campaign.template_name, "variables": campaign.variables or {},
            "filters": campaign.filters or {}, "status": campaign.status, "created_at": campaign.created_at,
            "finished_at": campaign.finished_at, "counts": counts}


def list_campaigns(scope: BusinessScope, limit: int = 50) -> list[dict]:
    rows = db.session.scalars(select(Campaign).where(scope_filter(Campaign.business_id, scope))
                              .order_by(Campaign.created_at.desc(), Campaign.id.desc()).limit(limit)).all()
    counts = _counts([c.id for c in rows])
    return [_campaign_dict(c, counts[c.id]) for c in rows]


def campaign_detail(scope: BusinessScope, campaign_id: int) -> dict:
    campaign = _get(scope, campaign_id)
    rows = db.session.execute(
        select(CampaignRecipient, _effective_status())
        .outerjoin(WhatsAppMsg, WhatsAppMsg.id == CampaignRecipient.message_id)
        .where(CampaignRecipient.campaign_id == campaign.id).order_by(CampaignRecipient.id)).all()
    names = customer_names(r.customer_id for r, _ in rows)
    errors = dict(db.session.execute(select(WhatsAppMsg.id, WhatsAppMsg.error).where(
        WhatsAppMsg.id.in_([r.message_id for r, _ in rows if r.message_id]), WhatsAppMsg.error.is_not(None))).all())
    recipients = [{"id": r.id, "customer_id": r.customer_id, "customer_name": names.get(r.customer_id),
                   "status": status, "reason": r.reason, "message_id": r.message_id,
                   "error": errors.get(r.message_id) or r.error} for r, status in rows]
    return {**_campaign_dict(campaign, _counts([campaign.id])[campaign.id]), "recipients": recipients}
