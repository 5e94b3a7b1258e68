"""Building blocks of the response models."""
from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict


def _isoformat(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


# A time as the API writes it: ISO 8601 in UTC ("2026-03-01T08:00:00+00:00"), or null.
IsoTime = Annotated[str | None, BeforeValidator(_isoformat)]


class OrmModel(BaseModel):
    """A response model read straight from a table row's attributes."""
    model_config = ConfigDict(from_attributes=True)

    @classmethod
    def dump(cls, row: Any) -> dict:
        # Reading one column loads an expired row first, so a row deleted meanwhile raises the
        # ORM's own error (error_handlers answers 404) rather than a pydantic one that wraps it.
        getattr(row, "id", None)
        # exclude_unset: a field the row has no attribute for (one a service adds) is left out.
        return cls.model_validate(row).model_dump(by_alias=True, exclude_unset=True)


class Ok(BaseModel):
    ok: bool


def binary(*media_types: str) -> dict:
    """A file answer (audio, CSV, ZIP), documented by its media types."""
    return {media_type: {"type": "string", "format": "binary"} for media_type in media_types}
