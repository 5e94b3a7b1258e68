"""Tasks, invoices and contracts: the records that sit on a customer's timeline."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from server.extensions import db
from server.models.base import TimestampMixin, UTCDateTime
from server.schemas.records import Contract as ContractOut, InvoiceRow, Task as TaskOut


class Task(TimestampMixin, db.Model):
    __tablename__ = "task"
    __table_args__ = (
        Index("ix_task_customer_due", "customer_id", "due_at"),
        Index("ix_task_business_status", "business_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    business_id: Mapped[int] = mapped_column(ForeignKey("business.id"), nullable=False)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), nullable=False)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    description: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="open", nullable=False)  # open | done | cancelled
    # The timeline's date for a task; an undated task is allowed.
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # manual | call | whatsapp | agent: a callback request taken by the phone agent says so.
    source: Mapped[str] = mapped_column(String(16), default="manual", nullable=False)
    call_id: Mapped[int | None] = mapped_column(ForeignKey("call_log.id"))

    def to_dict(self) -> dict:
        return TaskOut.dump(self)


class Invoice(TimestampMixin, db.Model):
    """An Israeli tax invoice. Money is integer agorot; VAT is fixed at issue time."""

    __tablename__ = "invoice"
    __table_args__ = (
        UniqueConstraint("business_id", "number", name="uq_invoice_business_number"),
        Index("ix_invoice_customer_issued", "customer_id", "issued_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    business_id: Mapped[int] = mapped_column(ForeignKey("business.id"), nullable=False)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), nullable=False)
    # Running number per business, assigned when the invoice is issued (drafts have none).
    number: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="draft", nullable=False)  # draft|issued|paid|cancelled
    currency: Mapped[str] = mapped_column(String(3), default="ILS", nullable=False)
    description: Mapped[str | None] = mapped_column(Text)
    amount_agorot: Mapped[int] = mapped_column(BigInteger, nullable=False)  # before VAT
    vat_rate_bp: Mapped[int | None] = mapped_column(Integer)  # basis points: 1800 = 18%
    vat_agorot: Mapped[int | None] = mapped_column(BigInteger)
    total_agorot: Mapped[int | None] = mapped_column(BigInteger)  # after VAT
    # The date the invoice is (or will be) issued on: decides the VAT rate and threshold.
    invoice_date: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The timeline's date for an invoice.
    issued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    is_b2b: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    customer_tax_id: Mapped[str | None] = mapped_column(String(16))  # ח.פ / עוסק מורשה
    allocation_number: Mapped[str | None] = mapped_column(String(9))  # מספר הקצאה
    # The name the invoice was issued to: kept even if the customer is later erased.
    bill_to_name: Mapped[str | None] = mapped_column(String(160))
    # A credit invoice points at the invoice it cancels.
    credit_for_invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoice.id"))

    def to_dict(self) -> dict:
        return InvoiceRow.dump(self)


class Contract(TimestampMixin, db.Model):
    __tablename__ = "contract"
    __table_args__ = (Index("ix_contract_customer_signed", "customer_id", "signed_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    business_id: Mapped[int] = mapped_column(ForeignKey("business.id"), nullable=False)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), nullable=False)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    status: Mapped[str] = mapped_column(String(16), default="draft", nullable=False)  # draft|sent|signed|cancelled
    amount_agorot: Mapped[int | None] = mapped_column(BigInteger)
    # The timeline's date for a contract; unsigned contracts have none.
    signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    notes: Mapped[str | None] = mapped_column(Text)

    def to_dict(self) -> dict:
        return ContractOut.dump(self)
