"""Tasks, invoices and contracts of a customer: /api/customers/<id>/{tasks,invoices,contracts}.

Everyone logged in reads; staff and admins write. Bodies are whitelisted by the schemas
below (unknown fields → 422). Amounts are ILS: `amount` in shekels (up to 2 decimals,
e.g. 1234.5) or `amount_agorot` as an integer. Times are ISO 8601 with a time zone
(naive times are refused) and are stored and returned in UTC; people see Israel time.
"""
from __future__ import annotations

from decimal import Decimal
from typing import Literal

from flask import Blueprint, jsonify
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator, model_validator

from server.authz import auth_required, roles_required, scoped_business_id
from server.error_codes import ErrorCode
from server.errors import FieldError
from server.schemas.common import Ok
from server.schemas.fields import BusinessIdParam
from server.schemas.records import Contract, Invoice, InvoiceCancelled, Task
from server.services import invoices as invoice_service
from server.services import records as records_service
from server.validation import ArgsQuery, validate

records_bp = Blueprint("records", __name__, url_prefix="/api/customers")
WRITERS = ("admin", "staff")


class ScopeArgs(ArgsQuery):
    business_id: BusinessIdParam = None


def _customer(cid: int, query: ScopeArgs):
    """The customer, scoped: another business's customer is a 404 like a missing one."""
    return records_service.scoped_customer(scoped_business_id(query.business_id, required=False), cid)


def _changes(body: BaseModel) -> dict:
    """Only the fields the client sent (so null can clear a date), minus input-only ones."""
    fields = set(body.model_fields_set)
    if "amount" in fields:
        fields.add("amount_agorot")  # computed from `amount` by _Money
    data = body.model_dump(include=fields)
    data.pop("amount", None)
    return data


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class _Money(_Strict):
    amount: Decimal | None = Field(None, ge=0, max_digits=14, decimal_places=2, description="ILS, e.g. 1234.50")
    amount_agorot: int | None = Field(None, ge=0, le=10**13)

    @model_validator(mode="after")
    def _to_agorot(self):
        if self.amount is not None:
            agorot = int(self.amount * 100)
            if self.amount_agorot is not None and self.amount_agorot != agorot:
                raise ValueError(FieldError(ErrorCode.AMOUNTS_DISAGREE, "amount and amount_agorot disagree"))
            self.amount_agorot = agorot
        return self


# ---- tasks ------------------------------------------------------------------------------

class TaskCreate(_Strict):
    title: str = Field(min_length=1, max_length=200)
    description: str | None = Field(None, max_length=5000)
    status: Literal["open", "done", "cancelled"] = "open"
    due_at: AwareDatetime | None = None


class TaskUpdate(_Strict):
    title: str | None = Field(None, min_length=1, max_length=200)
    description: str | None = Field(None, max_length=5000)
    status: Literal["open", "done", "cancelled"] | None = None
    due_at: AwareDatetime | None = None

    @field_validator("title", "status")
    @classmethod
    def _not_null(cls, value):
        if value is None:
            raise ValueError(FieldError(ErrorCode.NOT_NULL, "may not be null"))
        return value


@records_bp.get("/<int:cid>/tasks")
@auth_required
@validate(query=ScopeArgs, response=list[Task], tags=["records"])
def list_tasks(cid: int, query: ScopeArgs):
    """The customer's tasks: by due date, undated last."""
    return jsonify([t.to_dict() for t in records_service.list_tasks(_customer(cid, query))]), 200


@records_bp.post("/<int:cid>/tasks")
@roles_required(*WRITERS)
@validate(query=ScopeArgs, response=Task, body=TaskCreate, status=201, tags=["records"])
def create_task(cid: int, body: TaskCreate, query: ScopeArgs):
    """Create a task (due_at optional: an undated task heads the timeline)."""
    task = records_service.create_task(_customer(cid, query), body.model_dump())
    return jsonify(task.to_dict()), 201


@records_bp.get("/<int:cid>/tasks/<int:tid>")
@auth_required
@validate(query=ScopeArgs, response=Task, tags=["records"])
def get_task(cid: int, tid: int, query: ScopeArgs):
    """One task."""
    return jsonify(records_service.get_task(_customer(cid, query), tid).to_dict()), 200


