"""Privacy requests: a customer's data export (a ZIP built by a background job)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from server.extensions import db
from server.models.base import JSONType, TimestampMixin, UTCDateTime
from server.schemas.privacy import DataExportRow

EXPORT_STATUSES = ("queued", "running", "done", "failed", "expired", "erased")


class DataExport(TimestampMixin, db.Model):
    __tablename__ = "data_export"
    __table_args__ = (Index("ix_data_export_business_customer", "business_id", "customer_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    business_id: Mapped[int] = mapped_column(ForeignKey("business.id"), nullable=False)
    # Plain ids, no foreign keys: an export outlives neither, but must never block a delete.
    customer_id: Mapped[int] = mapped_column(Integer, nullable=False)
    requested_by_user_id: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="queued", nullable=False)
    progress: Mapped[int] = mapped_column(Integer, default=0, nullable=False)  # 0..100
    step: Mapped[str | None] = mapped_column(String(64))
    error: Mapped[str | None] = mapped_column(Text)
    # The ZIP's file name inside EXPORT_DIR (random: the name reveals nothing).
    file_name: Mapped[str | None] = mapped_column(String(80))
    size_bytes: Mapped[int | None] = mapped_column(BigInteger)
    # What went in: {"calls": 2, "turns": 5, "audio_files": 3, "missing_files": [...]}.
    summary: Mapped[dict] = mapped_column(JSONType, default=dict, nullable=False)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # After this the ZIP is deleted and the export answers "expired".
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def to_dict(self) -> dict:
        return DataExportRow.dump(self)
