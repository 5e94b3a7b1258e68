from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, Field, WithJsonSchema

from server.error_codes import ErrorCode
from server.errors import FieldError
from server.schemas.common import IsoTime, OrmModel
from server.schemas.fields import BusinessIdParam, LoginEmail


class User(OrmModel):
    id: int
    email: str
    name: str | None
    role: Literal["admin", "staff", "viewer"]  # ROLES
    business_id: int | None
    active: bool
    last_login_at: IsoTime
    created_at: IsoTime


# ---- requests ---------------------------------------------------------------------------
# The rules of a user's fields, once: the API's bodies and `flask create-user` parse with them,
# and the service receives typed values (the rules that need the actor — which business —
# stay in services/users.py).

MIN_PASSWORD_LENGTH = 8
NAME_MAX = 160
ROLES = ("admin", "staff", "viewer")


def _password(value: str) -> str:
    if len(value) < MIN_PASSWORD_LENGTH:
        raise ValueError(FieldError(ErrorCode.TOO_SHORT, f"at least {MIN_PASSWORD_LENGTH} characters",
                                    min=MIN_PASSWORD_LENGTH))
    return value


def _role(value: str) -> str:
    if value not in ROLES:
        raise ValueError(FieldError(ErrorCode.ONE_OF, f"one of {', '.join(ROLES)}", choices=list(ROLES)))
    return value


def _name(value: str | None) -> str | None:
    name = (value or "").strip()
    if len(name) > NAME_MAX:
        raise ValueError(FieldError(ErrorCode.TOO_LONG, f"at most {NAME_MAX} characters", max=NAME_MAX))
    return name or None


Password = Annotated[str, Field(max_length=1024), AfterValidator(_password)]
Role = Annotated[str, AfterValidator(_role), WithJsonSchema({"type": "string", "enum": list(ROLES)})]
UserName = Annotated[str | None, AfterValidator(_name)]


class NewUser(BaseModel):
    email: Annotated[LoginEmail, Field(max_length=254)]
    password: Password
    role: Role
    business_id: BusinessIdParam = None
    name: UserName = None


class UserChanges(BaseModel):
    """Only the keys sent change (`model_fields_set`)."""
    name: UserName = None
    # Not sent: unchanged; sent as null: refused (a user always has a role and a password).
    role: Role = None
    business_id: BusinessIdParam = None
    password: Password = None
