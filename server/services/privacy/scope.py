"""Where one customer's personal data lives: every row that belongs to them.

A row belongs to the customer whose customer_id it carries. A call or WhatsApp message
with no customer yet (a first message from an unknown sender) is claimed by the phone
number of the person on it — the sender of an inbound row, the recipient of an outbound
one — inside the same business, and never through one of the business's own numbers.
Why so strict: every inbound row carries the business's number as `to`, and numbers
change hands, so "any row where this number appears" would hand one customer's export
and erasure the rows of every other customer (the shop line saved as a customer, a new
customer on an old number).
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, or_, select

from server.extensions import db
from server.models import Appointment, Business, CallLog, Contract, Customer, Invoice, Task, WhatsAppMsg
from server.phones import display_phone, phone_search_tokens, try_normalize_phone


def phone_variants(e164: str | None) -> set[str]:
    """The shapes a stored number may take: +972…, 972…, 0…, 050-…, whatsapp:+972…"""
    if not e164:
        return set()
    variants = {e164, f"whatsapp:{e164}", *phone_search_tokens(e164)}
    shown = display_phone(e164)
    if shown:
        variants.add(shown)
    return variants


def business_numbers(business: Business | None) -> set[str]:
    """Every shape the business's own numbers (voice, WhatsApp, the provider's sender) may
    be stored in. These are never the person's number on a row."""
    if business is None:
        return set()
    raw = (business.voice_number, business.whatsapp_number, (business.whatsapp_config or {}).get("sender"))
    numbers: set[str] = set()
    for number in raw:
        if not number or not isinstance(number, str):
            continue
        numbers.add(number)
        numbers |= phone_variants(try_normalize_phone(number) or number)
    return numbers


def owned_by(model, customer: Customer, own_numbers: set[str]):
    """SQL condition for the customer's rows of CallLog or WhatsAppMsg (see the module doc)."""
    mine = model.customer_id == customer.id
    numbers = sorted(phone_variants(customer.phone) - own_numbers)
    if not numbers:
        return mine
    outbound = model.direction.like("outbound%")  # calls: outbound-api/outbound-dial; messages: outbound
    counterparty = or_(and_(outbound, model.to_number.in_(numbers)),
                       and_(~outbound, model.from_number.in_(numbers)))
    unclaimed = and_(model.customer_id.is_(None), model.business_id == customer.business_id, counterparty)
    return or_(mine, unclaimed)


@dataclass
class CustomerData:
    customer: Customer
    calls: list[CallLog]
    messages: list[WhatsAppMsg]
    tasks: list[Task]
    invoices: list[Invoice]
    contracts: list[Contract]
    appointments: list[Appointment]


def collect(customer: Customer) -> CustomerData:
    own = business_numbers(db.session.get(Business, customer.business_id))
    by_customer = lambda model, order: db.session.scalars(  # noqa: E731
        select(model).where(model.customer_id == customer.id).order_by(order, model.id)).all()
    return CustomerData(
        customer=customer,
        calls=db.session.scalars(select(CallLog).where(owned_by(CallLog, customer, own))
                                 .order_by(CallLog.started_at, CallLog.id)).all(),
        messages=db.session.scalars(select(WhatsAppMsg).where(owned_by(WhatsAppMsg, customer, own))
                                    .order_by(WhatsAppMsg.created_at, WhatsAppMsg.id)).all(),
        tasks=by_customer(Task, Task.created_at),
        invoices=by_customer(Invoice, Invoice.created_at),
        contracts=by_customer(Contract, Contract.created_at),
        appointments=by_customer(Appointment, Appointment.start_at),
    )
