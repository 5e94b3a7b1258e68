"""The real job queue: a huey consumer in its own process, on SQLite and on Redis storage.

The worker is SIGKILLed while the provider holds its request (after the provider
accepted the message, before the worker could record `sent`) and then started again:
the message must end `sent` with exactly one delivery at the provider.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from server.models import WhatsAppMsg
from server.tests.whatsapp.conftest import CUSTOMER_PHONE, HOST, meta_status, post_meta

REPO_ROOT = Path(__file__).resolve().parents[3]
REDIS_URL = os.environ.get("KESHER_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
TWILIO_503 = (503, {"code": 20503, "message": "Service Unavailable", "status": 503})


def _redis_available() -> bool:
    try:
        import redis
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except Exception:  # noqa: BLE001
        return False


@pytest.fixture(params=["sqlite", "redis"])
def queue_backend(request, tmp_path, monkeypatch):
    """Point this process's huey at real storage the worker process shares."""
    from huey.storage import RedisStorage, SqliteStorage

    from server.extensions import huey
    if request.param == "sqlite":
        path = str(tmp_path / "huey.db")
        storage, env = SqliteStorage(name="kesher", filename=path), {"HUEY_SQLITE_PATH": path}
    else:
        if not _redis_available():
            if os.environ.get("CI"):
                pytest.fail(f"Redis is not reachable at {REDIS_URL}")
            pytest.skip(f"Redis is not reachable at {REDIS_URL}")
        name = f"kesher-test-whatsapp-{uuid.uuid4().hex[:10]}"
        storage = RedisStorage(name=name, url=REDIS_URL)
        env = {"KESHER_TEST_HUEY_REDIS_URL": REDIS_URL, "KESHER_TEST_HUEY_NAME": name}
    monkeypatch.setattr(huey, "_immediate", False)
    monkeypatch.setattr(huey, "storage", storage)
    yield env
    storage.flush_all()  # only this test's queue, schedule and results


@pytest.fixture()
def worker(app, db, queue_backend, tmp_path):
    """start() → a running `server.worker` process sharing the test's database and queue."""
    procs: list[subprocess.Popen] = []
    def start() -> subprocess.Popen:
        keys = [k for k in app.config if k.startswith(("WHATSAPP_", "TWILIO_", "META_"))]
        config_env = {k: str(app.config[k]) for k in keys if app.config[k] is not None}
        env = {**os.environ, **queue_backend, **config_env,
               "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "APP_ENV": "testing",
               "SECRET_KEY": "test-secret-key-not-for-production", "HOST": HOST,
               "LOG_DIR": str(tmp_path / "worker-logs"), "WORKER_THREADS": "2", "PYTHONUNBUFFERED": "1"}
        env.pop("REDIS_URL", None)
        log = open(tmp_path / f"worker-{len(procs)}.log", "wb")
        proc = subprocess.Popen([sys.executable, "-m", "server.tests.whatsapp.worker_proc"], cwd=REPO_ROOT,
                                env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        proc.log_path = log.name  # type: ignore[attr-defined]
        procs.append(proc)
        return proc

    yield start
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
        proc.wait(10)


def _logs(tmp_path) -> str:
    return "\n".join(p.read_text(errors="replace")[-3000:] for p in sorted(tmp_path.glob("worker-*.log")))


def _msg(db, message_id) -> WhatsAppMsg:
    db.session.rollback()  # a fresh snapshot: the worker writes from another process
    return db.session.get(WhatsAppMsg, message_id)


def _wait_for(predicate, timeout: float, what: str, tmp_path):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}\n--- worker logs ---\n{_logs(tmp_path)}")


def _send(client, login_as, business, inbound_from, text):
    inbound_from(business)
    login_as("staff", business=business)
    r = client.post("/api/whatsapp/send", json={"to": CUSTOMER_PHONE, "text": text})
    assert r.status_code == 200, r.get_json()
    return r.get_json()["id"]


def test_worker_killed_mid_send_delivers_exactly_once_after_restart(client, db, login_as, twilio_business,
                                                                   fake_twilio, inbound_from, worker, tmp_path):
    fake_twilio.hold_next = 1  # Twilio accepts the message, then holds the answer
    first = worker()
    message_id = _send(client, login_as, twilio_business, inbound_from, "התור שלך מחר ב-9:00")
    _wait_for(fake_twilio.held.is_set, 60, "the worker's request to reach Twilio", tmp_path)
    assert _msg(db, message_id).status == "sending"

    os.kill(first.pid, signal.SIGKILL)  # between "sending" and "sent"
    first.wait(10)
    fake_twilio.release()
    assert len(fake_twilio.deliveries) == 1
    assert _msg(db, message_id).status == "sending"  # nobody recorded the outcome

    worker()  # the restarted worker's sweep finds the message once its lease runs out
    _wait_for(lambda: _msg(db, message_id).status == "sent", 60, "the message to be sent", tmp_path)
    msg = _msg(db, message_id)
    assert len(fake_twilio.deliveries) == 1, "the message was sent twice"
    assert msg.provider_message_id == fake_twilio.deliveries[0]["sid"]
    assert msg.flags.get("reconciled") is True
    assert [m for m, _ in fake_twilio.requests].count("POST") == 1


def test_worker_retries_a_failing_provider_and_delivers_once(client, db, login_as, twilio_business, fake_twilio,
                                                             inbound_from, worker, tmp_path):
    fake_twilio.fail_next = [TWILIO_503, TWILIO_503]
    worker()
    message_id = _send(client, login_as, twilio_business, inbound_from, "אישור הזמנה 1234")
    _wait_for(lambda: _msg(db, message_id).status == "sent", 60, "the message to be sent", tmp_path)
    msg = _msg(db, message_id)
    assert msg.attempts == 3 and len(fake_twilio.deliveries) == 1
    assert [m for m, _ in fake_twilio.requests] == ["POST", "POST", "POST"]


def test_meta_worker_killed_mid_send_waits_for_the_status_webhook_and_never_resends(
        app, client, db, login_as, meta_business, fake_meta, inbound_from, worker, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "WHATSAPP_RECONCILE_WAIT_SECONDS", 4.0)
    fake_meta.hold_next = 1
    first = worker()
    message_id = _send(client, login_as, meta_business, inbound_from, "ההזמנה שלך מוכנה")
    _wait_for(fake_meta.held.is_set, 60, "the worker's request to reach Meta", tmp_path)
    os.kill(first.pid, signal.SIGKILL)
    first.wait(10)
    fake_meta.release()
    [delivery] = fake_meta.deliveries

    worker()  # Meta cannot be asked whether it got the message: the worker must wait
    _wait_for(lambda: "reconciling_until" in (_msg(db, message_id).flags or {}), 60,
              "the restarted worker to start reconciling", tmp_path)
    assert len(fake_meta.deliveries) == 1
    # Meta's status webhook for the message it accepted; the callback data is our key.
    post_meta(client, meta_status(delivery["id"], "sent", key=delivery["payload"]["biz_opaque_callback_data"]),
              secret=None)
    msg = _msg(db, message_id)
    assert msg.status == "sent" and msg.provider_message_id == delivery["id"]
    time.sleep(5)  # past the reconcile deadline: a wrong resend would have happened by now
    assert len(fake_meta.deliveries) == 1
    assert _msg(db, message_id).status == "sent"
