"""Where a call's turn runs: a thread of this process, claimed on the turn row, watched by
a deadline; a job in the queue takes over a claim that went stale.

The claim is a compare-and-set on CallTurn.status (pending → working, updated_at = now),
so the webhook's thread, a redirect and the guard job never answer one turn twice; a
working claim older than VOICE_TURN_STALE_SECONDS belongs to a runner that died.
"""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, TimeoutError as FutureTimeout
from datetime import timedelta

from flask import current_app
from sqlalchemy import and_, or_, select, update

from server import jobs
from server.config import current
from server.extensions import db
from server.models import CallTurn
from server.models.base import utcnow

log = logging.getLogger(__name__)

_executor: ThreadPoolExecutor | None = None
_executor_lock = threading.Lock()
_running: set = set()


def _pool() -> ThreadPoolExecutor:
    global _executor
    with _executor_lock:
        if _executor is None:
            workers = current().voice.turn_threads
            _executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="voice-turn")
        return _executor


def stale_seconds() -> float:
    return current().voice.turn_stale_seconds


def claim_turn(turn_id: int) -> bool:
    now = utcnow()
    cutoff = now - timedelta(seconds=stale_seconds())
    claimed = db.session.execute(
        update(CallTurn)
        .where(CallTurn.id == turn_id,
               or_(CallTurn.status == "pending", and_(CallTurn.status == "working", CallTurn.updated_at < cutoff)))
        .values(status="working", updated_at=now)
        .execution_options(synchronize_session=False)).rowcount
    db.session.commit()
    return claimed == 1


def is_stale(turn: CallTurn) -> bool:
    updated = turn.updated_at
    if updated.tzinfo is None:
        from datetime import timezone
        updated = updated.replace(tzinfo=timezone.utc)
    return turn.status == "working" and updated < utcnow() - timedelta(seconds=stale_seconds())


def _run(app, work: Callable[[], bool]) -> bool:
    with app.app_context():
        try:
            return work()
        finally:
            db.session.remove()


def run_with_deadline(turn_id: int, started: float, deadline: float, work: Callable[[], bool]) -> bool:
    """Run the turn's `work` (turns.process_turn) in a thread, in an app context; True when the
    turn is finished (by us or anyone) within the deadline. Past the deadline the thread
    carries on and writes the turn when it is done."""
    app = current_app._get_current_object()
    future = _pool().submit(_run, app, work)
    _running.add(future)
    future.add_done_callback(_running.discard)
    remaining = max(0.0, deadline - (time.perf_counter() - started))
    try:
        future.result(timeout=remaining)
    except FutureTimeout:
        return False
    except Exception:  # noqa: BLE001 - process_turn records its own failures; this is a bug
        log.exception("turn %s runner failed", turn_id)
    return _status(turn_id) not in ("pending", "working")


def _status(turn_id: int) -> str | None:
    db.session.rollback()  # a fresh snapshot: the runner committed in another session
    return db.session.scalar(select(CallTurn.status).where(CallTurn.id == turn_id))


def wait_for_turn(turn_id: int, seconds: float, poll: float = 0.1) -> bool:
    """Wait for a turn some other runner (thread or process) is working on."""
    end = time.monotonic() + seconds
    while True:
        if _status(turn_id) not in ("pending", "working"):
            return True
        if time.monotonic() >= end:
            return False
        time.sleep(poll)


def schedule_guard(turn_id: int, base_url: str) -> None:
    """The job queue's promise that the turn is answered even if this process dies."""
    try:
        jobs.enqueue("voice.guard_turn", turn_id, base_url, 1, delay=stale_seconds() + 5)
    except Exception:  # noqa: BLE001 - redirects still take over a stale claim without it
        log.exception("turn %s: could not schedule the guard job", turn_id)


def wait_idle(timeout: float = 30) -> None:
    """Tests and benches: wait for the turns still running in this process."""
    end = time.monotonic() + timeout
    while _running and time.monotonic() < end:
        time.sleep(0.02)