@records_bp.route("/<int:cid>/tasks/<int:tid>", methods=["PUT", "PATCH"])
@roles_required(*WRITERS)
@validate(query=ScopeArgs, response=Task, body=TaskUpdate, tags=["records"])
def update_task(cid: int, tid: int, body: TaskUpdate, query: ScopeArgs):
    """Change the fields sent; `"due_at": null` removes the due date."""
    task = records_service.update_task(_customer(cid, query), tid, _changes(body))
    return jsonify(task.to_dict()), 200


@records_bp.delete("/<int:cid>/tasks/<int:tid>")
@roles_required(*WRITERS)
@validate(query=ScopeArgs, response=Ok, tags=["records"])
def delete_task(cid: int, tid: int, query: ScopeArgs):
    """Delete a task."""
    records_service.delete_task(_customer(cid, query), tid)
    return jsonify({"ok": True}), 200


# ---- contracts --------------------------------------------------------------------------

class ContractCreate(_Money):
    title: str = Field(min_length=1, max_length=200)
    status: Literal["draft", "sent", "signed", "cancelled"] = "draft"
    signed_at: AwareDatetime | None = None
    starts_at: AwareDatetime | None = None
    ends_at: AwareDatetime | None = None
    notes: str | None = Field(None, max_length=10000)


class ContractUpdate(ContractCreate):
    title: str | None = Field(None, min_length=1, max_length=200)
    status: Literal["draft", "sent", "signed", "cancelled"] | None = None

    @field_validator("title", "status")
    @classmethod
    def _not_null(cls, value):
        if value is None:
            raise ValueError(FieldError(ErrorCode.NOT_NULL, "may not be null"))
        return value


@records_bp.get("/<int:cid>/contracts")
@auth_required
@validate(query=ScopeArgs, response=list[Contract], tags=["records"])
def list_contracts(cid: int, query: ScopeArgs):
    """The customer's contracts, newest first."""
    return jsonify([c.to_dict() for c in records_service.list_contracts(_customer(cid, query))]), 200


@records_bp.post("/<int:cid>/contracts")
@roles_required(*WRITERS)
@validate(query=ScopeArgs, response=Contract, body=ContractCreate, status=201, tags=["records"])
def create_contract(cid: int, body: ContractCreate, query: ScopeArgs):
    """Create a contract; status signed without signed_at is signed now."""
    contract = records_service.create_contract(_customer(cid, query), _changes(body))
    return jsonify(contract.to_dict()), 201


@records_bp.get("/<int:cid>/contracts/<int:kid>")
@auth_required
@validate(query=ScopeArgs, response=Contract, tags=["records"])
def get_contract(cid: int, kid: int, query: ScopeArgs):
    """One contract."""
    return jsonify(records_service.get_contract(_customer(cid, query), kid).to_dict()), 200


@records_bp.route("/<int:cid>/contracts/<int:kid>", methods=["PUT", "PATCH"])
@roles_required(*WRITERS)
@validate(query=ScopeArgs, response=Contract, body=ContractUpdate, tags=["records"])
def update_contract(cid: int, kid: int, body: ContractUpdate, query: ScopeArgs):
    """Change the fields sent."""
    contract = records_service.update_contract(_customer(cid, query), kid, _changes(body))
    return jsonify(contract.to_dict()), 200


@records_bp.delete("/<int:cid>/contracts/<int:kid>")
@roles_required(*WRITERS)
@validate(query=ScopeArgs, response=Ok, tags=["records"])
def delete_contract(cid: int, kid: int, query: ScopeArgs):
    """Delete a contract."""
    records_service.delete_contract(_customer(cid, query), kid)
    return jsonify({"ok": True}), 200


# ---- invoices ---------------------------------------------------------------------------

_Digits9 = Field(None, pattern=r"^\d{9}$", description="מספר הקצאה: 9 digits")


class _InvoiceFields(_Money):
    description: str | None = Field(None, max_length=2000)
    currency: Literal["ILS"] = "ILS"
    invoice_date: AwareDatetime | None = Field(None, description="decides VAT and threshold; default: the issue time")
    due_at: AwareDatetime | None = None
    is_b2b: bool = False
    customer_tax_id: str | None = Field(None, pattern=r"^\d{5,9}$", description="ח״פ / עוסק מורשה")
    allocation_number: str | None = _Digits9
    bill_to_name: str | None = Field(None, max_length=160)



class InvoiceCreate(_InvoiceFields):
    @model_validator(mode="after")
    def _amount_given(self):
        if self.amount_agorot is None:
            raise ValueError(FieldError(ErrorCode.AMOUNT_REQUIRED, "amount (ILS) or amount_agorot required"))
        return self


