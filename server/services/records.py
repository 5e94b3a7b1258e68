"""Tasks and contracts on a customer (invoices live in services/invoices.py).

Routes hand in a customer already scoped to the caller's business and a dict of
whitelisted, validated fields; every public function commits its own transaction.
Datetimes arrive aware (the edge refuses naive ones) and are stored as UTC.
"""
from __future__ import annotations

from functools import wraps

from sqlalchemy import select

from server.error_codes import ErrorCode
from server.errors import FieldError, NotFound, ValidationFailed
from server.extensions import db
from server.models import Contract, Task
from server.models.base import utcnow
from server.services import audit
from server.services.realtime import publish
from server.tenancy import BusinessScope

# Ids are 32-bit INTEGER columns: a larger id in a URL names nothing (and PostgreSQL would
# refuse to compare it), so it is a 404 before any query.
MAX_ID = 2**31 - 1
TASK_FIELDS = ("title", "description", "status", "due_at")
CONTRACT_FIELDS = ("title", "status", "amount_agorot", "signed_at", "starts_at", "ends_at", "notes")


def scoped_customer(business_id: BusinessScope, customer_id: int):
    """get_customer, with ids beyond the column's range answered 404 like any unknown id."""
    from server.services.customers.crud import get_customer
    if not 0 < customer_id <= MAX_ID:
        raise NotFound("customer not found", code=ErrorCode.CUSTOMER_NOT_FOUND)
    return get_customer(business_id, customer_id)


def all_or_nothing(fn):
    """Roll back whatever the function changed when it refuses: bad input changes nothing."""
    @wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except Exception:
            db.session.rollback()
            raise
    return wrapper


def audited(action: str, record, details: dict | None = None) -> None:
    """One audit entry for `record`, in the same transaction (field names, never values)."""
    db.session.flush()
    audit.record(action, record.__tablename__, record.id, record.business_id, details or {})


def change_event(record, action: str) -> tuple[int, dict]:
    """Taken before commit (a deleted row cannot be read after it)."""
    db.session.flush()
    return record.business_id, {"customer_id": record.customer_id, "type": record.__tablename__,
                                "id": record.id, "action": action}


def announce(*events: tuple[int, dict]) -> None:
    """After commit: tell the business's open timelines to refetch (best effort)."""
    for business_id, payload in events:
        publish(business_id, "timeline.changed", payload)


def _fields(data: dict) -> dict:
    return {"fields": sorted(data)}


# ---- shared by tasks and contracts -----------------------------------------------------

def _get_record(model, customer, record_id: int, label: str):
    """The customer's record of that type, else 404 (another customer's id is not found)."""
    record = db.session.scalar(select(model).where(model.id == record_id, model.customer_id == customer.id)) \
        if 0 < record_id <= MAX_ID else None
    if record is None:
        raise NotFound(f"{label} not found", code=ErrorCode(f"{label}_not_found"))
    return record


def _save(record, action: str, data: dict):
    """Audit and commit a created or changed record, then tell open timelines."""
    if action == "create":
        db.session.add(record)
    audited(action, record, _fields(data))
    event = change_event(record, action)
    db.session.commit()
    announce(event)
    return record


def _delete(record) -> None:
    audited("delete", record)
    db.session.delete(record)
    event = change_event(record, "delete")
    db.session.commit()
    announce(event)


# ---- tasks ------------------------------------------------------------------------------

def _apply_task(task: Task, data: dict) -> None:
    for field in TASK_FIELDS:
        if field in data:
            setattr(task, field, data[field])
    if task.status == "done":
        task.completed_at = task.completed_at or utcnow()
    else:
        task.completed_at = None


def list_tasks(customer) -> list[Task]:
    # Undated tasks last, then by due date, like a to-do list.
    return list(db.session.scalars(select(Task).where(Task.customer_id == customer.id)
                                   .order_by(Task.due_at.is_(None), Task.due_at, Task.id)))


def get_task(customer, task_id: int) -> Task:
    return _get_record(Task, customer, task_id, "task")


@all_or_nothing
def create_task(customer, data: dict) -> Task:
    task = Task(business_id=customer.business_id, customer_id=customer.id, status="open", source="manual")
    _apply_task(task, data)
    return _save(task, "create", data)


@all_or_nothing
def update_task(customer, task_id: int, data: dict) -> Task:
    task = get_task(customer, task_id)
    _apply_task(task, data)
    return _save(task, "update", data)


@all_or_nothing
def delete_task(customer, task_id: int) -> None:
    _delete(get_task(customer, task_id))


# ---- contracts --------------------------------------------------------------------------

def _apply_contract(contract: Contract, data: dict) -> None:
    for field in CONTRACT_FIELDS:
        if field in data:
            setattr(contract, field, data[field])
    # A contract's timeline date is its signature: signing without a date means now, and
    # a date of signature on a contract that is not signed is a contradiction.
    if contract.status == "signed" and contract.signed_at is None:
        contract.signed_at = utcnow()
    fields = {}
    if contract.signed_at is not None and contract.status in ("draft", "sent"):
        fields["signed_at"] = FieldError(ErrorCode.SIGNED_AT_NEEDS_SIGNED, "signed_at requires status signed")
    if contract.starts_at and contract.ends_at and contract.ends_at < contract.starts_at:
        fields["ends_at"] = FieldError(ErrorCode.ENDS_BEFORE_STARTS, "ends_at is before starts_at")
    if fields:
        raise ValidationFailed(fields)


def list_contracts(customer) -> list[Contract]:
    return list(db.session.scalars(select(Contract).where(Contract.customer_id == customer.id)
                                   .order_by(Contract.created_at.desc(), Contract.id.desc())))


def get_contract(customer, contract_id: int) -> Contract:
    return _get_record(Contract, customer, contract_id, "contract")


@all_or_nothing
def create_contract(customer, data: dict) -> Contract:
    contract = Contract(business_id=customer.business_id, customer_id=customer.id, status="draft")
    _apply_contract(contract, data)
    return _save(contract, "create", data)


@all_or_nothing
def update_contract(customer, contract_id: int, data: dict) -> Contract:
    contract = get_contract(customer, contract_id)
    _apply_contract(contract, data)
    return _save(contract, "update", data)


@all_or_nothing
def delete_contract(customer, contract_id: int) -> None:
    _delete(get_contract(customer, contract_id))
