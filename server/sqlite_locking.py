"""SQLite: let a webhook's transaction take the write lock when it begins.

pysqlite opens a transaction lazily, at the first INSERT/UPDATE, after the request
has already read (the business, the customer, the message it may repeat). When two
webhooks interleave, the second one's upgrade from reader to writer can fail at once
with "database is locked" — SQLite does not wait (busy_timeout) when waiting could
not help a reader whose snapshot is already stale. Twilio does not retry an inbound
message that got a 503, so that message would be lost.

`BEGIN IMMEDIATE` takes the write lock before the first read instead: a concurrent
webhook then waits its turn under busy_timeout and reads what the other one wrote.
Only short, write-bound views opt in (`@write_lock_first`): a view that holds a
transaction across slow work (speech recognition, waiting for a turn) would block
every other writer meanwhile. PostgreSQL needs none of this and is left alone.
"""
from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from functools import wraps

from flask import has_request_context, request

# On the request's WSGI environ, not on `g`: an app context (and its `g`) can outlive one
# request (tests push one for many), a request's environ cannot.
_FLAG = "kesher.sqlite_write_lock_first"
# The same, for work outside a request (the agent booking from a call's runner or a job).
_HERE: ContextVar[bool] = ContextVar("kesher_sqlite_write_lock_first", default=False)


def write_lock_first(view):
    """Mark a view whose SQLite transactions begin with BEGIN IMMEDIATE."""
    @wraps(view)
    def wrapper(*args, **kwargs):
        request.environ[_FLAG] = True
        return view(*args, **kwargs)
    return wrapper


@contextmanager
def write_lock_first_here():
    """Transactions begun inside the block take the write lock first (outside a request).
    End the session's open transaction before entering: one already begun stays as it is."""
    token = _HERE.set(True)
    try:
        yield
    finally:
        _HERE.reset(token)


def begin_sqlite_transaction(conn) -> None:
    """SQLAlchemy "begin" listener (SQLite engines only)."""
    if _HERE.get() or (has_request_context() and request.environ.get(_FLAG)):
        conn.exec_driver_sql("BEGIN IMMEDIATE")
