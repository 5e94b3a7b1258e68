"""The knowledge base: entries, documents, passages, and their Hebrew full-text index

Revision ID: 0005_knowledge
Revises: 0004_appointments
Create Date: 2026-12-05

- knowledge_entry (question/answer), knowledge_document (an upload, its bytes and its
  extraction status), knowledge_passage (what retrieval ranks); every row names its business
  and goes with it (ON DELETE CASCADE).
- SQLite: an external-content FTS5 table over knowledge_passage.search_text (unicode61
  words; BM25 ranks), kept in step by triggers. PostgreSQL: a stored generated column
  search_tsv = to_tsvector('simple', search_text) with a GIN index (ts_rank ranks). The text is already normalised and
  carries each word's prefix-free forms (services/knowledge/text.py), so neither database
  needs a Hebrew dictionary.
These objects (and search_tsv) are unknown to the models; migrations/env.py keeps autogenerate off them.
"""
from alembic import op
import sqlalchemy as sa

revision = "0005_knowledge"
down_revision = "0004_appointments"
branch_labels = None
depends_on = None

SQLITE_UP = [
    # business_id is an indexed column too: a search matches `business_id : "17" AND (…)`, so
    # the index itself keeps it inside one business (bm25 gives that column no weight).
    """CREATE VIRTUAL TABLE knowledge_fts USING fts5(
        business_id, search_text, content='knowledge_passage', content_rowid='id', tokenize='unicode61')""",
    """CREATE TRIGGER knowledge_fts_ins AFTER INSERT ON knowledge_passage BEGIN
        INSERT INTO knowledge_fts (rowid, business_id, search_text) VALUES (NEW.id, NEW.business_id, NEW.search_text);
    END""",
    """CREATE TRIGGER knowledge_fts_del AFTER DELETE ON knowledge_passage BEGIN
        INSERT INTO knowledge_fts (knowledge_fts, rowid, business_id, search_text)
        VALUES ('delete', OLD.id, OLD.business_id, OLD.search_text);
    END""",
    """CREATE TRIGGER knowledge_fts_upd AFTER UPDATE OF business_id, search_text ON knowledge_passage BEGIN
        INSERT INTO knowledge_fts (knowledge_fts, rowid, business_id, search_text)
        VALUES ('delete', OLD.id, OLD.business_id, OLD.search_text);
        INSERT INTO knowledge_fts (rowid, business_id, search_text) VALUES (NEW.id, NEW.business_id, NEW.search_text);
    END""",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS knowledge_fts_upd",
    "DROP TRIGGER IF EXISTS knowledge_fts_del",
    "DROP TRIGGER IF EXISTS knowledge_fts_ins",
    "DROP TABLE IF EXISTS knowledge_fts",
]
# The tsvector is stored (a generated column): ranking thousands of matches must not parse
# each passage's text again.
PG_UP = [
    "ALTER TABLE knowledge_passage ADD COLUMN search_tsv tsvector "
    "GENERATED ALWAYS AS (to_tsvector('simple', search_text)) STORED",
    "CREATE INDEX ix_knowledge_passage_tsv ON knowledge_passage USING gin (search_tsv)",
]
PG_DOWN = ["DROP INDEX IF EXISTS ix_knowledge_passage_tsv",
           "ALTER TABLE knowledge_passage DROP COLUMN IF EXISTS search_tsv"]


def _timestamps():
    return [sa.Column("created_at", sa.DateTime(), nullable=False),
            sa.Column("updated_at", sa.DateTime(), nullable=False)]


def upgrade():
    op.create_table(
        "knowledge_entry",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("business_id", sa.Integer(), sa.ForeignKey("business.id", ondelete="CASCADE"), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        *_timestamps(),
    )
    op.create_index("ix_knowledge_entry_business", "knowledge_entry", ["business_id", "id"])
    op.create_table(
        "knowledge_document",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("business_id", sa.Integer(), sa.ForeignKey("business.id", ondelete="CASCADE"), nullable=False),
        sa.Column("filename", sa.String(255), nullable=False),
        sa.Column("content_type", sa.String(100), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("error", sa.String(64)),
        sa.Column("uploaded_by", sa.Integer(), sa.ForeignKey("user.id", ondelete="SET NULL")),
        sa.Column("extracted_at", sa.DateTime()),
        *_timestamps(),
    )
    op.create_index("ix_knowledge_document_business", "knowledge_document", ["business_id", "id"])
    op.create_table(
        "knowledge_passage",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("business_id", sa.Integer(), sa.ForeignKey("business.id", ondelete="CASCADE"), nullable=False),
        sa.Column("entry_id", sa.Integer(), sa.ForeignKey("knowledge_entry.id", ondelete="CASCADE")),
        sa.Column("document_id", sa.Integer(), sa.ForeignKey("knowledge_document.id", ondelete="CASCADE")),
        sa.Column("ordinal", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.CheckConstraint("(entry_id IS NULL) <> (document_id IS NULL)", name=op.f("ck_knowledge_passage_one_source")),
    )
    op.create_index("ix_knowledge_passage_business", "knowledge_passage", ["business_id"])
    op.create_index("ix_knowledge_passage_entry", "knowledge_passage", ["entry_id"])
    op.create_index("ix_knowledge_passage_document", "knowledge_passage", ["document_id", "ordinal"])
    dialect = op.get_bind().dialect.name
    for statement in PG_UP if dialect == "postgresql" else SQLITE_UP:
        op.execute(statement)


def downgrade():
    dialect = op.get_bind().dialect.name
    for statement in PG_DOWN if dialect == "postgresql" else SQLITE_DOWN:
        op.execute(statement)
    op.drop_table("knowledge_passage")
    op.drop_table("knowledge_document")
    op.drop_table("knowledge_entry")
