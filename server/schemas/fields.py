"""Field types shared by request models: one parser and one message per kind of value.

A request model declares `phone: IsraeliPhone`, `business_id: BusinessIdParam = None`, and
the edge answers a bad value with the same 422 field message and code everywhere; services
receive the parsed value (an E.164 string, an int) and never parse text themselves.
"""
from __future__ import annotations

import re
from typing import Annotated, Any

from email_validator import EmailNotValidError, validate_email
from pydantic import AfterValidator, BeforeValidator, Field

from server.error_codes import ErrorCode
from server.errors import FieldError
from server.phones import InvalidPhone, normalize_phone


def _e164(value: str) -> str:
    try:
        return normalize_phone(value)
    except InvalidPhone as exc:
        # A ValueError carrying its FieldError: validation.field_errors keeps its code.
        raise ValueError(exc.args[0]) from None


# Any Israeli spelling (050-123-4567, +972 50 123 4567, whatsapp:+972…) → "+972501234567".
IsraeliPhone = Annotated[str, AfterValidator(_e164)]

MAX_ID = 2**31 - 1  # ids are 32-bit integer columns on PostgreSQL
_NOT_WHOLE = FieldError(ErrorCode.NOT_INTEGER, "must be a whole number")


def _whole_number(value: Any) -> Any:
    """Query text "12" → 12; anything that is not a non-negative whole number is one 422."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValueError(_NOT_WHOLE)
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        return int(value.strip())
    raise ValueError(_NOT_WHOLE)


# ?business_id= — a platform admin's choice of business; everyone else's is checked against
# their own by authz.scoped_business_id (another business → 404).
BusinessIdParam = Annotated[
    # le: an id the database's integer column can hold; a larger one would be a 500 there.
    # (The bounds sit on the int, not the union: None, for "not given", has no order.)
    Annotated[int, Field(ge=0, le=MAX_ID)] | None,
    BeforeValidator(_whole_number),
    Field(description="a platform admin's choice of business"),
]


def _email(value: str) -> str:
    try:
        return validate_email(value.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        raise ValueError(FieldError(ErrorCode.INVALID_EMAIL, "invalid email")) from None


# An address alone (no "Name <…>" form, unlike pydantic's EmailStr), stored normalised and
# lower-cased: " Dana@Example.co.il" → "dana@example.co.il". The domain is not looked up.
EmailAddress = Annotated[str, AfterValidator(_email)]


_LOGIN_EMAIL = re.compile(r"[^@\s]+@[^@\s]+")


def _login_email(value: str) -> str:
    email = value.strip().lower()
    if not _LOGIN_EMAIL.fullmatch(email):
        raise ValueError(FieldError(ErrorCode.INVALID_EMAIL, "invalid email"))
    return email


# A login is a name, not a mailbox we write to: an office's internal domain (admin@kesher.local)
# is fine, which email-validator refuses as a special-use name. Lower-cased, one "@", no spaces.
LoginEmail = Annotated[str, AfterValidator(_login_email)]
