"""Customers: the fields a client (or a CSV row) gives, and the answers."""
from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

from server.error_codes import ErrorCode
from server.errors import FieldError
from server.schemas.common import IsoTime, OrmModel
from server.schemas.fields import EmailAddress, IsraeliPhone

NAME_MAX = 160
NOTES_MAX = 5000
FIELDS = ("name", "phone", "email", "notes", "id_last4")


def _blank_is_none(value: Any) -> Any:
    """An empty or all-space text clears an optional field."""
    return None if isinstance(value, str) and not value.strip() else value


def _name(value: str | None) -> str:
    if value is None or not value.strip():
        raise ValueError(FieldError(ErrorCode.NAME_REQUIRED, "name required"))
    if len(value.strip()) > NAME_MAX:
        raise ValueError(FieldError(ErrorCode.TOO_LONG, f"at most {NAME_MAX} characters", max=NAME_MAX))
    return value.strip()


def _notes(value: str | None) -> str | None:
    if value is not None and len(value) > NOTES_MAX:
        raise ValueError(FieldError(ErrorCode.TOO_LONG, f"text of at most {NOTES_MAX} characters", max=NOTES_MAX))
    return value.strip() if value is not None else None


def _id_last4(value: str | None) -> str | None:
    if value is not None and not re.fullmatch(r"\d{4}", value.strip()):
        raise ValueError(FieldError(ErrorCode.ID_LAST4, "the last 4 digits of the ID number"))
    return value.strip() if value is not None else None


# A name is never empty (null or blank: "name required"); the optional fields are cleared
# by null or an empty text.
CustomerName = Annotated[str | None, AfterValidator(_name), Field(description=f"at most {NAME_MAX} characters")]
CustomerPhone = Annotated[IsraeliPhone | None, BeforeValidator(_blank_is_none),
                          Field(description="any Israeli format; stored as E.164")]
CustomerEmail = Annotated[EmailAddress | None, BeforeValidator(_blank_is_none)]
CustomerNotes = Annotated[str | None, BeforeValidator(_blank_is_none), AfterValidator(_notes),
                          Field(description=f"at most {NOTES_MAX} characters")]
IdLast4 = Annotated[str | None, BeforeValidator(_blank_is_none), AfterValidator(_id_last4),
                    Field(description="the last 4 digits of the ID number (write-only)")]


class _CustomerFields(BaseModel):
    model_config = ConfigDict(extra="forbid")

    def given(self) -> dict[str, Any]:
        """The customer's fields the client sent, cleaned (an update changes only these)."""
        return {key: getattr(self, key) for key in FIELDS if key in self.model_fields_set}


class NewCustomer(_CustomerFields):
    """A new customer (the create body, and each row of a CSV import)."""
    name: CustomerName = Field(None, validate_default=True)
    phone: CustomerPhone = None
    email: CustomerEmail = None
    notes: CustomerNotes = None
    id_last4: IdLast4 = None


class CustomerChanges(_CustomerFields):
    """Only the fields given change; null clears an optional one."""
    name: CustomerName = None
    phone: CustomerPhone = None
    email: CustomerEmail = None
    notes: CustomerNotes = None
    id_last4: IdLast4 = None


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
