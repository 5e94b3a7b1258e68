"""Uploaded documents: accepted at once (the row and its bytes are stored, status
"pending"), read into passages by the job knowledge.extract_document_task ("ready", or
"failed" with an error code). A worker killed mid-job leaves the row pending; the sweep
queues it again, so an accepted upload is never lost."""
from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import PurePath

from sqlalchemy import select

from server.error_codes import ErrorCode
from server.errors import AppError, FieldError, NotFound, ValidationFailed
from server.extensions import db
from server.jobs import enqueue
from server.models import KnowledgeDocument, KnowledgePassage
from server.models.base import utcnow
from server.services import audit
from server.services.knowledge.extract import CONTENT_TYPES, ExtractionError, detect_kind, extract_blocks
from server.services.knowledge.search import store_passages
from server.services.knowledge.text import split_passages
from server.tenancy import BusinessScope, in_scope, scope_filter

log = logging.getLogger(__name__)

MAX_BYTES = 5 * 1024 * 1024  # per document: a long Hebrew policy PDF is well under 1 MB
MAX_PASSAGES = 2000
STUCK_AFTER = timedelta(minutes=5)


def _clean_filename(name: str | None) -> str:
    name = PurePath((name or "").replace("\\", "/")).name.strip()
    return (name or "מסמך")[:255]


def upload_document(business_id: int, uploaded_by: int | None, filename: str | None, data: bytes | None) -> KnowledgeDocument:
    """Accept an upload (checks that need no parsing happen here, so they answer at once)."""
    if data is None:
        raise ValidationFailed({"file": FieldError(ErrorCode.FILE_REQUIRED, "a file is required (multipart field `file`)")})
    if len(data) > MAX_BYTES:
        raise AppError("file too large", status_code=413, code=ErrorCode.FILE_TOO_LARGE, fields={
            "file": FieldError(ErrorCode.FILE_TOO_LARGE, f"at most {MAX_BYTES} bytes",
                               max=MAX_BYTES, max_mb=MAX_BYTES // (1024 * 1024))})
    if not data.strip():
        raise ValidationFailed({"file": FieldError(ErrorCode.FILE_EMPTY, "the file is empty")})
    name = _clean_filename(filename)
    kind = detect_kind(name, data)
    if kind is None:
        raise ValidationFailed({"file": FieldError(ErrorCode.UNSUPPORTED_DOCUMENT_TYPE,
                                                   "PDF, DOCX or plain text only")})
    document = KnowledgeDocument(business_id=business_id, filename=name, content_type=CONTENT_TYPES[kind],
                                 size_bytes=len(data), content=data, status="pending", uploaded_by=uploaded_by)
    db.session.add(document)
    db.session.flush()
    audit.record("create", "knowledge_document", document.id, business_id,
                 {"filename": name, "size_bytes": len(data)})
    db.session.commit()
    document_id = document.id
    enqueue("knowledge.extract_document_task", document_id)
    db.session.expire_all()  # an inline job committed the passages in this session
    return db.session.get(KnowledgeDocument, document_id)


def extract_document(document_id: int) -> str | None:
    """The job: read the document into passages. Returns the status it ends in."""
    document = db.session.get(KnowledgeDocument, document_id)
    if document is None:
        return None  # deleted before its turn
    if document.status != "pending":
        return document.status
    try:
        _, blocks = extract_blocks(document.filename, document.content)
        passages = split_passages(blocks, PurePath(document.filename).stem or document.filename)[:MAX_PASSAGES]
        if not passages:
            raise ExtractionError(ErrorCode.DOCUMENT_NO_TEXT)
    except ExtractionError as exc:
        document.status, document.error = "failed", exc.code.value
    except Exception:  # a library's own bug on a hostile file: the document fails, the worker lives
        log.exception("knowledge document %s: extraction failed", document_id)
        document.status, document.error = "failed", ErrorCode.DOCUMENT_UNREADABLE.value
    else:
        store_passages(document.business_id, passages, document_id=document.id)
        document.status, document.error = "ready", None
    document.extracted_at = utcnow()
    db.session.commit()
    return document.status


def sweep_pending(now=None) -> int:
    """Queue again the documents a killed worker left pending."""
    cutoff = (now or utcnow()) - STUCK_AFTER
    ids = list(db.session.scalars(select(KnowledgeDocument.id).where(
        KnowledgeDocument.status == "pending", KnowledgeDocument.updated_at < cutoff)))
    for document_id in ids:
        enqueue("knowledge.extract_document_task", document_id)
    return len(ids)


def list_documents(scope: BusinessScope) -> list[KnowledgeDocument]:
    return list(db.session.scalars(select(KnowledgeDocument)
                                   .where(scope_filter(KnowledgeDocument.business_id, scope))
                                   .order_by(KnowledgeDocument.id.desc())))


def get_document(scope: BusinessScope, document_id: int) -> KnowledgeDocument:
    document = db.session.get(KnowledgeDocument, document_id)
    if document is None or not in_scope(scope, document.business_id):
        raise NotFound()
    return document


def passages_of(document: KnowledgeDocument) -> list[KnowledgePassage]:
    return list(db.session.scalars(select(KnowledgePassage).where(
        KnowledgePassage.business_id == document.business_id, KnowledgePassage.document_id == document.id)
        .order_by(KnowledgePassage.ordinal)))


def passage_counts(documents: list[KnowledgeDocument]) -> dict[int, int]:
    from sqlalchemy import func
    if not documents:
        return {}
    rows = db.session.execute(select(KnowledgePassage.document_id, func.count()).where(
        KnowledgePassage.document_id.in_([d.id for d in documents])).group_by(KnowledgePassage.document_id))
    return {document_id: n for document_id, n in rows}


def delete_document(scope: BusinessScope, document_id: int) -> None:
    document = get_document(scope, document_id)
    audit.record("delete", "knowledge_document", document.id, document.business_id, {"filename": document.filename})
    store_passages(document.business_id, [], document_id=document.id)
    db.session.delete(document)
    db.session.commit()
