"""Tasks, invoices and contracts of a customer."""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from server.schemas.common import IsoTime, OrmModel


class Task(OrmModel):
    id: int
    business_id: int
    customer_id: int
    title: str
    description: str | None
    status: str
    due_at: IsoTime
    completed_at: IsoTime
    source: str
    call_id: int | None
    created_at: IsoTime
    updated_at: IsoTime


class ContractDisplay(BaseModel):
    amount: str | None


class Contract(OrmModel):
    id: int
    business_id: int
    customer_id: int
    title: str
    status: str
    amount_agorot: int | None
    signed_at: IsoTime
    starts_at: IsoTime
    ends_at: IsoTime
    notes: str | None
    created_at: IsoTime
    updated_at: IsoTime
    display: ContractDisplay = Field(default=None, description="the timeline only: the amount in ILS")


class InvoiceRow(OrmModel):
    """An invoice's columns; the API answers `Invoice` (these plus how to show them)."""
    id: int
    business_id: int
    customer_id: int
    number: int | None
    status: str
    currency: str
    description: str | None
    amount_agorot: int
    vat_rate_bp: int | None
    vat_agorot: int | None
    total_agorot: int | None
    invoice_date: IsoTime
    issued_at: IsoTime
    due_at: IsoTime
    paid_at: IsoTime
    cancelled_at: IsoTime
    is_b2b: bool
    customer_tax_id: str | None
    allocation_number: str | None
    bill_to_name: str | None
    credit_for_invoice_id: int | None
    created_at: IsoTime
    updated_at: IsoTime


class InvoiceDisplay(BaseModel):
    amount: str | None
    vat: str | None
    total: str | None


class Invoice(InvoiceRow):
    kind: Literal["invoice", "credit"]
    vat_percent: str | None = Field(description='e.g. "18%"')
    display: InvoiceDisplay


class InvoiceCancelled(BaseModel):
    invoice: Invoice
    credit: Invoice
