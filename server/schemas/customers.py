from __future__ import annotations

from pydantic import BaseModel

from server.schemas.common import IsoTime, OrmModel


class Customer(OrmModel):
    """`id_last4` is write-only: never answered."""
    id: int
    business_id: int
    name: str
    phone: str | None
    email: str | None
    notes: str | None
    source: str
    created_at: IsoTime
    updated_at: IsoTime


class CustomerPage(BaseModel):
    page: int
    limit: int
    total: int
    items: list[Customer]


class ImportSkipped(BaseModel):
    row: int
    reason: str


class ImportRejectedRow(BaseModel):
    row: int
    errors: dict[str, str]


class ImportResult(BaseModel):
    imported: int
    skipped: list[ImportSkipped]
    rejected: list[ImportRejectedRow]
    ignored_columns: list[str]
