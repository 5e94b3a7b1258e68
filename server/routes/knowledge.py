"""The business's knowledge base: /api/knowledge (entries), /api/knowledge/documents,
/api/knowledge/search. Staff and viewers read; the business admin writes; a platform admin
names the business with ?business_id= (required to write or search)."""
from __future__ import annotations

from flask import Blueprint, jsonify, request

from server.authz import auth_required, current_user, roles_required, scoped_business_id
from server.schemas.common import Ok
from server.schemas.knowledge import (EntryBody, KnowledgeDocument, KnowledgeDocumentDetail, KnowledgeEntry,
                                      KnowledgePassage, ScopeQuery, SearchHit, SearchQuery)
from server.services.knowledge import documents as document_service
from server.services.knowledge import entries as entry_service
from server.services.knowledge.search import search
from server.validation import validate

knowledge_bp = Blueprint("knowledge", __name__, url_prefix="/api/knowledge")
WRITERS = ("admin",)
TAGS = ["knowledge"]


_DOCUMENT_COLUMNS = ("id", "business_id", "filename", "content_type", "size_bytes", "status", "error",
                     "uploaded_by", "extracted_at", "created_at", "updated_at")


def _document_dict(document, passage_count: int) -> dict:
    fields = {name: getattr(document, name) for name in _DOCUMENT_COLUMNS}
    return KnowledgeDocument.model_validate({**fields, "passage_count": passage_count}).model_dump(mode="json")


@knowledge_bp.get("")
@auth_required
@validate(query=ScopeQuery, response=list[KnowledgeEntry], tags=TAGS)
def list_entries(query: ScopeQuery):
    """The knowledge entries, by title. A platform admin without business_id sees every business's."""
    entries = entry_service.list_entries(scoped_business_id(query.business_id, required=False))
    return jsonify([KnowledgeEntry.dump(e) for e in entries]), 200


@knowledge_bp.post("")
@roles_required(*WRITERS)
@validate(query=ScopeQuery, body=EntryBody, response=KnowledgeEntry, status=201, tags=TAGS)
def create_entry(query: ScopeQuery, body: EntryBody):
    """Add an entry {"title", "body"}: searchable at once."""
    entry = entry_service.create_entry(scoped_business_id(query.business_id), body.title, body.body)
    return jsonify(KnowledgeEntry.dump(entry)), 201


@knowledge_bp.put("/<int:entry_id>")
@roles_required(*WRITERS)
@validate(query=ScopeQuery, body=EntryBody, response=KnowledgeEntry, tags=TAGS)
def update_entry(entry_id: int, query: ScopeQuery, body: EntryBody):
    """Replace an entry's title and body."""
    entry = entry_service.update_entry(scoped_business_id(query.business_id, required=False), entry_id,
                                       body.title, body.body)
    return jsonify(KnowledgeEntry.dump(entry)), 200


@knowledge_bp.delete("/<int:entry_id>")
@roles_required(*WRITERS)
@validate(query=ScopeQuery, response=Ok, tags=TAGS)
def delete_entry(entry_id: int, query: ScopeQuery):
    """Delete an entry and its passage."""
    entry_service.delete_entry(scoped_business_id(query.business_id, required=False), entry_id)
    return jsonify({"ok": True}), 200


@knowledge_bp.get("/documents")
@auth_required
@validate(query=ScopeQuery, response=list[KnowledgeDocument], tags=TAGS)
def list_documents(query: ScopeQuery):
    """Uploaded documents, newest first, with their status and passage count."""
    documents = document_service.list_documents(scoped_business_id(query.business_id, required=False))
    counts = document_service.passage_counts(documents)
    return jsonify([_document_dict(d, counts.get(d.id, 0)) for d in documents]), 200


@knowledge_bp.post("/documents")
@roles_required(*WRITERS)
@validate(query=ScopeQuery, response=KnowledgeDocument, status=201, tags=TAGS)
def upload_document(query: ScopeQuery):
    """Upload a PDF, DOCX or text file (multipart field `file`, up to 5 MB). Answers the
    document at once; its status is pending until read, then ready or failed."""
    business_id = scoped_business_id(query.business_id)
    upload = request.files.get("file")
    data = upload.read() if upload is not None else None
    document = document_service.upload_document(business_id, current_user().id,
                                                upload.filename if upload is not None else None, data)
    return jsonify(_document_dict(document, len(document_service.passages_of(document)))), 201


@knowledge_bp.get("/documents/<int:document_id>")
@auth_required
@validate(query=ScopeQuery, response=KnowledgeDocumentDetail, tags=TAGS)
def get_document(document_id: int, query: ScopeQuery):
    """One document and the passages it became."""
    document = document_service.get_document(scoped_business_id(query.business_id, required=False), document_id)
    passages = document_service.passages_of(document)
    return jsonify({**_document_dict(document, len(passages)),
                    "passages": [KnowledgePassage.dump(p) for p in passages]}), 200


@knowledge_bp.delete("/documents/<int:document_id>")
@roles_required(*WRITERS)
@validate(query=ScopeQuery, response=Ok, tags=TAGS)
def delete_document(document_id: int, query: ScopeQuery):
    """Delete a document and its passages."""
    document_service.delete_document(scoped_business_id(query.business_id, required=False), document_id)
    return jsonify({"ok": True}), 200


@knowledge_bp.get("/search")
@auth_required
@validate(query=SearchQuery, response=list[SearchHit], tags=TAGS)
def search_knowledge(query: SearchQuery):
    """The passages that best answer ?q=, best first: [{"id","kind","title","passage","score"}]."""
    hits = search(scoped_business_id(query.business_id), query.q, limit=query.limit)
    return jsonify([hit.to_dict() for hit in hits]), 200
