"""Concurrent webhooks (marker `concurrency`): Twilio posts several inbound messages at
once, and retries one message while the first delivery is still being stored. Every
request must answer 200 and each message be stored exactly once.

Each thread has its own test client against the one app and its file database, so the
requests really overlap in the database (bench/whatsapp_webhooks.py at --concurrency 4
found `database is locked` → 503 on SQLite).
"""
from __future__ import annotations

import threading

import pytest

from server.models import Customer, WhatsAppMsg
from server.tests.whatsapp.conftest import TWILIO_NUMBER, post_twilio

N = 8


class DatabaseLocked(AssertionError):
    """Requests answered 503 because SQLite said `database is locked` (and nothing else went wrong)."""


# SQLite's lazy transactions let two writers that both read first collide ("database is
# locked", at once, no busy wait); the webhook views begin with BEGIN IMMEDIATE
# (server/sqlite_locking.py), so these must pass on both databases.
pytestmark = [pytest.mark.concurrency]


def _form(sid: str, sender: str, body: str, name: str) -> dict:
    return {"MessageSid": sid, "SmsMessageSid": sid, "SmsSid": sid, "AccountSid": "AC" + "a1" * 16,
            "From": f"whatsapp:{sender}", "To": f"whatsapp:{TWILIO_NUMBER}", "Body": body, "NumMedia": "0",
            "ProfileName": name, "WaId": sender.lstrip("+"), "SmsStatus": "received", "NumSegments": "1",
            "MessageType": "text", "ApiVersion": "2010-04-01"}


def _post_together(app, forms: list[dict]) -> list[tuple[int, str]]:
    """POST every form from its own thread and client, all released at the same moment."""
    start = threading.Barrier(len(forms))
    results: list = [None] * len(forms)

    def run(i: int, form: dict):
        client = app.test_client()
        start.wait()
        try:
            r = post_twilio(client, form)
            results[i] = (r.status_code, r.get_data(as_text=True)[:200])
        except Exception as exc:  # noqa: BLE001 — reported below, not lost in the thread
            results[i] = (None, repr(exc))

    threads = [threading.Thread(target=run, args=(i, form)) for i, form in enumerate(forms)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not any(t.is_alive() for t in threads), "a webhook request hung"
    return results


def _all_200(results, caplog) -> None:
    codes = [code for code, _ in results]
    if codes == [200] * len(codes):
        return
    locked = any("database is locked" in (r.getMessage() + (r.exc_text or "")) for r in caplog.records)
    if locked and set(codes) <= {200, 503}:
        raise DatabaseLocked(f"{codes.count(503)} of {len(codes)} answered 503: database is locked")
    raise AssertionError(results)


def _rows(db) -> list[WhatsAppMsg]:
    db.session.rollback()  # a fresh snapshot: the rows were written by other sessions
    return db.session.query(WhatsAppMsg).order_by(WhatsAppMsg.id).all()


def test_concurrent_distinct_inbound_messages_are_all_stored(app, db, twilio_business, caplog):
    forms = [_form(f"SM{i:032d}", f"+9725455512{i:02d}", f"שלום, הודעה מספר {i}", f"לקוח {i}") for i in range(N)]
    results = _post_together(app, forms)
    _all_200(results, caplog)
    rows = _rows(db)
    assert sorted(m.provider_message_id for m in rows) == sorted(f["MessageSid"] for f in forms)
    assert {m.body for m in rows} == {f["Body"] for f in forms}
    # Each new sender became one lead.
    assert db.session.query(Customer).filter(Customer.business_id == twilio_business.id).count() == N


def test_the_same_inbound_message_posted_concurrently_is_stored_once(app, db, twilio_business, caplog):
    form = _form("SM" + "9" * 32, "+972545551234", "אפשר לקבוע תור למחר?", "דנה לוי")
    results = _post_together(app, [form] * N)
    _all_200(results, caplog)
    [msg] = _rows(db)
    assert msg.provider_message_id == form["MessageSid"] and msg.body == form["Body"]
    [lead] = db.session.query(Customer).filter(Customer.business_id == twilio_business.id).all()
    assert lead.phone == "+972545551234" and msg.customer_id == lead.id
