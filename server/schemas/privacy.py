from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, Field

from server.schemas.common import IsoTime, OrmModel
from server.schemas.customers import Customer


class DataExportRow(OrmModel):
    id: int
    business_id: int
    customer_id: int
    requested_by_user_id: int | None
    status: str
    progress: int
    step: str | None
    error: str | None
    size_bytes: int | None
    summary: Annotated[dict[str, Any], BeforeValidator(lambda value: value or {})]
    created_at: IsoTime
    started_at: IsoTime
    finished_at: IsoTime
    expires_at: IsoTime


class DataExport(DataExportRow):
    download_url: str | None = Field(description="a signed, expiring link once the export is done")


class ExportList(BaseModel):
    items: list[DataExport]


class ErasureResult(BaseModel):
    customer: Customer
    erased: dict[str, int]
    audio_files_failed: int
    remote_recordings_queued: int
