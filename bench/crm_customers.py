"""Benchmark: GET /api/crm/customers for a business with many Hebrew customers.

    .venv/bin/python bench/crm_customers.py                      # 100,000 customers, SQLite and PostgreSQL
    .venv/bin/python bench/crm_customers.py --size 1000000       # the issue's 1M figure
    .venv/bin/python bench/crm_customers.py --db sqlite          # one database only

Seeds one business with --size customers (Hebrew names, some with niqqud; unique Israeli
mobiles; a third with e-mail; created over three years) beside a small neighbour business,
then measures p50/p95 in milliseconds, in one run, for page 1, a deep page (the middle of
the list) and three searches (a common surname typed with niqqud, a full phone typed
050-xxx-xxxx, an e-mail fragment). Each figure is printed beside:
  * raw: the very SQL the endpoint issued (captured, then replayed on the DBAPI cursor),
    so endpoint/raw is the cost of Flask, auth and JSON on top of the database;
  * seed: the seed's approach run raw (count(*) + ILIKE on three columns + OFFSET).
No pass/fail: the figures are the output. The database is rebuilt on every run:
--pg-url must name a scratch database (default kesher_crm_bench, created if missing).
"""
from __future__ import annotations

import argparse
import logging
import os
import random
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from _stats import timed  # bench/ is on sys.path when a bench runs as a script

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

FIRST = ["דנה", "יוסף", "מיכל", "אבי", "נועה", "משה", "שרה", "דוד", "רחל", "יעל", "איתי", "תמר", "עומר", "רוני",
         "אורי", "ליאת", "גל", "שירה", "עידו", "מאיה", "נתן", "הילה", "אלון", "רות", "יונתן", "ענבל", "אריאל",
         "טל", "עדי", "חן"]
FIRST_NIQQUD = {"יוסף": "יוֹסֵף", "דנה": "דָּנָה", "משה": "מֹשֶׁה", "שרה": "שָׂרָה", "דוד": "דָּוִד"}
LAST = ["כהן", "לוי", "מזרחי", "פרץ", "ביטון", "אברהם", "פרידמן", "אזולאי", "דהן", "אגבריה", "חדד", "גבאי",
        "קליין", "שפירא", "גולדברג", "בן דוד", "אוחיון", "מלכה", "סויסה", "רוזנברג", "יוסף", "טל", "שלום",
        "עמר", "נחום", "ברק", "אשכנזי", "חזן", "ששון", "וקנין"]
PREFIXES = ["50", "52", "53", "54", "55", "58"]


def make_rows(business_id, size, rng, start):
    """Customer rows in creation order (ids follow time, as in real use)."""
    from server.phones import phone_search_tokens
    from server.services.customers.search import build_search_text

    span = 3 * 365 * 24 * 3600
    stamps = sorted(rng.randrange(span) for _ in range(size))
    numbers = rng.sample(range(2_000_000, 10_000_000), size)  # valid Israeli mobiles start 2-9
    del phone_search_tokens
    for i in range(size):
        first = rng.choice(FIRST)
        if first in FIRST_NIQQUD and rng.random() < 0.3:
            first = FIRST_NIQQUD[first]
        name = f"{first} {rng.choice(LAST)}"
        phone = f"+972{PREFIXES[i % len(PREFIXES)]}{numbers[i]}"
        email = f"user{i}.{rng.randrange(10**6)}@example.co.il" if i % 3 == 0 else None
        created = start + timedelta(seconds=stamps[i], microseconds=rng.randrange(10**6))
        yield (business_id, name, phone, email, None, "import", build_search_text(name, phone, email), created, created)


