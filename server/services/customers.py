"""Customers: the CRM's people. Keeps the normalised search column in step with the row."""
from __future__ import annotations

from server.hebrew import normalize_for_search
from server.phones import phone_search_tokens


def build_search_text(name: str | None, phone: str | None, email: str | None) -> str:
    """Name without niqqud, phone digits in local and international form, email lower-case."""
    parts = [normalize_for_search(name or "")]
    parts += phone_search_tokens(phone)
    if email:
        parts.append(email.strip().lower())
    return " ".join(p for p in parts if p)


def get_customer(business_id: int | None, customer_id: int):
    """The customer, within `business_id` when given (None: platform admin, any business).

    A customer of another business answers NotFound, exactly like a missing one, so ids
    of other tenants reveal nothing.
    """
    from server.errors import NotFound
    from server.extensions import db
    from server.models import Customer

    customer = db.session.get(Customer, customer_id)
    if customer is None or (business_id is not None and customer.business_id != business_id):
        raise NotFound("customer not found")
    return customer


def find_customer_by_phone(business_id: int, phone: str | None):
    """The business's customer with this phone in any Israeli format, or None."""
    from sqlalchemy import select

    from server.extensions import db
    from server.models import Customer
    from server.phones import try_normalize_phone

    e164 = try_normalize_phone(phone)
    if e164 is None:
        return None
    return db.session.scalar(select(Customer).where(Customer.business_id == business_id, Customer.phone == e164))


def find_or_create_lead(business_id: int, phone: str | None, name: str | None, source: str):
    """The caller/sender as a customer: found by phone, else created as a lead.

    Flushes but does not commit: the caller's service owns the transaction. Two
    concurrent first contacts from one phone meet the (business_id, phone) unique
    constraint; the loser re-reads the winner's row.
    """
    from sqlalchemy.exc import IntegrityError

    from server.extensions import db
    from server.models import Customer
    from server.phones import display_phone, try_normalize_phone

    e164 = try_normalize_phone(phone)
    if e164 is None:
        return None
    existing = find_customer_by_phone(business_id, e164)
    if existing is not None:
        return existing
    lead_name = (name or "").strip() or f"ליד חדש {display_phone(e164)}"
    customer = Customer(business_id=business_id, name=lead_name[:160], phone=e164, source=source,
                        search_text=build_search_text(lead_name, e164, None))
    try:
        with db.session.begin_nested():
            db.session.add(customer)
    except IntegrityError:
        return find_customer_by_phone(business_id, e164)
    return customer
