"""The knowledge base: entries, documents and what they became, search results."""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from server.error_codes import ErrorCode
from server.errors import FieldError
from server.schemas.common import IsoTime, OrmModel
from server.schemas.fields import BusinessIdParam


# ---- requests -------------------------------------------------------------------------------

class ScopeQuery(BaseModel):
    business_id: BusinessIdParam = None


class EntryBody(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    title: str = Field(min_length=1, max_length=200, description="the question or subject: \"חניה\"")
    body: str = Field(min_length=1, max_length=20000, description="the answer, as the agent may say it")


class SearchQuery(ScopeQuery):
    q: str = Field(default="", max_length=500)
    limit: int = Field(default=5, ge=1, le=20)

    @field_validator("q")
    @classmethod
    def _question(cls, value: str) -> str:
        if not value.strip():
            raise ValueError(FieldError(ErrorCode.QUESTION_REQUIRED, "a question is required"))
        return value.strip()


# ---- answers --------------------------------------------------------------------------------

class KnowledgeEntry(OrmModel):
    id: int
    business_id: int
    title: str
    body: str
    created_at: IsoTime
    updated_at: IsoTime


class KnowledgePassage(OrmModel):
    id: int
    ordinal: int
    title: str
    text: str


class KnowledgeDocument(OrmModel):
    id: int
    business_id: int
    filename: str
    content_type: str
    size_bytes: int
    status: Literal["pending", "ready", "failed"]
    error: str | None = Field(description="why extraction failed: an error code, translated like any other")
    uploaded_by: int | None
    extracted_at: IsoTime
    created_at: IsoTime
    updated_at: IsoTime
    passage_count: int


class KnowledgeDocumentDetail(KnowledgeDocument):
    passages: list[KnowledgePassage]


class SearchHit(BaseModel):
    id: int = Field(description="the entry's or the document's id")
    kind: Literal["entry", "document"]
    title: str
    passage: str
    score: float = Field(description="higher is better; comparable within one answer only")
