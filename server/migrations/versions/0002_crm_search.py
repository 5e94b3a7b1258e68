"""CRM search and paging at scale: trigram search, per-day customer counts

Revision ID: 0002_crm_search
Revises: 0001
Create Date: 2026-11-24

- PostgreSQL: pg_trgm GIN index on customer.search_text (serves LIKE '%…%', Hebrew too
  under C.UTF-8). SQLite: an FTS5 trigram table over search_text, kept in step by triggers.
- Both: customer_day_count(business_id, day, n), kept exact by triggers on customer. It
  gives the unfiltered total without count(*) and lets a deep page seek to the right day
  instead of skipping OFFSET rows (services/customers.py).
These objects are unknown to the models; migrations/env.py keeps autogenerate off them.
"""
from alembic import op

revision = "0002_crm_search"
down_revision = "0001"
branch_labels = None
depends_on = None

# Days since 1970-01-01 of the (naive UTC) created_at, the same in SQL and in Python.
_PG_DAY = "({row}.created_at::date - DATE '1970-01-01')"
_SQLITE_DAY = "CAST(julianday(substr({row}.created_at, 1, 10)) - 2440587.5 AS INTEGER)"

PG_UP = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX ix_customer_search_trgm ON customer USING gin (search_text gin_trgm_ops)",
    """CREATE TABLE customer_day_count (
        business_id integer NOT NULL REFERENCES business (id) ON DELETE CASCADE,
        day integer NOT NULL,
        n bigint NOT NULL DEFAULT 0,
        CONSTRAINT pk_customer_day_count PRIMARY KEY (business_id, day))""",
    # Statement-level with transition tables: a bulk insert (CSV import, COPY) costs one
    # grouped upsert, not one per row.
    f"""CREATE FUNCTION customer_day_count_insert() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO customer_day_count (business_id, day, n)
        SELECT business_id, {_PG_DAY.format(row='new_rows')}, count(*) FROM new_rows GROUP BY 1, 2
        ORDER BY 1, 2
        ON CONFLICT (business_id, day) DO UPDATE SET n = customer_day_count.n + EXCLUDED.n;
        RETURN NULL;
    END $$""",
    f"""CREATE FUNCTION customer_day_count_delete() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE customer_day_count c SET n = c.n - d.n
        FROM (SELECT business_id, {_PG_DAY.format(row='old_rows')} AS day, count(*) AS n
              FROM old_rows GROUP BY 1, 2) d
        WHERE c.business_id = d.business_id AND c.day = d.day;
        RETURN NULL;
    END $$""",
    f"""CREATE FUNCTION customer_day_count_move() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE customer_day_count SET n = n - 1
        WHERE business_id = OLD.business_id AND day = {_PG_DAY.format(row='OLD')};
        INSERT INTO customer_day_count (business_id, day, n)
        VALUES (NEW.business_id, {_PG_DAY.format(row='NEW')}, 1)
        ON CONFLICT (business_id, day) DO UPDATE SET n = customer_day_count.n + 1;
        RETURN NULL;
    END $$""",
    """CREATE FUNCTION customer_day_count_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        DELETE FROM customer_day_count;
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER customer_day_count_ins AFTER INSERT ON customer
        REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION customer_day_count_insert()""",
    """CREATE TRIGGER customer_day_count_del AFTER DELETE ON customer
        REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION customer_day_count_delete()""",
    """CREATE TRIGGER customer_day_count_upd AFTER UPDATE OF business_id, created_at ON customer
        FOR EACH ROW WHEN (OLD.business_id IS DISTINCT FROM NEW.business_id
                           OR OLD.created_at::date IS DISTINCT FROM NEW.created_at::date)
        EXECUTE FUNCTION customer_day_count_move()""",
    """CREATE TRIGGER customer_day_count_trunc AFTER TRUNCATE ON customer
        FOR EACH STATEMENT EXECUTE FUNCTION customer_day_count_truncate()""",
    f"""INSERT INTO customer_day_count (business_id, day, n)
        SELECT business_id, {_PG_DAY.format(row='customer')}, count(*) FROM customer GROUP BY 1, 2""",
]

