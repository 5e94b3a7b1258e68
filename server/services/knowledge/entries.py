"""Question/answer entries of the knowledge base. Every public function commits."""
from __future__ import annotations

from sqlalchemy import select

from server.errors import NotFound
from server.extensions import db
from server.models import KnowledgeEntry
from server.services import audit
from server.services.knowledge.search import store_passages
from server.services.knowledge.text import MAX_WORDS, split_passages
from server.tenancy import BusinessScope, in_scope, scope_filter


def _passages(title: str, body: str) -> list[tuple[str, str]]:
    """A short answer is one passage under its title; a long one is split like a document."""
    if len(body.split()) <= MAX_WORDS:
        return [(title, body)]
    paragraphs = [("para", p.strip()) for p in body.replace("\r\n", "\n").split("\n\n") if p.strip()]
    return split_passages(paragraphs, title)


def list_entries(scope: BusinessScope) -> list[KnowledgeEntry]:
    return list(db.session.scalars(select(KnowledgeEntry).where(scope_filter(KnowledgeEntry.business_id, scope))
                                   .order_by(KnowledgeEntry.title, KnowledgeEntry.id)))


def get_entry(scope: BusinessScope, entry_id: int) -> KnowledgeEntry:
    entry = db.session.get(KnowledgeEntry, entry_id)
    if entry is None or not in_scope(scope, entry.business_id):
        raise NotFound()
    return entry


def create_entry(business_id: int, title: str, body: str) -> KnowledgeEntry:
    entry = KnowledgeEntry(business_id=business_id, title=title, body=body)
    db.session.add(entry)
    db.session.flush()
    store_passages(business_id, _passages(title, body), entry_id=entry.id)
    audit.record("create", "knowledge_entry", entry.id, business_id, {"title": title})
    db.session.commit()
    return entry


def update_entry(scope: BusinessScope, entry_id: int, title: str, body: str) -> KnowledgeEntry:
    entry = get_entry(scope, entry_id)
    entry.title, entry.body = title, body
    store_passages(entry.business_id, _passages(title, body), entry_id=entry.id)
    audit.record("update", "knowledge_entry", entry.id, entry.business_id, {"title": title})
    db.session.commit()
    return entry


def delete_entry(scope: BusinessScope, entry_id: int) -> None:
    entry = get_entry(scope, entry_id)
    audit.record("delete", "knowledge_entry", entry.id, entry.business_id, {"title": entry.title})
    store_passages(entry.business_id, [], entry_id=entry.id)
    db.session.delete(entry)
    db.session.commit()
