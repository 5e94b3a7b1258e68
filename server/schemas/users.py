from __future__ import annotations

from typing import Literal

from server.schemas.common import IsoTime, OrmModel


class User(OrmModel):
    id: int
    email: str
    name: str | None
    role: Literal["admin", "staff", "viewer"]
    business_id: int | None
    active: bool
    last_login_at: IsoTime
    created_at: IsoTime
