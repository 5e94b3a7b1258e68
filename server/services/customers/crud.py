"""Customers: one customer read, created, changed or deleted, and the lookups other
features make (by id within a business, by phone, the caller as a lead).

Every write keeps the normalised search column (search.build_search_text) in step with
the row, records an audit entry in the same transaction and publishes a realtime event.
"""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from server.error_codes import ErrorCode
from server.errors import Conflict, NotFound
from server.extensions import db
from server.models import Customer
from server.phones import display_phone, try_normalize_phone
from server.schemas.customers import CustomerChanges, NewCustomer
from server.services.customers.search import build_search_text
from server.tenancy import BusinessScope, in_scope

SOURCES = ("manual", "import", "call", "whatsapp")


def get_customer(business_id: BusinessScope, customer_id: int):
    """The customer, within `business_id` (ALL_BUSINESSES: a platform admin, any business).

    A customer of another business answers NotFound, exactly like a missing one, so ids
    of other tenants reveal nothing.
    """
    customer = db.session.get(Customer, customer_id)
    if customer is None or not in_scope(business_id, customer.business_id):
        raise NotFound("customer not found", code=ErrorCode.CUSTOMER_NOT_FOUND)
    return customer


def customer_names(customer_ids) -> dict[int, str]:
    """Names for a page of calls or messages, in one query."""
    ids = {i for i in customer_ids if i is not None}
    if not ids:
        return {}
    return dict(db.session.execute(select(Customer.id, Customer.name).where(Customer.id.in_(ids))).all())


def find_customer_by_phone(business_id: int, phone: str | None):
    """The business's customer with this phone in any Israeli format, or None."""
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


def _phone_taken(business_id: int, phone: str | None, except_id: int | None = None) -> bool:
    if phone is None:
        return False
    query = select(Customer.id).where(Customer.business_id == business_id, Customer.phone == phone)
    if except_id is not None:
        query = query.where(Customer.id != except_id)
    return db.session.scalar(query) is not None


# ---- create, update, delete ------------------------------------------------------------

def audit_entry(action: str, customer_id: int | None, business_id: int | None, details: dict) -> None:
    """An audit entry in the caller's transaction: field names and counts, never values."""
    from server.services import audit
    audit.record(action, "customer", customer_id, business_id=business_id, details=details)


def _publish(customer: Customer, event: str) -> None:
    from server.services.realtime import publish
    publish(customer.business_id, event, {"id": customer.id, "business_id": customer.business_id})


def create_customer(business_id: int, new: NewCustomer, source: str = "manual") -> Customer:
    """A new customer of `business_id`; 409 "phone exists"."""
    if _phone_taken(business_id, new.phone):
        raise Conflict("phone exists", code=ErrorCode.PHONE_EXISTS)
    customer = Customer(business_id=business_id, name=new.name, phone=new.phone, email=new.email, notes=new.notes,
                        id_last4=new.id_last4, source=source)
    customer.search_text = build_search_text(customer.name, customer.phone, customer.email)
    db.session.add(customer)
    try:
        db.session.flush()
        audit_entry("create", customer.id, business_id, {"fields": sorted(new.given())})
        db.session.commit()
    except IntegrityError:  # a concurrent create with the same phone won the race
        db.session.rollback()
        raise Conflict("phone exists", code=ErrorCode.PHONE_EXISTS) from None
    _publish(customer, "customer.created")
    return customer


def update_customer(business_id: BusinessScope, customer_id: int, changes: CustomerChanges) -> Customer:
    """Only the given fields change; the search column follows."""
    customer = get_customer(business_id, customer_id)
    fields = changes.given()
    if "phone" in fields and _phone_taken(customer.business_id, fields["phone"], except_id=customer.id):
        raise Conflict("phone exists", code=ErrorCode.PHONE_EXISTS)
    for key, value in fields.items():  # the schema's fields only, never the request's keys
        setattr(customer, key, value)
    customer.search_text = build_search_text(customer.name, customer.phone, customer.email)
    audit_entry("update", customer.id, customer.business_id, {"fields": sorted(fields)})
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise Conflict("phone exists", code=ErrorCode.PHONE_EXISTS) from None
    _publish(customer, "customer.updated")
    return customer


def _history_counts(customer_id: int) -> dict[str, int]:
    from server.models import Appointment, CallLog, Contract, Invoice, Task, WhatsAppMsg

    counts = {}
    for label, model in (("calls", CallLog), ("whatsapp", WhatsAppMsg), ("tasks", Task),
                         ("invoices", Invoice), ("contracts", Contract), ("appointments", Appointment)):
        n = db.session.scalar(select(func.count()).select_from(model).where(model.customer_id == customer_id))
        if n:
            counts[label] = n
    return counts


def delete_customer(business_id: BusinessScope, customer_id: int) -> None:
    """Delete a customer with no history. One with calls, messages, tasks, invoices or
    contracts is refused (409): those records must keep their customer."""
    customer = get_customer(business_id, customer_id)
    history = _history_counts(customer.id)
    if history:
        raise Conflict("customer has history: " + ", ".join(f"{k} {v}" for k, v in history.items()),
                       code=ErrorCode.CUSTOMER_HAS_HISTORY)
    owner = customer.business_id
    audit_entry("delete", customer.id, owner, {})
    db.session.delete(customer)
    try:
        db.session.commit()
    except IntegrityError:  # a record attached meanwhile
        db.session.rollback()
        raise Conflict("customer has history", code=ErrorCode.CUSTOMER_HAS_HISTORY) from None
    from server.services.realtime import publish
    publish(owner, "customer.deleted", {"id": customer_id, "business_id": owner})

