"""The send job, attempt by attempt: retries, growing delays, reconciling, never twice.

These drive `attempt_send` with an explicit clock against the fake providers; the
real huey worker (killed mid-send) is exercised in test_whatsapp_worker.py.
"""
from __future__ import annotations

from datetime import timedelta

import pytest

from server.models import WhatsAppMsg
from server.models.base import utcnow
from server.services.whatsapp import attempt_send, due_messages
from server.tests.whatsapp.conftest import CUSTOMER_PHONE, meta_status, post_meta

TWILIO_503 = (503, {"code": 20503, "message": "Service Unavailable", "status": 503})
META_131016 = (503, {"error": {"message": "Service temporarily unavailable", "type": "OAuthException",
                               "code": 131016, "fbtrace_id": "AbCdEf"}})


@pytest.fixture()
def queue(client, db, login_as, inbound_from):
    """queue(business) → the message id, after the API's first (inline) attempt."""
    logged_in = set()

    def make(business, text="שלום! התור שלך אושר"):
        if business.id not in logged_in:
            inbound_from(business)
            login_as("staff", business=business)
            logged_in.add(business.id)
        r = client.post("/api/whatsapp/send", json={"to": CUSTOMER_PHONE, "text": text})
        assert r.status_code == 200, r.get_json()
        return r.get_json()["id"]
    return make


def _msg(db, message_id) -> WhatsAppMsg:
    db.session.expire_all()
    return db.session.get(WhatsAppMsg, message_id)


def _run_until_done(db, message_id, max_runs=10) -> list[float]:
    """Run each attempt when it comes due; return the delays the job asked for."""
    delays = []
    for _ in range(max_runs):
        msg = _msg(db, message_id)
        if msg.status not in ("queued", "sending"):
            return delays
        delay = attempt_send(message_id, now=max(utcnow(), msg.next_attempt_at or utcnow()))
        if delay is not None:
            delays.append(delay)
    raise AssertionError("message never settled")


def test_provider_failing_twice_then_succeeding_delivers_once(db, twilio_business, fake_twilio, queue):
    fake_twilio.fail_next = [TWILIO_503, TWILIO_503]
    message_id = queue(twilio_business)
    first = _msg(db, message_id)
    assert first.status == "queued" and first.attempts == 1 and first.error_code == "20503"
    delays = _run_until_done(db, message_id)
    msg = _msg(db, message_id)
    assert msg.status == "sent" and msg.attempts == 3 and msg.error is None
    assert len(fake_twilio.deliveries) == 1 and msg.provider_message_id == fake_twilio.deliveries[0]["sid"]
    assert delays == [0.4]  # the first retry delay (0.2 s) was asked for by the inline attempt


def test_retry_delays_grow_until_the_provider_is_given_up_on(db, meta_business, fake_meta, queue):
    fake_meta.fail_next = [META_131016] * 10
    message_id = queue(meta_business)
    delays = _run_until_done(db, message_id)
    msg = _msg(db, message_id)
    assert delays == [0.4, 0.8, 1.6]  # 0.2 came from the first attempt; 5 attempts in all
    assert msg.status == "failed" and msg.attempts == 5 and msg.error_code == "131016"
    assert msg.error.startswith("gave up after 5 attempts")
    assert fake_meta.deliveries == []


def test_permanent_provider_error_fails_at_once_with_its_code(db, twilio_business, fake_twilio, queue):
    fake_twilio.fail_next = [(400, {"code": 63016, "message": "Failed to send freeform message because you are "
                                    "outside the allowed window.", "status": 400})]
    message_id = queue(twilio_business)
    msg = _msg(db, message_id)
    assert msg.status == "failed" and msg.error_code == "63016" and "outside the allowed window" in msg.error
    assert msg.attempts == 1 and attempt_send(message_id) is None and fake_twilio.deliveries == []


def test_refused_connection_is_retried_without_reconciling(db, twilio_business, fake_twilio, queue, app,
                                                          monkeypatch):
    monkeypatch.setitem(app.config, "TWILIO_API_BASE", "http://127.0.0.1:9")  # nothing listens there
    message_id = queue(twilio_business)
    msg = _msg(db, message_id)
    assert msg.status == "queued" and msg.error_code == "network"  # it never left: safe to resend
    monkeypatch.setitem(app.config, "TWILIO_API_BASE", fake_twilio.url)
    _run_until_done(db, message_id)
    assert _msg(db, message_id).status == "sent" and len(fake_twilio.deliveries) == 1
    assert not any(method == "GET" for method, _ in fake_twilio.requests)


