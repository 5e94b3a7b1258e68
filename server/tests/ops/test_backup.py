"""Backup and restore on the database this run uses: SQLite in the first lane, PostgreSQL
(pg_dump/psql) when TEST_DATABASE_URL points at one — CI runs both."""
import sqlite3

import pytest
from sqlalchemy import select

from server.models import Customer
from server.services import backup


@pytest.fixture()
def ops_dirs(app, tmp_path, monkeypatch):
    monkeypatch.setattr(app, "instance_path", str(tmp_path / "instance"))
    return tmp_path


def _cli(app, *args):
    return app.test_cli_runner().invoke(args=list(args))


def _names(db):
    db.session.rollback()
    return sorted(db.session.scalars(select(Customer.name)))


def _release(db):
    db.session.commit()
    db.session.close()


def test_backup_then_restore_brings_back_exactly_the_saved_data(app, db, make_business, make_customer, ops_dirs):
    business = make_business("מספרת רונית")
    make_customer(business, "דנה כהן", "+972501234567")
    make_customer(business, "יוֹסֵף לוי", "+972521112233")
    path = ops_dirs / "nightly.bak"
    _release(db)

    result = _cli(app, "backup", str(path))
    assert result.exit_code == 0, result.output
    assert path.stat().st_size > 0 and oct(path.stat().st_mode)[-3:] == "600"

    db.session.delete(db.session.scalars(select(Customer).where(Customer.name == "דנה כהן")).one())
    make_customer(db.session.merge(business), "אחרי הגיבוי", "+972531234567")
    _release(db)

    result = _cli(app, "restore", str(path), "--yes")
    assert result.exit_code == 0, result.output
    assert "migrated to heads" in result.output
    assert _names(db) == sorted(["דנה כהן", "יוֹסֵף לוי"])
    # The database as it was before the restore was saved first.
    safety = list((ops_dirs / "instance" / "backups").glob("pre-restore-*"))
    assert len(safety) == 1 and backup.verify_backup(safety[0]) in ("sqlite", "postgresql")


def test_default_backup_goes_to_instance_backups_and_is_never_overwritten(app, db, ops_dirs):
    result = _cli(app, "backup")
    assert result.exit_code == 0, result.output
    files = list((ops_dirs / "instance" / "backups").glob("kesher-*"))
    assert len(files) == 1
    again = _cli(app, "backup", str(files[0]))
    assert again.exit_code != 0 and "exists" in again.output


def test_restore_without_yes_changes_nothing(app, db, make_business, make_customer, ops_dirs):
    business = make_business()
    make_customer(business, "שרה", "+972541234567")
    path = ops_dirs / "a.bak"
    _release(db)
    assert _cli(app, "backup", str(path)).exit_code == 0
    make_customer(db.session.merge(business), "חדש", "+972551234567")
    _release(db)
    result = _cli(app, "restore", str(path))
    assert result.exit_code != 0 and "--yes" in result.output
    assert _names(db) == sorted(["שרה", "חדש"])


def test_restore_refuses_a_file_that_is_not_a_backup(app, db, make_business, make_customer, ops_dirs):
    make_customer(make_business(), "נשאר", "+972541234567")
    junk = ops_dirs / "junk.bak"
    junk.write_bytes(b"\xff\xfe not a database " * 100)
    _release(db)
    result = _cli(app, "restore", str(junk), "--yes")
    assert result.exit_code != 0 and "not a Kesher backup" in result.output
    assert _names(db) == ["נשאר"]


def test_restore_refuses_a_backup_of_the_other_engine(app, db, make_business, make_customer, ops_dirs):
    make_customer(make_business(), "נשאר", "+972541234567")
    _release(db)
    if db.engine.dialect.name == "sqlite":
        other = ops_dirs / "pg.dump"
        other.write_bytes(b"PGDMP" + b"\x00" * 200)  # a truncated custom-format dump
        expected = "pg_restore"
    else:
        other = ops_dirs / "lite.sqlite3"
        conn = sqlite3.connect(other)
        conn.execute("CREATE TABLE alembic_version (version_num VARCHAR(32))")
        conn.commit()
        conn.close()
        expected = "sqlite backup but DATABASE_URL is postgresql"
    result = _cli(app, "restore", str(other), "--yes")
    assert result.exit_code != 0 and expected in result.output
    assert _names(db) == ["נשאר"]


def test_pg_password_travels_in_the_environment_not_the_command_line():
    env = backup._pg_env("postgresql+psycopg://kesher:s3cr3t-pw@db.internal:6543/kesher?sslmode=require")
    assert (env["PGHOST"], env["PGPORT"], env["PGUSER"], env["PGDATABASE"]) == ("db.internal", "6543", "kesher", "kesher")
    assert env["PGPASSWORD"] == "s3cr3t-pw" and env["PGSSLMODE"] == "require"


def test_a_failing_tool_never_echoes_the_password(tmp_path):
    # Nothing listens on port 1: pg_dump fails; its message must not carry the password.
    with pytest.raises(backup.BackupError) as caught:
        backup.backup_database("postgresql+psycopg://kesher:pw-never-shown@127.0.0.1:1/kesher", tmp_path / "x.dump")
    assert "pw-never-shown" not in caught.value.message
    assert not (tmp_path / "x.dump").exists() and not (tmp_path / "x.dump.partial").exists()
