"""The reminder job on the real job queue: a huey consumer in its own process.

The first worker is SIGKILLed inside the reminder job, after its claim and before its commit.
A restarted worker's sweep must find the reminder again and send it, exactly once.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from server.models import WhatsAppMsg
from server.models.appointments import Appointment
from server.models.base import utcnow
from server.tests.appointments.conftest import il, ordinary_sunday

REPO_ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture()
def worker(app, db, tmp_path):
    """start(**env) → a running worker process sharing the test's database, with its own queue."""
    procs: list[subprocess.Popen] = []

    def start(**extra) -> subprocess.Popen:
        env = {**os.environ, "HUEY_SQLITE_PATH": str(tmp_path / "huey.db"),
               "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "APP_ENV": "testing",
               "SECRET_KEY": "test-secret-key-not-for-production", "LOG_DIR": str(tmp_path / "worker-logs"),
               "WORKER_THREADS": "2", "PYTHONUNBUFFERED": "1", **extra}
        env.pop("REDIS_URL", None)
        log = open(tmp_path / f"worker-{len(procs)}.log", "wb")
        proc = subprocess.Popen([sys.executable, "-m", "server.tests.appointments.reminder_worker_proc"],
                                cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
        procs.append(proc)
        return proc

    yield start
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
        proc.wait(10)


def _logs(tmp_path) -> str:
    return "\n".join(p.read_text(errors="replace")[-3000:] for p in sorted(tmp_path.glob("worker-*.log")))


def _wait_for(predicate, timeout: float, what: str, tmp_path):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}\n--- worker logs ---\n{_logs(tmp_path)}")


def _reminders(db, salon) -> list[WhatsAppMsg]:
    db.session.rollback()  # a fresh snapshot: the worker writes from another process
    return [m for m in db.session.scalars(select(WhatsAppMsg).where(WhatsAppMsg.business_id == salon.business.id,
                                                                    WhatsAppMsg.direction == "outbound"))
            if "תזכורת" in m.body]


def test_a_worker_killed_mid_reminder_loses_nothing_and_the_reminder_goes_once(db, salon, worker, tmp_path):
    from server.services.appointments import booking
    day = ordinary_sunday()
    appointment = booking.book(salon.business.id, salon.customer.id, salon.haircut.id,
                               il(day.year, day.month, day.day, 10), salon.dana.id)
    db.session.execute(update(Appointment).where(Appointment.id == appointment.id)
                       .values(reminder_due_at=utcnow() - timedelta(minutes=1)))
    db.session.commit()

    marker = tmp_path / "hung"
    first = worker(KESHER_TEST_HANG_REMINDER=str(marker))  # its start-up sweep takes the reminder
    _wait_for(marker.exists, 60, "the first worker to claim the reminder", tmp_path)
    os.kill(first.pid, signal.SIGKILL)  # between the claim and its commit
    first.wait(10)
    db.session.rollback()
    assert db.session.get(Appointment, appointment.id).reminder_sent_at is None  # the claim died with it
    assert _reminders(db, salon) == []

    worker()  # the restarted worker's start-up sweep finds the reminder again
    _wait_for(lambda: [m.status for m in _reminders(db, salon)] == ["sent"], 60, "the reminder to be sent",
              tmp_path)
    time.sleep(2)  # a second sweep or job would have sent it again by now
    assert len(_reminders(db, salon)) == 1
    assert db.session.get(Appointment, appointment.id).reminder_sent_at is not None
