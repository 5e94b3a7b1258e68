"""Migration 0002_crm_search: its triggers and indexes exist after every head is applied
(a later migration that rebuilds the customer table would silently drop them), and
autogenerate sees no difference between the models and the database."""
from __future__ import annotations

from sqlalchemy import text


def test_search_and_count_objects_exist_after_all_migrations(app, db):
    if db.engine.dialect.name == "sqlite":
        names = {row[0] for row in db.session.execute(text("SELECT name FROM sqlite_master WHERE type IN "
                                                            "('trigger', 'table')"))}
        expected = {"customer_day_count", "customer_fts", "customer_day_count_ins", "customer_day_count_del",
                    "customer_day_count_upd", "customer_fts_ins", "customer_fts_del", "customer_fts_upd"}
    else:
        names = {row[0] for row in db.session.execute(text(
            "SELECT tgname FROM pg_trigger WHERE tgrelid = 'customer'::regclass AND NOT tgisinternal "
            "UNION SELECT indexname FROM pg_indexes WHERE tablename = 'customer' "
            "UNION SELECT tablename FROM pg_tables WHERE tablename = 'customer_day_count'"))}
        expected = {"customer_day_count", "ix_customer_search_trgm", "customer_day_count_ins",
                    "customer_day_count_del", "customer_day_count_upd", "customer_day_count_trunc"}
    assert expected <= names, expected - names


def test_autogenerate_is_clean(app, db):
    """`flask db check`: the models and the migrated database agree (unmodelled objects ignored)."""
    import flask_migrate

    db.session.commit()
    flask_migrate.check()  # raises when autogenerate would emit operations