def test_twilio_timeout_after_accepting_is_reconciled_not_resent(db, twilio_business, fake_twilio, queue):
    fake_twilio.delay_next = [1.3]  # accepts, answers after our 1 s timeout
    message_id = queue(twilio_business)
    msg = _msg(db, message_id)
    assert msg.status == "sending" and msg.error_code == "network"  # outcome unknown
    _run_until_done(db, message_id)
    msg = _msg(db, message_id)
    assert msg.status == "sent" and msg.flags.get("reconciled") is True
    assert len(fake_twilio.deliveries) == 1 and msg.provider_message_id == fake_twilio.deliveries[0]["sid"]
    assert ("GET", f"/2010-04-01/Accounts/{fake_twilio.account_sid}/Messages.json") in fake_twilio.requests


def test_twilio_dropped_connection_that_never_landed_is_sent_after_checking(db, twilio_business, fake_twilio,
                                                                          queue):
    fake_twilio.fail_next = [(0, "drop")]
    message_id = queue(twilio_business)
    assert _msg(db, message_id).status == "sending"
    _run_until_done(db, message_id)
    msg = _msg(db, message_id)
    assert msg.status == "sent" and len(fake_twilio.deliveries) == 1
    assert [m for m, _ in fake_twilio.requests] == ["POST", "GET", "POST"]


def test_meta_interrupted_send_waits_for_the_status_webhook_instead_of_resending(client, db, meta_business,
                                                                                fake_meta, queue):
    fake_meta.delay_next = [1.3]
    message_id = queue(meta_business)
    msg = _msg(db, message_id)
    assert msg.status == "sending"
    wait = attempt_send(message_id, now=msg.next_attempt_at)  # Meta cannot be asked: wait
    assert wait == pytest.approx(1.0, abs=0.01) and "reconciling_until" in _msg(db, message_id).flags
    [delivery] = fake_meta.deliveries
    # Meta's "sent" status webhook arrives, echoing our idempotency key.
    post_meta(client, meta_status(delivery["id"], "sent", key=delivery["payload"]["biz_opaque_callback_data"]),
              secret=None)
    _run_until_done(db, message_id)
    msg = _msg(db, message_id)
    assert msg.status == "sent" and msg.provider_message_id == delivery["id"]
    assert len(fake_meta.deliveries) == 1 and "reconciling_until" not in msg.flags


def test_meta_interrupted_send_with_no_word_is_sent_again_after_the_wait(db, meta_business, fake_meta, queue):
    fake_meta.fail_next = [(0, "drop")]
    message_id = queue(meta_business)
    msg = _msg(db, message_id)
    assert msg.status == "sending"
    assert attempt_send(message_id, now=msg.next_attempt_at) > 0
    assert fake_meta.deliveries == []  # not before the wait is over
    _run_until_done(db, message_id)
    msg = _msg(db, message_id)
    assert msg.status == "sent" and len(fake_meta.deliveries) == 1 and msg.flags.get("resent_after_wait") is True


def test_a_held_lease_is_not_claimed_twice(db, twilio_business, fake_twilio, queue):
    fake_twilio.fail_next = [TWILIO_503]
    message_id = queue(twilio_business)
    msg = _msg(db, message_id)
    msg.status, msg.next_attempt_at = "sending", utcnow() + timedelta(seconds=30)  # another worker holds it
    db.session.commit()
    assert attempt_send(message_id) is None
    assert _msg(db, message_id).attempts == 1 and fake_twilio.deliveries == []


def test_sent_or_failed_messages_are_never_attempted_again(db, dev_business, queue):
    message_id = queue(dev_business)
    assert _msg(db, message_id).status == "sent"
    assert attempt_send(message_id, now=utcnow() + timedelta(hours=1)) is None
    assert _msg(db, message_id).attempts == 1


def test_sweep_finds_stuck_queued_and_sending_messages(db, twilio_business, fake_twilio, queue):
    fake_twilio.fail_next = [TWILIO_503]
    retrying = queue(twilio_business, "ניסיון חוזר")
    fake_twilio.delay_next = [1.3]
    stuck = queue(twilio_business, "תקוע באמצע")
    done = queue(twilio_business, "נשלח")
    due = dict(due_messages())
    assert set(due) == {retrying, stuck} and done not in due
    far = _msg(db, retrying)
    far.next_attempt_at = utcnow() + timedelta(hours=1)
    db.session.commit()
    assert set(dict(due_messages())) == {stuck}


