"""Database backup and restore: pg_dump/psql for PostgreSQL, SQLite's online backup API.

A restore is all or nothing: PostgreSQL restores inside one transaction (the old schema
is dropped in the same transaction, so a failure leaves the database as it was), SQLite
copies pages with the backup API under a lock. Before a restore the current database is
itself backed up, and after it the schema is migrated to this code's heads, so restoring
an older backup on newer code is the upgrade path.

Passwords travel to pg_dump/psql in PGPASSWORD, never on a command line.
"""
from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy.engine import make_url

from server.error_codes import ErrorCode
from server.errors import BadRequest, Conflict

PG_MAGIC = b"PGDMP"
SQLITE_MAGIC = b"SQLite format 3\x00"


class BackupError(Conflict):
    """A backup tool failed; the message says which and why (without secrets)."""
    code = ErrorCode.BACKUP_REFUSED


def backend(database_url: str) -> str:
    return make_url(database_url).get_backend_name()


def default_backup_path(database_url: str, backup_dir: str, label: str = "kesher") -> Path:
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    suffix = "dump" if backend(database_url) == "postgresql" else "sqlite3"
    return Path(backup_dir) / f"{label}-{stamp}.{suffix}"


def _pg_env(database_url: str) -> dict[str, str]:
    url = make_url(database_url)
    env = dict(os.environ)
    for key, value in (("PGHOST", url.host), ("PGPORT", url.port), ("PGUSER", url.username),
                       ("PGPASSWORD", url.password), ("PGDATABASE", url.database)):
        if value not in (None, ""):
            env[key] = str(value)
    for param, var in (("sslmode", "PGSSLMODE"), ("sslrootcert", "PGSSLROOTCERT"), ("host", "PGHOST")):
        if param in url.query:
            env[var] = str(url.query[param])
    return env


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(f"{name} not found: install postgresql-client")
    return path


def _run(argv: list[str], env: dict[str, str], stdin=None) -> None:
    result = subprocess.run(argv, env=env, stdin=stdin, capture_output=True, timeout=3600)
    if result.returncode != 0:
        message = result.stderr.decode("utf-8", "replace").strip().splitlines()
        password = env.get("PGPASSWORD")
        text = " / ".join(message[-3:]) or f"exit {result.returncode}"
        if password:
            text = text.replace(password, "***")
        raise BackupError(f"{Path(argv[0]).name} failed: {text}")


def _sqlite_path(database_url: str) -> Path:
    database = make_url(database_url).database
    if not database or database == ":memory:":
        raise BadRequest("an in-memory SQLite database cannot be backed up", code=ErrorCode.BACKUP_REFUSED)
    return Path(database)


def backup_database(database_url: str, target: Path) -> Path:
    """Write a consistent backup of the live database to `target` (created, never overwritten)."""
    target = Path(target)
    if target.exists():
        raise Conflict(f"{target} exists: choose another file", code=ErrorCode.BACKUP_TARGET_EXISTS)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    try:
        if backend(database_url) == "postgresql":
            _run([_tool("pg_dump"), "--format=custom", "--no-owner", "--no-acl", "--file", str(partial)],
                 _pg_env(database_url))
        else:
            source = sqlite3.connect(_sqlite_path(database_url))
            dest = sqlite3.connect(partial)
            try:
                source.backup(dest)  # online: consistent even while the app writes (WAL)
            finally:
                dest.close()
                source.close()
        os.chmod(partial, 0o600)  # customer data
        partial.rename(target)  # a crash never leaves a half file under the real name
    finally:
        partial.unlink(missing_ok=True)
    return target


def backup_kind(path: Path) -> str:
    with open(path, "rb") as handle:
        head = handle.read(16)
    if head.startswith(PG_MAGIC):
        return "postgresql"
    if head == SQLITE_MAGIC:
        return "sqlite"
    raise BadRequest(f"{path} is not a Kesher backup (neither a pg_dump custom file nor SQLite)",
                     code=ErrorCode.BACKUP_REFUSED)


def verify_backup(path: Path) -> str:
    """Check a backup file is readable and complete before anything is touched."""
    path = Path(path)
    if not path.is_file():
        raise BadRequest(f"{path} not found", code=ErrorCode.BACKUP_REFUSED)
    kind = backup_kind(path)
    if kind == "postgresql":
        _run([_tool("pg_restore"), "--list", str(path)], dict(os.environ))
    else:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            if conn.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                raise BadRequest(f"{path} is a damaged SQLite file", code=ErrorCode.BACKUP_REFUSED)
            if not conn.execute("SELECT 1 FROM sqlite_master WHERE name='alembic_version'").fetchone():
                raise BadRequest(f"{path} is not a Kesher database (no alembic_version)", code=ErrorCode.BACKUP_REFUSED)
        finally:
            conn.close()
    return kind


def restore_database(database_url: str, source: Path) -> None:
    """Replace the whole database with the backup, atomically. The caller migrates after."""
    kind = verify_backup(source)
    target_kind = "postgresql" if backend(database_url) == "postgresql" else "sqlite"
    if kind != target_kind:
        raise BadRequest(f"this is a {kind} backup but DATABASE_URL is {target_kind}", code=ErrorCode.BACKUP_REFUSED)
    if kind == "postgresql":
        env = _pg_env(database_url)
        script = subprocess.run([_tool("pg_restore"), "--no-owner", "--no-acl", "--file", "-", str(source)],
                                env=env, capture_output=True, timeout=3600)
        if script.returncode != 0:
            raise BackupError("pg_restore failed: " + script.stderr.decode("utf-8", "replace").strip()[-300:])
        # One transaction: drop what is there, load the dump; any error rolls all of it back.
        sql = (b"DROP SCHEMA IF EXISTS public CASCADE;\nCREATE SCHEMA public;\n" + script.stdout)
        _run([_tool("psql"), "--quiet", "--no-psqlrc", "--single-transaction", "-v", "ON_ERROR_STOP=1",
              "--file", "-"], env, stdin=_bytes_stdin(sql))
    else:
        source_conn = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        dest_conn = sqlite3.connect(_sqlite_path(database_url), timeout=30)
        try:
            source_conn.backup(dest_conn)
        finally:
            dest_conn.close()
            source_conn.close()


def _bytes_stdin(data: bytes):
    import tempfile

    handle = tempfile.TemporaryFile()
    handle.write(data)
    handle.seek(0)
    return handle
