"""Retrieval: the passages of one business that best answer a Hebrew question.

SQLite ranks with FTS5's BM25 over knowledge_fts; PostgreSQL with ts_rank over the stored
search_tsv = to_tsvector('simple', search_text) and its GIN index (0005_knowledge). Both
see the same words: the passage's index_text and the question's query_forms (text.py). Scoping is one business id,
always: there is no "every business" search.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, text

from server.extensions import db
from server.models import KnowledgePassage
from server.services.knowledge.text import content_words, forms, index_text, query_forms

MAX_RESULTS = 20
RERANK_DEPTH = 30  # candidates the database ranks, re-ordered by how many question words each holds


@dataclass(frozen=True)
class Hit:
    passage_id: int
    kind: str            # entry | document
    source_id: int       # the entry's or the document's id
    title: str
    passage: str
    score: float
    search_text: str

    def to_dict(self) -> dict:
        return {"id": self.source_id, "kind": self.kind, "title": self.title,
                "passage": self.passage, "score": self.score}


def store_passages(business_id: int, passages: list[tuple[str, str]], *, entry_id: int | None = None,
                   document_id: int | None = None) -> int:
    """Replace the passages of one entry or document (in the caller's transaction)."""
    source = KnowledgePassage.entry_id == entry_id if entry_id is not None else KnowledgePassage.document_id == document_id
    db.session.execute(delete(KnowledgePassage).where(KnowledgePassage.business_id == business_id, source))
    for ordinal, (title, body) in enumerate(passages):
        db.session.add(KnowledgePassage(business_id=business_id, entry_id=entry_id, document_id=document_id,
                                        ordinal=ordinal, title=title[:200], text=body,
                                        search_text=index_text(title, body)))
    return len(passages)


def _fts_query(forms: list[str]) -> str:
    return " OR ".join('"' + form.replace('"', '""') + '"' for form in forms)


def _ts_query(forms: list[str]) -> str:
    return " | ".join("'" + form.replace("'", "''").replace("\\", "") + "'" for form in forms)


def search(business_id: int, question: str, limit: int = 5) -> list[Hit]:
    """Best first. `business_id` is one business: a scope of every business is refused."""
    if not isinstance(business_id, int) or isinstance(business_id, bool):
        raise TypeError(f"knowledge search needs one business id, not {business_id!r}")
    forms = query_forms(question)
    if not forms:
        return []
    limit = max(1, min(limit, MAX_RESULTS))
    content = content_words(question)
    if db.engine.dialect.name == "sqlite":
        # The FTS table alone ranks (in C, with the business as an index term); only the best
        # RERANK_DEPTH rows are then read from the table, still filtered by business.
        rows = db.session.execute(text(
            "SELECT p.id, p.entry_id, p.document_id, p.title, p.text, p.search_text, best.score "
            "FROM (SELECT rowid, -bm25(knowledge_fts, 0.0, 1.0) AS score FROM knowledge_fts "
            "      WHERE knowledge_fts MATCH :match ORDER BY bm25(knowledge_fts, 0.0, 1.0) LIMIT :limit) AS best "
            "JOIN knowledge_passage p ON p.id = best.rowid "
            "WHERE p.business_id = :business_id ORDER BY best.score DESC, p.id"),
            {"match": f'business_id : "{business_id}" AND search_text : ({_fts_query(forms)})', "business_id": business_id,
             "limit": RERANK_DEPTH}).all()
    else:
        rows = db.session.execute(text(
            "SELECT p.id, p.entry_id, p.document_id, p.title, p.text, p.search_text, "
            "ts_rank(p.search_tsv, q, 1) AS score "
            "FROM knowledge_passage p, to_tsquery('simple', :query) q "
            "WHERE p.business_id = :business_id AND p.search_tsv @@ q "
            "ORDER BY score DESC, p.id LIMIT :limit"),
            {"query": _ts_query(forms), "business_id": business_id, "limit": RERANK_DEPTH}).all()
    hits = [Hit(passage_id=r.id, kind="entry" if r.entry_id is not None else "document",
                source_id=r.entry_id if r.entry_id is not None else r.document_id,
                title=r.title, passage=r.text, score=float(r.score), search_text=r.search_text)
            for r in rows]
    # Coordination (Lucene's "coord"): a passage holding more of the question's words comes
    # first; the database's rank orders passages that hold as many. BM25 alone lets one word
    # matched in several forms outweigh two words matched once.
    hits.sort(key=lambda hit: (-_held(content, hit), -hit.score, hit.passage_id))
    return hits[:limit]


def _held(content: list[str], hit: Hit) -> int:
    held = set(hit.search_text.split())
    return sum(1 for word in content if held.intersection(_word_forms(word)))


def _word_forms(word: str) -> list[str]:
    return forms(word)


def coverage(question: str, hit: Hit) -> float:
    """The share of the question's content words the passage holds in some form (0..1)."""
    content = content_words(question)
    return _held(content, hit) / len(content) if content else 0.0