def test_status_webhook_during_the_send_is_not_undone_by_the_worker(client, db, meta_business, fake_meta, queue):
    """A `delivered` that lands while the worker still holds the message stays delivered."""
    fake_meta.delay_next = [1.3]
    message_id = queue(meta_business)
    [delivery] = fake_meta.deliveries
    post_meta(client, meta_status(delivery["id"], "delivered", key=delivery["payload"]["biz_opaque_callback_data"]),
              secret=None)
    assert _msg(db, message_id).status == "delivered"
    assert attempt_send(message_id, now=utcnow() + timedelta(minutes=5)) is None
    msg = _msg(db, message_id)
    assert msg.status == "delivered" and len(fake_meta.deliveries) == 1


def test_reconcile_never_mistakes_an_earlier_identical_message_for_this_one(db, twilio_business, fake_twilio, queue):
    first = queue(twilio_business, "נתראה מחר")
    assert _msg(db, first).status == "sent"
    fake_twilio.fail_next = [(0, "drop")]  # the same text again; this attempt never lands
    second = queue(twilio_business, "נתראה מחר")
    assert _msg(db, second).status == "sending"
    _run_until_done(db, second)
    sids = [d["sid"] for d in fake_twilio.deliveries]
    assert len(sids) == 2 and _msg(db, second).provider_message_id == sids[1] != _msg(db, first).provider_message_id


# ---- bounded: nothing loops forever ------------------------------------------------------

def test_a_bug_in_the_transport_fails_the_message_instead_of_looping(db, twilio_business, fake_twilio, queue,
                                                                      monkeypatch, wa_logs):
    """An unexpected exception used to skip _attempt_failed (the only attempts check): the
    sweep re-claimed the message forever. Now it fails at once, and the log has no number."""
    from server.providers.whatsapp.twilio import TwilioTransport

    def broken_send(self, message):
        raise KeyError(f"bug while sending to {message.to}: {message.text}")
    monkeypatch.setattr(TwilioTransport, "send", broken_send)
    message_id = queue(twilio_business, "תזכורת: התור מחר")  # the API's inline attempt crashes
    msg = _msg(db, message_id)
    assert msg.status == "failed" and msg.attempts == 1
    assert msg.error_code == "internal" and "KeyError" in msg.error
    assert message_id not in dict(due_messages(now=utcnow() + timedelta(days=1)))
    assert attempt_send(message_id, now=utcnow() + timedelta(days=1)) is None
    assert _msg(db, message_id).attempts == 1 and fake_twilio.deliveries == []
    crash_lines = [r.getMessage() for r in wa_logs.records if "crashed" in r.getMessage()]
    assert crash_lines and "KeyError" in crash_lines[0]
    assert all("545551234" not in r.getMessage() and "תזכורת" not in r.getMessage() for r in wa_logs.records)


def test_a_message_out_of_attempts_is_failed_when_claimed_not_sent(db, twilio_business, fake_twilio, queue):
    fake_twilio.fail_next = [TWILIO_503]
    message_id = queue(twilio_business)
    msg = _msg(db, message_id)
    assert msg.status == "queued"
    msg.attempts = 5  # as if a crash had skipped the check after the last allowed attempt
    db.session.commit()
    assert attempt_send(message_id, now=msg.next_attempt_at) is None
    msg = _msg(db, message_id)
    assert msg.status == "failed" and msg.attempts == 5 and msg.error.startswith("gave up after 5 attempts")
    assert fake_twilio.deliveries == [] and message_id not in dict(due_messages())


def test_an_interrupted_last_attempt_is_reconciled_but_never_sent_again(db, twilio_business, fake_twilio, queue):
    fake_twilio.fail_next = [(0, "drop")]  # the attempt's outcome is unknown: left in `sending`
    message_id = queue(twilio_business)
    msg = _msg(db, message_id)
    assert msg.status == "sending"
    msg.attempts = 5
    db.session.commit()
    assert attempt_send(message_id, now=msg.next_attempt_at) is None
    msg = _msg(db, message_id)
    # Twilio's list says it never got there; with no attempts left it fails instead of sending.
    assert msg.status == "failed" and msg.attempts == 6 and fake_twilio.deliveries == []
    assert [m for m, _ in fake_twilio.requests] == ["POST", "GET"]


def test_a_queued_message_without_a_number_fails_once(db, twilio_business, fake_twilio, queue):
    """A message whose number was cleared (an erasure by an older version) used to crash in
    wa_address(None) on every sweep."""
    fake_twilio.fail_next = [TWILIO_503]
    message_id = queue(twilio_business)
    msg = _msg(db, message_id)
    msg.to_number = None
    db.session.commit()
    assert attempt_send(message_id, now=msg.next_attempt_at) is None
    msg = _msg(db, message_id)
    assert msg.status == "failed" and msg.error_code == "no_recipient" and msg.attempts == 2
    assert fake_twilio.deliveries == [] and message_id not in dict(due_messages(now=utcnow() + timedelta(days=1)))
