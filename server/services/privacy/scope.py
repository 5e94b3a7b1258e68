"""Where one customer's personal data lives: every row that belongs to them.

Rows are found by customer_id and, for calls and WhatsApp messages, also by the phone
number inside the same business (a message from an unknown sender may not be linked to
the customer yet, and it is still theirs).
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import or_, select

from server.extensions import db
from server.models import CallLog, Contract, Customer, Invoice, Task, WhatsAppMsg
from server.phones import display_phone, phone_search_tokens


def phone_variants(e164: str | None) -> set[str]:
    """The shapes a stored number may take: +972…, 972…, 0…, 050-…, whatsapp:+972…"""
    if not e164:
        return set()
    variants = {e164, f"whatsapp:{e164}", *phone_search_tokens(e164)}
    shown = display_phone(e164)
    if shown:
        variants.add(shown)
    return variants


@dataclass
class CustomerData:
    customer: Customer
    calls: list[CallLog]
    messages: list[WhatsAppMsg]
    tasks: list[Task]
    invoices: list[Invoice]
    contracts: list[Contract]


def collect(customer: Customer) -> CustomerData:
    numbers = sorted(phone_variants(customer.phone))
    call_match = CallLog.customer_id == customer.id
    msg_match = WhatsAppMsg.customer_id == customer.id
    if numbers:
        call_match = or_(call_match, (CallLog.business_id == customer.business_id)
                         & (CallLog.from_number.in_(numbers) | CallLog.to_number.in_(numbers)))
        msg_match = or_(msg_match, (WhatsAppMsg.business_id == customer.business_id)
                        & (WhatsAppMsg.from_number.in_(numbers) | WhatsAppMsg.to_number.in_(numbers)))
    by_customer = lambda model, order: db.session.scalars(  # noqa: E731
        select(model).where(model.customer_id == customer.id).order_by(order, model.id)).all()
    return CustomerData(
        customer=customer,
        calls=db.session.scalars(select(CallLog).where(call_match).order_by(CallLog.started_at, CallLog.id)).all(),
        messages=db.session.scalars(select(WhatsAppMsg).where(msg_match)
                                    .order_by(WhatsAppMsg.created_at, WhatsAppMsg.id)).all(),
        tasks=by_customer(Task, Task.created_at),
        invoices=by_customer(Invoice, Invoice.created_at),
        contracts=by_customer(Contract, Contract.created_at),
    )
