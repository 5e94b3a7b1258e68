"""Benchmark: the first timeline page of a customer with 10,000 events.

    .venv/bin/python bench/timeline.py                       # SQLite in a temp dir
    .venv/bin/python bench/timeline.py --database-url postgresql+psycopg://postgres@127.0.0.1/kesher_bench

Seeds one business with a customer holding --events events over the five types
(calls with two turns each, WhatsApp messages, tasks, invoices, contracts — about 5% of
the records undated), plus --noise events spread over 50 neighbour customers, then times
in one run:
  * GET /api/customers/<id>/timeline through the Flask test client (auth, JSON and all);
  * a deep page (following X-Next-Cursor --deep times);
  * the seed's approach (load all five tables into Python and sort) as the baseline.
Prints p50/p95 in milliseconds and the ratios. No pass/fail: the figures are the output.
Each run adds its own business (rows are kept): point it at a scratch database.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from _stats import timed  # bench/ is on sys.path when a bench runs as a script

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def seed(db, business_id, customer_id, events, start, rng_seed=7):
    import random

    from sqlalchemy import insert

    from server.models import CallLog, CallTurn, Contract, Invoice, Task, WhatsAppMsg
    rng = random.Random(rng_seed + customer_id)
    share = {"call": 0.3, "whatsapp": 0.4, "task": 0.1, "invoice": 0.1, "contract": 0.1}
    counts = {k: int(events * v) for k, v in share.items()}
    counts["whatsapp"] += events - sum(counts.values())
    span = 3 * 365 * 24 * 3600

    def when():
        return start + timedelta(seconds=rng.randint(0, span))

    calls = [{"call_sid": f"CAbench{customer_id}x{i}", "business_id": business_id, "customer_id": customer_id,
              "from_number": "+972501234567", "to_number": "+97233720000", "status": "completed",
              "summary": "הלקוחה ביקשה לקבוע תור", "recording_url": f"/media/voice/bench-{i}.wav",
              "started_at": when(), "state": {}} for i in range(counts["call"])]
    db.session.execute(insert(CallLog), calls)
    call_ids = [row.id for row in db.session.execute(
        CallLog.__table__.select().with_only_columns(CallLog.id).where(CallLog.customer_id == customer_id))]
    turns = [{"call_id": cid, "index": j, "transcript": "שלום, אפשר לקבוע תור למחר?", "reply": "בטח, באיזו שעה?",
              "latencies": {}, "fallbacks": [], "tool_calls": [], "intents": []} for cid in call_ids for j in range(2)]
    db.session.execute(insert(CallTurn), turns)
    db.session.execute(insert(WhatsAppMsg), [
        {"business_id": business_id, "customer_id": customer_id, "direction": rng.choice(["inbound", "outbound"]),
         "status": "delivered", "provider": "dev", "body": "תודה, נתראה מחר", "created_at": when(), "flags": {},
         "provider_message_id": f"wamid.bench.{customer_id}.{i}"} for i in range(counts["whatsapp"])])
    db.session.execute(insert(Task), [
        {"business_id": business_id, "customer_id": customer_id, "title": "לחזור ללקוחה",
         "due_at": None if i % 20 == 0 else when(), "created_at": when()} for i in range(counts["task"])])
    db.session.execute(insert(Invoice), [
        {"business_id": business_id, "customer_id": customer_id, "status": "draft" if i % 20 == 0 else "issued",
         "amount_agorot": 45_000, "vat_rate_bp": 1800, "vat_agorot": 8_100, "total_agorot": 53_100,
         "issued_at": None if i % 20 == 0 else when(), "created_at": when()} for i in range(counts["invoice"])])
    db.session.execute(insert(Contract), [
        {"business_id": business_id, "customer_id": customer_id, "title": "מנוי שנתי", "status": "signed",
         "signed_at": None if i % 20 == 0 else when(), "created_at": when()} for i in range(counts["contract"])])
    db.session.commit()


def seed_style_timeline(db, customer_id):
    """The seed's section 4 (made None-safe): every row of the five tables into Python, then sort."""
    from server.models import CallLog, Contract, Invoice, Task, WhatsAppMsg
    items = []
    items += [{"type": "call", "at": c.started_at, "data": c.to_dict()} for c in
              db.session.scalars(db.select(CallLog).where(CallLog.customer_id == customer_id))]
    items += [{"type": "whatsapp", "at": w.created_at, "data": w.to_dict()} for w in
              db.session.scalars(db.select(WhatsAppMsg).where(WhatsAppMsg.customer_id == customer_id))]
    items += [{"type": "task", "at": t.due_at, "data": t.to_dict()} for t in
              db.session.scalars(db.select(Task).where(Task.customer_id == customer_id))]
    items += [{"type": "invoice", "at": i.issued_at, "data": i.to_dict()} for i in
              db.session.scalars(db.select(Invoice).where(Invoice.customer_id == customer_id))]
    items += [{"type": "contract", "at": k.signed_at, "data": k.to_dict()} for k in
              db.session.scalars(db.select(Contract).where(Contract.customer_id == customer_id))]
    floor = datetime.min.replace(tzinfo=timezone.utc)
    items.sort(key=lambda x: x["at"] or floor, reverse=True)
    db.session.expunge_all()
    return items


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--noise", type=int, default=10_000, help="events of 50 other customers")
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--limit", type=int, default=None, help="page size (default: the API's default)")
    parser.add_argument("--deep", type=int, default=20, help="pages to follow for the deep-page figure")
    parser.add_argument("--baseline-runs", type=int, default=5)
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="kesher-bench-"))
    os.environ.setdefault("HUEY_SQLITE_PATH", str(tmp / "huey.db"))
    os.environ.pop("REDIS_URL", None)
    url = args.database_url or f"sqlite:///{tmp / 'bench.db'}"

    import logging

    from sqlalchemy import text

    from server.app_factory import create_app
    from server.extensions import db
    from server.services import timeline as timeline_service
    app = create_app({"TESTING": True, "APP_ENV": "testing", "SECRET_KEY": "bench-secret-key-not-for-production",
                      "SQLALCHEMY_DATABASE_URI": url, "LOG_DIR": str(tmp / "logs"), "MEDIA_DIR": str(tmp / "media"),
                      "RATELIMIT_STORAGE_URI": "memory://", "REDIS_URL": None, "LOG_LEVEL": "WARNING"})
    logging.disable(logging.INFO)
    limit = args.limit or timeline_service.DEFAULT_LIMIT

    with app.app_context():
        from server.db_migrate import upgrade_database
        from server.models import Business, CallLog, CallTurn, Contract, Customer, Invoice, Task, User, WhatsAppMsg
        from server.services.auth import hash_password
        upgrade_database()
        stamp = os.urandom(3).hex()
        business = Business(name=f"עסק מדידה {stamp}")
        db.session.add(business)
        db.session.flush()
        customers = [Customer(business_id=business.id, name=f"לקוח {i}", phone=f"+97250{i:07d}") for i in range(51)]
        db.session.add_all(customers)
        user = User(email=f"bench-{stamp}@bench.local", role="staff", business_id=business.id,
                    password_hash=hash_password("bench-password"))
        db.session.add(user)
        db.session.commit()
        target = customers[0]
        start = datetime(2023, 1, 1, tzinfo=timezone.utc)
        t0 = time.perf_counter()
        seed(db, business.id, target.id, args.events, start)
        for other in customers[1:]:
            seed(db, business.id, other.id, args.noise // 50, start)
        if db.engine.dialect.name == "postgresql":
            db.session.execute(text("ANALYZE"))
            db.session.commit()
        seeded_s = time.perf_counter() - t0
        target_id, business_id, email = target.id, business.id, user.email

    client = app.test_client()
    r = client.post("/api/auth/login", json={"email": email, "password": "bench-password"})
    assert r.status_code == 200, r.get_json()
    path = f"/api/customers/{target_id}/timeline"

    def first_page():
        response = client.get(path, query_string={"limit": limit})
        assert response.status_code == 200 and len(response.get_json()) == limit
        return response

    cursor = None
    for _ in range(args.deep):
        cursor = client.get(path, query_string={"limit": limit, **({"before": cursor} if cursor else {})}) \
            .headers["X-Next-Cursor"]

    def deep_page():
        response = client.get(path, query_string={"limit": limit, "before": cursor})
        assert response.status_code == 200 and len(response.get_json()) == limit

    def filtered_page():
        response = client.get(path, query_string={"limit": limit, "types": "call,invoice"})
        assert response.status_code == 200

    # Every event of the customer, page after page: nothing lost or repeated.
    seen, cursor_all, pages = set(), None, 0
    while True:
        resp = client.get(path, query_string={"limit": 500, **({"before": cursor_all} if cursor_all else {})})
        for item in resp.get_json():
            seen.add((item["type"], item["data"]["id"]))
        pages += 1
        cursor_all = resp.headers.get("X-Next-Cursor")
        if not cursor_all:
            break

    with app.app_context():
        from server.models import Customer
        customer = db.session.get(Customer, target_id)
        service = timed(lambda: (timeline_service.customer_timeline(customer, limit=limit),
                                 db.session.expunge_all(), db.session.add(customer)), args.runs)
        first = timed(first_page, args.runs)
        deep = timed(deep_page, args.runs)
        filtered = timed(filtered_page, args.runs)
        baseline = timed(lambda: seed_style_timeline(db, target_id), args.baseline_runs)

    print(f"database: {url.split(':', 1)[0]} ({app.config['SQLALCHEMY_DATABASE_URI'].split('@')[-1]}); "
          f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
    print(f"customer events: {args.events} (+{args.noise} on 50 neighbours), seeded in {seeded_s:.1f}s; "
          f"page size {limit}; runs {args.runs}")
    print(f"walked the whole timeline: {len(seen)} distinct items in {pages} pages of 500 "
          f"({'complete' if len(seen) == args.events else 'INCOMPLETE'})")
    print(f"service only    p50 {service[0]:7.2f} ms   p95 {service[1]:7.2f} ms   (no HTTP, auth or JSON)")
    print(f"first page      p50 {first[0]:7.2f} ms   p95 {first[1]:7.2f} ms")
    print(f"page {args.deep + 1:<3d} (cursor) p50 {deep[0]:7.2f} ms   p95 {deep[1]:7.2f} ms")
    print(f"types=call,invoice p50 {filtered[0]:5.2f} ms   p95 {filtered[1]:7.2f} ms")
    print(f"seed-style load-all-and-sort p50 {baseline[0]:7.1f} ms   p95 {baseline[1]:7.1f} ms")
    print(f"ratio seed-style / first page (p50): {baseline[0] / first[0]:.0f}x")


if __name__ == "__main__":
    main()
