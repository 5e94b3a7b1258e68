"""SQLite: webhook views take the write lock when their transaction begins (BEGIN IMMEDIATE)."""
import sqlite3

import pytest
from sqlalchemy import select

from server.extensions import db
from server.models import Business
from server.sqlite_locking import write_lock_first


def _other_writer_is_locked_out(app) -> bool:
    """A second connection that will not wait: can it write while our transaction is open?"""
    path = db.engine.url.database
    other = sqlite3.connect(path, timeout=0)
    try:
        other.execute("BEGIN IMMEDIATE")
        other.rollback()
        return False
    except sqlite3.OperationalError as exc:
        assert "locked" in str(exc)
        return True
    finally:
        other.close()


@pytest.fixture
def sqlite_file(app, db):
    if db.engine.dialect.name != "sqlite" or not db.engine.url.database:
        pytest.skip("SQLite file database only")
    db.session.add(Business(name="מספרה כהן"))
    db.session.commit()
    db.session.remove()


def test_a_marked_view_holds_the_write_lock_from_its_first_read(app, sqlite_file):
    @write_lock_first
    def view():
        db.session.scalar(select(Business.id))  # only a read so far
        return _other_writer_is_locked_out(app)

    with app.test_request_context("/webhook/whatsapp/twilio", method="POST"):
        assert view() is True
        db.session.rollback()
    assert _other_writer_is_locked_out(app) is False  # released with the transaction


def test_other_views_keep_sqlite_lazy_transactions(app, sqlite_file):
    with app.test_request_context("/api/customers"):
        db.session.scalar(select(Business.id))
        assert _other_writer_is_locked_out(app) is False
        db.session.rollback()
