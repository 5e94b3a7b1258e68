"""The business's knowledge base: question/answer entries, uploaded documents, and the
passages both are split into (the unit retrieval ranks and the agent quotes)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, deferred, mapped_column

from server.extensions import db
from server.models.base import TimestampMixin, UTCDateTime


class KnowledgeEntry(TimestampMixin, db.Model):
    __tablename__ = "knowledge_entry"
    __table_args__ = (Index("ix_knowledge_entry_business", "business_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    business_id: Mapped[int] = mapped_column(ForeignKey("business.id", ondelete="CASCADE"), nullable=False)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False)


class KnowledgeDocument(TimestampMixin, db.Model):
    __tablename__ = "knowledge_document"
    __table_args__ = (Index("ix_knowledge_document_business", "business_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    business_id: Mapped[int] = mapped_column(ForeignKey("business.id", ondelete="CASCADE"), nullable=False)
    filename: Mapped[str] = mapped_column(String(255), nullable=False)
    content_type: Mapped[str] = mapped_column(String(100), nullable=False)  # what the file was read as
    size_bytes: Mapped[int] = mapped_column(Integer, nullable=False)
    # The upload itself, kept until (and after) extraction: an accepted upload is never lost
    # to a worker that dies mid-job, and a failed one can be read again.
    content: Mapped[bytes] = deferred(mapped_column(LargeBinary, nullable=False))
    status: Mapped[str] = mapped_column(String(16), default="pending", nullable=False)  # pending | ready | failed
    error: Mapped[str | None] = mapped_column(String(64))  # an ErrorCode value when failed
    uploaded_by: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    extracted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class KnowledgePassage(db.Model):
    """One searchable piece of an entry (the whole entry) or of a document (~80–200 words).

    `search_text` is what the full-text index holds: the normalised words, each followed by
    its forms without Hebrew prefixes (services/knowledge/text.py index_text)."""

    __tablename__ = "knowledge_passage"
    __table_args__ = (
        CheckConstraint("(entry_id IS NULL) <> (document_id IS NULL)", name="one_source"),
        Index("ix_knowledge_passage_business", "business_id"),
        Index("ix_knowledge_passage_entry", "entry_id"),
        Index("ix_knowledge_passage_document", "document_id", "ordinal"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    business_id: Mapped[int] = mapped_column(ForeignKey("business.id", ondelete="CASCADE"), nullable=False)
    entry_id: Mapped[int | None] = mapped_column(ForeignKey("knowledge_entry.id", ondelete="CASCADE"))
    document_id: Mapped[int | None] = mapped_column(ForeignKey("knowledge_document.id", ondelete="CASCADE"))
    ordinal: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    text: Mapped[str] = mapped_column(Text, nullable=False)
    search_text: Mapped[str] = mapped_column(Text, nullable=False)

    @property
    def kind(self) -> str:
        return "entry" if self.entry_id is not None else "document"