PG_DOWN = [
    "DROP TRIGGER IF EXISTS customer_day_count_trunc ON customer",
    "DROP TRIGGER IF EXISTS customer_day_count_upd ON customer",
    "DROP TRIGGER IF EXISTS customer_day_count_del ON customer",
    "DROP TRIGGER IF EXISTS customer_day_count_ins ON customer",
    "DROP FUNCTION IF EXISTS customer_day_count_truncate()",
    "DROP FUNCTION IF EXISTS customer_day_count_move()",
    "DROP FUNCTION IF EXISTS customer_day_count_delete()",
    "DROP FUNCTION IF EXISTS customer_day_count_insert()",
    "DROP TABLE IF EXISTS customer_day_count",
    "DROP INDEX IF EXISTS ix_customer_search_trgm",
]

SQLITE_UP = [
    """CREATE TABLE customer_day_count (
        business_id INTEGER NOT NULL REFERENCES business (id) ON DELETE CASCADE,
        day INTEGER NOT NULL,
        n INTEGER NOT NULL DEFAULT 0,
        CONSTRAINT pk_customer_day_count PRIMARY KEY (business_id, day)) WITHOUT ROWID""",
    f"""CREATE TRIGGER customer_day_count_ins AFTER INSERT ON customer BEGIN
        INSERT INTO customer_day_count (business_id, day, n)
        VALUES (NEW.business_id, {_SQLITE_DAY.format(row='NEW')}, 1)
        ON CONFLICT (business_id, day) DO UPDATE SET n = n + 1;
    END""",
    f"""CREATE TRIGGER customer_day_count_del AFTER DELETE ON customer BEGIN
        UPDATE customer_day_count SET n = n - 1
        WHERE business_id = OLD.business_id AND day = {_SQLITE_DAY.format(row='OLD')};
    END""",
    f"""CREATE TRIGGER customer_day_count_upd AFTER UPDATE OF business_id, created_at ON customer
        WHEN OLD.business_id IS NOT NEW.business_id
             OR {_SQLITE_DAY.format(row='OLD')} IS NOT {_SQLITE_DAY.format(row='NEW')} BEGIN
        UPDATE customer_day_count SET n = n - 1
        WHERE business_id = OLD.business_id AND day = {_SQLITE_DAY.format(row='OLD')};
        INSERT INTO customer_day_count (business_id, day, n)
        VALUES (NEW.business_id, {_SQLITE_DAY.format(row='NEW')}, 1)
        ON CONFLICT (business_id, day) DO UPDATE SET n = n + 1;
    END""",
    f"""INSERT INTO customer_day_count (business_id, day, n)
        SELECT business_id, {_SQLITE_DAY.format(row='customer')}, count(*) FROM customer GROUP BY 1, 2""",
    # External-content FTS5 table: the text lives once, in customer.search_text.
    """CREATE VIRTUAL TABLE customer_fts USING fts5(
        search_text, content='customer', content_rowid='id', tokenize='trigram')""",
    """CREATE TRIGGER customer_fts_ins AFTER INSERT ON customer BEGIN
        INSERT INTO customer_fts (rowid, search_text) VALUES (NEW.id, NEW.search_text);
    END""",
    """CREATE TRIGGER customer_fts_del AFTER DELETE ON customer BEGIN
        INSERT INTO customer_fts (customer_fts, rowid, search_text) VALUES ('delete', OLD.id, OLD.search_text);
    END""",
    """CREATE TRIGGER customer_fts_upd AFTER UPDATE OF search_text ON customer BEGIN
        INSERT INTO customer_fts (customer_fts, rowid, search_text) VALUES ('delete', OLD.id, OLD.search_text);
        INSERT INTO customer_fts (rowid, search_text) VALUES (NEW.id, NEW.search_text);
    END""",
    "INSERT INTO customer_fts (customer_fts) VALUES ('rebuild')",
]

SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS customer_fts_upd",
    "DROP TRIGGER IF EXISTS customer_fts_del",
    "DROP TRIGGER IF EXISTS customer_fts_ins",
    "DROP TABLE IF EXISTS customer_fts",
    "DROP TRIGGER IF EXISTS customer_day_count_upd",
    "DROP TRIGGER IF EXISTS customer_day_count_del",
    "DROP TRIGGER IF EXISTS customer_day_count_ins",
    "DROP TABLE IF EXISTS customer_day_count",
]


def _run(statements):
    for statement in statements:
        op.execute(statement)


def upgrade():
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        _run(PG_UP)
    elif dialect == "sqlite":
        _run(SQLITE_UP)
    else:
        raise NotImplementedError(f"CRM search indexes for {dialect}")


def downgrade():
    dialect = op.get_bind().dialect.name
    _run(PG_DOWN if dialect == "postgresql" else SQLITE_DOWN)
