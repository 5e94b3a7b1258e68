"""Benchmark: free slots for 30 days × 10 staff with 5,000 existing appointments.

    .venv/bin/python bench/availability.py                       # SQLite in a temp dir
    .venv/bin/python bench/availability.py --database-url postgresql+psycopg://postgres@127.0.0.1/kesher_bench

Seeds one business with 10 staff calendars open 08:00–22:00 Sunday–Friday (Shabbat closed
by the default policy) and --appointments appointments of 30 minutes at random free grid
times in a 30-day window (January 2027: no holidays), then times in one run:
  * the availability service (free_slots: one query, one sweep per staff member);
  * GET /api/availability through the Flask test client (auth, validation, JSON and all);
  * the naive scan (every grid slot against every appointment) as the baseline, after
    checking that it gives the same slots.
Prints p50/p95 in milliseconds and the ratio. No pass/fail: the figures are the output.
Each run adds its own business (rows are kept): point it at a scratch database.
"""
from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

from _stats import timed  # bench/ is on sys.path when a bench runs as a script

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

ISRAEL = ZoneInfo("Asia/Jerusalem")
FIRST_DAY = datetime(2027, 1, 3, tzinfo=ISRAEL)  # a Sunday
DAYS = 30
STAFF = 10
HOURS = {str(d): [["08:00", "22:00"]] for d in range(6)}


def seed(db, business_id, staff_ids, customer_ids, service_id, count, rng):
    from sqlalchemy import insert

    from server.models.appointments import Appointment
    free = []
    for n in range(DAYS):
        day = FIRST_DAY + timedelta(days=n)
        if day.weekday() == 5:  # Shabbat
            continue
        for staff_id in staff_ids:
            free += [(staff_id, day.replace(hour=8) + timedelta(minutes=30 * k)) for k in range(28)]
    if count > len(free):
        raise SystemExit(f"at most {len(free)} appointments fit")
    rows = []
    for staff_id, start in rng.sample(free, count):
        start = start.astimezone(timezone.utc)
        end = start + timedelta(minutes=30)
        rows.append({"business_id": business_id, "customer_id": rng.choice(customer_ids), "service_id": service_id,
                     "staff_id": staff_id, "start_at": start, "end_at": end, "blocked_until": end,
                     "status": rng.choice(["booked", "confirmed", "booked", "cancelled"]), "source": "web"})
    db.session.execute(insert(Appointment), rows)
    db.session.commit()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--appointments", type=int, default=5_000)
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--baseline-runs", type=int, default=3)
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="kesher-bench-"))
    os.environ.setdefault("HUEY_SQLITE_PATH", str(tmp / "huey.db"))
    os.environ.pop("REDIS_URL", None)
    url = args.database_url or f"sqlite:///{tmp / 'bench.db'}"

    import logging

    from sqlalchemy import text

    from server.app_factory import create_app
    from server.extensions import db
    app = create_app({"TESTING": True, "APP_ENV": "testing", "SECRET_KEY": "bench-secret-key-not-for-production",
                      "SQLALCHEMY_DATABASE_URI": url, "LOG_DIR": str(tmp / "logs"), "MEDIA_DIR": str(tmp / "media"),
                      "RATELIMIT_STORAGE_URI": "memory://", "REDIS_URL": None, "LOG_LEVEL": "WARNING"})
    logging.disable(logging.INFO)
    rng = random.Random(18)

    with app.app_context():
        from server.db_migrate import upgrade_database
        from server.models import Business, Customer, User
        from server.models.appointments import Service, StaffCalendar
        from server.services.appointments.settings import new_token
        from server.services.auth import hash_password
        upgrade_database()
        stamp = os.urandom(3).hex()
        business = Business(name=f"מספרת מדידה {stamp}")
        db.session.add(business)
        db.session.flush()
        staff = [StaffCalendar(business_id=business.id, name=f"ספרית {i}", hours=HOURS, ical_token=new_token(),
                               breaks=[{"day": None, "start": "13:00", "end": "13:30"}] if i % 2 else [])
                 for i in range(STAFF)]
        customers = [Customer(business_id=business.id, name=f"לקוחה {i}", phone=f"+97252{i:07d}") for i in range(200)]
        short = Service(business_id=business.id, name="פן", duration_minutes=30, price_agorot=8000)
        asked = Service(business_id=business.id, name="תספורת נשים", duration_minutes=45, price_agorot=18000,
                        buffer_minutes=15)
        user = User(email=f"bench-{stamp}@bench.local", role="staff", business_id=business.id,
                    password_hash=hash_password("bench-password"))
        db.session.add_all([*staff, *customers, short, asked, user])
        db.session.commit()
        t0 = time.perf_counter()
        seed(db, business.id, [s.id for s in staff], [c.id for c in customers], short.id, args.appointments, rng)
        if db.engine.dialect.name == "postgresql":
            db.session.execute(text("ANALYZE"))
            db.session.commit()
        seeded_s = time.perf_counter() - t0
        service_id, email = asked.id, user.email

    client = app.test_client()
    r = client.post("/api/auth/login", json={"email": email, "password": "bench-password"})
    assert r.status_code == 200, r.get_json()
    window = {"service_id": service_id, "from": FIRST_DAY.date().isoformat(),
              "to": (FIRST_DAY + timedelta(days=DAYS - 1)).date().isoformat()}

    def over_http():
        response = client.get("/api/availability", query_string=window)
        assert response.status_code == 200 and response.get_json()
        return response

    with app.app_context():
        from server.models.appointments import Service
        from server.services.appointments import availability
        service = db.session.get(Service, service_id)
        start, end = availability.window(FIRST_DAY.date(), (FIRST_DAY + timedelta(days=DAYS - 1)).date())
        fast = availability.free_slots(service, start, end)
        naive = availability.free_slots_naive(service, start, end)
        agree = fast == naive
        sweep = timed(lambda: availability.free_slots(service, start, end), args.runs)
        http = timed(over_http, args.runs)
        baseline = timed(lambda: availability.free_slots_naive(service, start, end), args.baseline_runs) if args.baseline_runs else (1, 1)

    print(f"database: {url.split(':', 1)[0]} ({app.config['SQLALCHEMY_DATABASE_URI'].split('@')[-1]}); "
          f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
    print(f"{DAYS} days × {STAFF} staff, {args.appointments} appointments (a quarter cancelled), "
          f"seeded in {seeded_s:.1f}s; {len(fast)} free slots of 45 min + 15 buffer; runs {args.runs}")
    print(f"sweep and naive scan agree: {'yes' if agree else 'NO'}")
    print(f"service (sweep)  p50 {sweep[0]:8.2f} ms   p95 {sweep[1]:8.2f} ms")
    print(f"GET availability p50 {http[0]:8.2f} ms   p95 {http[1]:8.2f} ms")
    print(f"naive scan       p50 {baseline[0]:8.2f} ms   p95 {baseline[1]:8.2f} ms")
    print(f"ratio naive / sweep (p50): {baseline[0] / sweep[0]:.0f}×")


if __name__ == "__main__":
    main()