class InvoiceUpdate(_InvoiceFields):
    @field_validator("amount_agorot", "is_b2b")
    @classmethod
    def _not_null(cls, value):
        if value is None:
            raise ValueError(FieldError(ErrorCode.NOT_NULL, "may not be null"))
        return value


class InvoiceIssue(_Strict):
    allocation_number: str | None = _Digits9


class InvoicePay(_Strict):
    paid_at: AwareDatetime | None = None


class InvoiceCancel(_Strict):
    reason: str | None = Field(None, max_length=500)


def _invoice_json(invoice, status: int = 200):
    return jsonify(invoice_service.invoice_to_dict(invoice)), status


@records_bp.get("/<int:cid>/invoices")
@auth_required
@validate(query=ScopeArgs, response=list[Invoice], tags=["records"])
def list_invoices(cid: int, query: ScopeArgs):
    """The customer's invoices and credits, newest first."""
    return jsonify([invoice_service.invoice_to_dict(i) for i in invoice_service.list_invoices(_customer(cid, query))]), 200


@records_bp.post("/<int:cid>/invoices")
@roles_required(*WRITERS)
@validate(query=ScopeArgs, response=Invoice, body=InvoiceCreate, status=201, tags=["records"])
def create_invoice(cid: int, body: InvoiceCreate, query: ScopeArgs):
    """Create a draft invoice (amount before VAT); it gets its number when issued."""
    data = _changes(body)
    data.pop("currency", None)
    return _invoice_json(invoice_service.create_invoice(_customer(cid, query), data), 201)


@records_bp.get("/<int:cid>/invoices/<int:iid>")
@auth_required
@validate(query=ScopeArgs, response=Invoice, tags=["records"])
def get_invoice(cid: int, iid: int, query: ScopeArgs):
    """One invoice."""
    return _invoice_json(invoice_service.get_invoice(_customer(cid, query), iid))


@records_bp.route("/<int:cid>/invoices/<int:iid>", methods=["PUT", "PATCH"])
@roles_required(*WRITERS)
@validate(query=ScopeArgs, response=Invoice, body=InvoiceUpdate, tags=["records"])
def update_invoice(cid: int, iid: int, body: InvoiceUpdate, query: ScopeArgs):
    """Edit a draft; an issued invoice is never edited (409) — cancel it with a credit."""
    data = _changes(body)
    data.pop("currency", None)
    return _invoice_json(invoice_service.update_draft(_customer(cid, query), iid, data))


@records_bp.delete("/<int:cid>/invoices/<int:iid>")
@roles_required(*WRITERS)
@validate(query=ScopeArgs, response=Ok, tags=["records"])
def delete_invoice(cid: int, iid: int, query: ScopeArgs):
    """Delete a draft; an issued invoice is never deleted (409)."""
    invoice_service.delete_draft(_customer(cid, query), iid)
    return jsonify({"ok": True}), 200


@records_bp.post("/<int:cid>/invoices/<int:iid>/issue")
@roles_required(*WRITERS)
@validate(query=ScopeArgs, response=Invoice, body=InvoiceIssue, tags=["records"])
def issue_invoice(cid: int, iid: int, body: InvoiceIssue, query: ScopeArgs):
    """Issue a draft: running number, VAT of its date, allocation number when required."""
    return _invoice_json(invoice_service.issue_invoice(_customer(cid, query), iid, body.model_dump(exclude_none=True)))


@records_bp.post("/<int:cid>/invoices/<int:iid>/pay")
@roles_required(*WRITERS)
@validate(query=ScopeArgs, response=Invoice, body=InvoicePay, tags=["records"])
def pay_invoice(cid: int, iid: int, body: InvoicePay, query: ScopeArgs):
    """Mark an issued invoice paid."""
    return _invoice_json(invoice_service.pay_invoice(_customer(cid, query), iid, body.paid_at))


@records_bp.post("/<int:cid>/invoices/<int:iid>/cancel")
@roles_required(*WRITERS)
@validate(query=ScopeArgs, response=InvoiceCancelled, body=InvoiceCancel, status=201, tags=["records"])
def cancel_invoice(cid: int, iid: int, body: InvoiceCancel, query: ScopeArgs):
    """Cancel an issued or paid invoice by issuing a credit invoice; answers both."""
    invoice, credit = invoice_service.cancel_with_credit(_customer(cid, query), iid, body.reason)
    return jsonify({"invoice": invoice_service.invoice_to_dict(invoice),
                    "credit": invoice_service.invoice_to_dict(credit)}), 201