def seed(app, db, size, rng_seed=11):
    from sqlalchemy import text

    from server.models import Business, User
    from server.services.auth import hash_password

    rng = random.Random(rng_seed)
    start = datetime(2023, 1, 1, tzinfo=timezone.utc)
    business = Business(name="עסק מדידה", settings={}, whatsapp_config={})
    neighbour = Business(name="עסק שכן", settings={}, whatsapp_config={})
    db.session.add_all([business, neighbour])
    db.session.flush()
    user = User(email="bench@bench.local", role="staff", business_id=business.id,
                password_hash=hash_password("bench-password"))
    db.session.add(user)
    db.session.commit()
    columns = "business_id, name, phone, email, notes, source, search_text, created_at, updated_at"
    t0 = time.perf_counter()
    batches = [(neighbour.id, 2_000), (business.id, size)]
    if db.engine.dialect.name == "postgresql":
        # Bulk load the way an operator would: COPY, then build the trigram index once.
        db.session.execute(text("DROP INDEX ix_customer_search_trgm"))
        db.session.commit()
        raw = db.engine.raw_connection()
        try:
            cur = raw.cursor()
            for business_id, n in batches:
                with cur.copy(f"COPY customer ({columns}) FROM STDIN") as copy:
                    for row in make_rows(business_id, n, rng, start):
                        copy.write_row(row[:7] + (row[7].replace(tzinfo=None), row[8].replace(tzinfo=None)))
            raw.commit()
            cur.execute("CREATE INDEX ix_customer_search_trgm ON customer USING gin (search_text gin_trgm_ops)")
            cur.execute("ANALYZE")
            raw.commit()
        finally:
            raw.close()
    else:
        raw = db.engine.raw_connection()
        try:
            cur = raw.cursor()
            fmt = "%Y-%m-%d %H:%M:%S.%f"
            for business_id, n in batches:
                rows = ((r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7].strftime(fmt), r[8].strftime(fmt))
                        for r in make_rows(business_id, n, rng, start))
                cur.executemany(f"INSERT INTO customer ({columns}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
            raw.commit()
            cur.execute("ANALYZE")
            cur.execute("PRAGMA optimize")
            raw.commit()
        finally:
            raw.close()
    return business.id, user.email, time.perf_counter() - t0


class SqlCapture:
    """Records the statements the app sends, to replay them raw."""

    def __init__(self, engine):
        self.engine = engine
        self.statements = []
        self.active = False
        from sqlalchemy import event
        event.listen(engine, "before_cursor_execute", self._on_execute)

    def _on_execute(self, conn, cursor, statement, parameters, context, executemany):
        if self.active:
            self.statements.append((statement, parameters))

    def capture(self, fn):
        self.statements, self.active = [], True
        try:
            fn()
        finally:
            self.active = False
        return list(self.statements)


def replay(engine, statements):
    raw = engine.raw_connection()
    cur = raw.cursor()

    def run():
        for statement, parameters in statements:
            cur.execute(statement, parameters)
            cur.fetchall()
        raw.rollback()
    return run, raw


def seed_style(engine, business_id, offset, q):
    """The seed's section 3 on the raw connection: count(*) of the filter, then OFFSET."""
    raw = engine.raw_connection()
    cur = raw.cursor()
    pg = engine.dialect.name == "postgresql"
    ph = "%s" if pg else "?"
    like = "ILIKE" if pg else "LIKE"
    where, params = f"business_id = {ph}", [business_id]
    if q:
        where += f" AND (name {like} {ph} OR phone {like} {ph} OR email {like} {ph})"
        params += [f"%{q}%"] * 3

    def run():
        cur.execute(f"SELECT count(*) FROM customer WHERE {where}", params)
        cur.fetchall()
        cur.execute(f"SELECT * FROM customer WHERE {where} ORDER BY created_at DESC LIMIT 25 OFFSET {offset}", params)
        cur.fetchall()
        raw.rollback()
    return run, raw


def bench_database(label, url, size, runs, seed_runs):
    tmp = Path(tempfile.mkdtemp(prefix="kesher-crm-bench-"))
    from sqlalchemy import text

    from server.app_factory import create_app
    from server.extensions import db

    app = create_app({"TESTING": True, "APP_ENV": "testing", "SECRET_KEY": "bench-secret-key-not-for-production",
                      "SQLALCHEMY_DATABASE_URI": url, "LOG_DIR": str(tmp / "logs"), "MEDIA_DIR": str(tmp / "media"),
                      "RATELIMIT_STORAGE_URI": "memory://", "REDIS_URL": None, "LOG_LEVEL": "WARNING"})
    logging.disable(logging.INFO)
    with app.app_context():
        from server.db_migrate import upgrade_database
        if db.engine.dialect.name == "postgresql":
            db.session.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
            db.session.commit()
        upgrade_database()
        business_id, email, seeded_s = seed(app, db, size, )
        engine = db.engine
        sample = db.session.execute(text(
            "SELECT phone, email FROM customer WHERE business_id = :b AND email IS NOT NULL ORDER BY id LIMIT 1 "
            "OFFSET :o"), {"b": business_id, "o": size // 7}).first()
        db.session.commit()
    print(f"\n== {label}: {size:,} customers seeded in {seeded_s:.0f} s ({url.split('@')[-1]})")

    from server.phones import display_phone
    client = app.test_client()
    r = client.post("/api/auth/login", json={"email": email, "password": "bench-password"})
    assert r.status_code == 200, r.get_json()
    deep = size // 2 // 25
    phone_q = display_phone(sample.phone)
    email_q = sample.email.split("@")[0]
    scenarios = [
        ("page 1", {"page": 1, "limit": 25}, 0, None),
        (f"deep page {deep:,} (offset {(deep - 1) * 25:,})", {"page": deep, "limit": 25}, (deep - 1) * 25, None),
        ("search 'כֹּהֵן' (niqqud, common)", {"q": "כֹּהֵן"}, 0, "כהן"),
        ("search 'כהן' page 80 (the last, offset 1,975)", {"q": "כהן", "page": 80}, 1975, "כהן"),
        ("search 'דנה כהן' (two words)", {"q": "דנה כהן"}, 0, "דנה כהן"),
        (f"search '{phone_q}'", {"q": phone_q}, 0, phone_q),
        (f"search '{email_q}'", {"q": email_q}, 0, email_q),
    ]
    with app.app_context():
        capture = SqlCapture(db.engine)
    print(f"{'':42} {'endpoint p50/p95':>18} {'raw p50/p95':>15} {'ratio':>6} {'seed p50/p95':>16} {'total':>9}")
    for name, params, offset, seed_q in scenarios:
        def call():
            response = client.get("/api/crm/customers", query_string=params)
            assert response.status_code == 200, response.get_json()
            return response
        body = call().get_json()
        endpoint = timed(call, runs)
        with app.app_context():
            statements = capture.capture(call)
            run_raw, conn = replay(engine, statements)
            raw = timed(run_raw, runs)
            conn.close()
            run_seed, conn = seed_style(engine, business_id, offset, seed_q)
            seed_fig = timed(run_seed, seed_runs)
            conn.close()
        shown = f"{body['total']:,}" + ("" if call().headers.get("X-Total-Exact") == "true" else "+")
        print(f"{name:42} {endpoint[0]:8.1f}/{endpoint[1]:<8.1f} {raw[0]:7.1f}/{raw[1]:<7.1f} "
              f"{endpoint[0] / raw[0]:5.2f}x {seed_fig[0]:8.1f}/{seed_fig[1]:<7.1f} {shown:>9}")
        assert len(body["items"]) == min(25, body["total"]) or offset, name


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=100_000, help="customers of the measured business")
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--pg-url", default="postgresql+psycopg://postgres@127.0.0.1/kesher_crm_bench")
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--seed-runs", type=int, default=5, help="runs of the (slow) seed-style SQL")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="kesher-crm-bench-"))
    os.environ.setdefault("HUEY_SQLITE_PATH", str(tmp / "huey.db"))
    os.environ.pop("REDIS_URL", None)
    if args.db in ("sqlite", "both"):
        bench_database("SQLite", f"sqlite:///{tmp / 'bench.db'}", args.size, args.runs, args.seed_runs)
    if args.db in ("postgresql", "both"):
        import psycopg
        dbname = args.pg_url.rsplit("/", 1)[1]
        admin = args.pg_url.rsplit("/", 1)[0].replace("postgresql+psycopg", "postgresql") + "/postgres"
        with psycopg.connect(admin, autocommit=True) as conn:
            if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (dbname,)).fetchone():
                conn.execute(f'CREATE DATABASE "{dbname}"')
        bench_database("PostgreSQL", args.pg_url, args.size, args.runs, args.seed_runs)


if __name__ == "__main__":
    main()
