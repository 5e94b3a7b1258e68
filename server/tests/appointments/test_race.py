"""Two callers confirm the same slot in the same millisecond: exactly one gets it.

Real concurrent requests: one thread per caller, each with its own logged-in client, its own
app context and so its own database connection, released together by a barrier. On SQLite
(the default lane) and on PostgreSQL (TEST_DATABASE_URL), where the exclusion constraint is
also checked directly, without the service's lock.
"""
from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from server.tests.appointments.conftest import ISRAEL, ordinary_sunday
from server.tests.conftest import login

CALLERS = 8


def _race(app, make_user, salon, payload: dict) -> list:
    users = [make_user("staff", salon.business) for _ in range(CALLERS)]
    clients = []
    for user in users:
        client = app.test_client()
        login(client, user.email)
        clients.append(client)
    barrier = threading.Barrier(CALLERS)
    answers: list = [None] * CALLERS

    def call(i: int) -> None:
        barrier.wait()
        response = clients[i].post("/api/appointments", json=payload)
        answers[i] = (response.status_code, response.get_json())

    threads = [threading.Thread(target=call, args=(i,)) for i in range(CALLERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return answers


def test_one_staff_one_slot_one_winner(app, db, make_user, salon):
    day = ordinary_sunday()
    start = datetime(day.year, day.month, day.day, 10, tzinfo=ISRAEL)
    answers = _race(app, make_user, salon, {"customer_id": salon.customer.id, "service_id": salon.haircut.id,
                                            "start": start.isoformat(), "staff_id": salon.dana.id})
    codes = sorted(code for code, _ in answers)
    assert codes == [201] + [409] * (CALLERS - 1), answers
    losers = [body for code, body in answers if code == 409]
    assert all(body["error"] == "slot taken" and body["next_slots"] for body in losers)
    # The next slot offered is after the winner's hold (10:45 + 15 minutes of buffer).
    assert losers[0]["next_slots"][0]["start"] == (start + timedelta(hours=1)).astimezone(timezone.utc).isoformat()
    rows = db.session.execute(text("SELECT count(*) FROM appointment WHERE status = 'booked'")).scalar()
    assert rows == 1


def test_without_a_staff_member_each_staff_member_is_booked_once(app, db, make_user, salon):
    day = ordinary_sunday()
    start = datetime(day.year, day.month, day.day, 11, tzinfo=ISRAEL)
    answers = _race(app, make_user, salon, {"customer_id": salon.customer.id, "service_id": salon.haircut.id,
                                            "start": start.isoformat()})
    winners = [body for code, body in answers if code == 201]
    assert sorted(body["staff_id"] for body in winners) == sorted([salon.dana.id, salon.yossi.id]), answers
    assert sorted(code for code, _ in answers).count(409) == CALLERS - 2


def test_postgresql_refuses_an_overlap_even_without_the_service(app, db, salon):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("the exclusion constraint is PostgreSQL's")
    from server.models.appointments import Appointment
    start = datetime(2030, 1, 6, 8, tzinfo=timezone.utc)

    def row(offset_minutes: int, status: str = "booked") -> Appointment:
        begin = start + timedelta(minutes=offset_minutes)
        return Appointment(business_id=salon.business.id, customer_id=salon.customer.id,
                           service_id=salon.haircut.id, staff_id=salon.dana.id, start_at=begin,
                           end_at=begin + timedelta(minutes=45), blocked_until=begin + timedelta(minutes=60),
                           status=status)
    db.session.add(row(0))
    db.session.commit()
    db.session.add(row(60))  # starts when the hold ends: allowed ([start, blocked_until) is half-open)
    db.session.add(row(30, "cancelled"))  # a cancelled one holds nothing
    db.session.commit()
    db.session.add(row(30))
    with pytest.raises(IntegrityError) as caught:
        db.session.commit()
    db.session.rollback()
    assert caught.value.orig.sqlstate == "23P01"
