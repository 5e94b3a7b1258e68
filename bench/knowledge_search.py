"""Benchmark: knowledge retrieval (issue 19: p95 < 30 ms over 10,000 passages, both databases).

    .venv/bin/python bench/knowledge_search.py                        # SQLite, then PostgreSQL
    .venv/bin/python bench/knowledge_search.py --db sqlite
    .venv/bin/python bench/knowledge_search.py --database-url postgresql+psycopg://postgres@127.0.0.1/kesher_knowledge_bench

Seeds one business with --passages passages (~80–200 Hebrew words each, drawn with Zipf
weights from a salon, clinic and shop vocabulary followed by a long tail of made-up words,
as word frequencies fall in real text; in documents of 100 passages; the held-out salon documents of
server/tests/knowledge/fixtures among them) beside a neighbour business with a fifth as
many, then times the 30 held-out questions round-robin: the service call
(services/knowledge/search.py search, top 5) and GET /api/knowledge/search. p50/p95 in ms.
No pass/fail: the figures are the output. The database is rebuilt on every run: a
PostgreSQL URL must name a scratch database (created if missing).
"""
from __future__ import annotations

import argparse
import itertools
import json
import logging
import os
import random
import sys
import tempfile
import time
from pathlib import Path

from _stats import timed  # bench/ is on sys.path when a bench runs as a script

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
FIXTURES = ROOT / "server/tests/knowledge/fixtures"

VOCABULARY = """
תור תורים טיפול טיפולים מחיר מחירים הנחה מבצע לקוח לקוחות שעה שעות יום ימים שבוע חודש שנה
רופא רופאה מרפאה בדיקה בדיקות מרשם תרופה קופת חולים הפניה תוצאות צילום שיניים סתימה הלבנה
מספרה תספורת צבע החלקה פן ציפורניים מניקור פדיקור איפור כלה אירוע שמפו מסכה שמן מוצר מוצרים
חנות משלוח איסוף החזרה זיכוי אחריות תיקון מלאי הזמנה הזמנות אתר טלפון וואטסאפ מייל כתובת רחוב
חניה חניון מעלית נגישות כניסה קומה בניין תחנה אוטובוס רכבת מרכז עיר שכונה קניון חצר
ביטול ביטולים איחור מקדמה תשלום אשראי מזומן ביט העברה חשבונית קבלה שובר כרטיסייה מועדון
ילדים מבוגרים גברים נשים סטודנטים חיילים גמלאים משפחה צוות מעצבת מטפלת מנהלת מזכירה
אפשר צריך כדאי מומלץ חובה ניתן יש אין כולל בלי עם לפני אחרי במהלך עד החל בערך בדיוק
""".split()


LETTERS = "אבגדהוזחטיכלמנסעפצקרשת"
FUNCTION_WORDS = """של את על עם זה לא כן גם או אם כל יש אין הוא היא הם אני אנחנו אתם עד אחרי לפני
כי אבל רק עוד כבר מאוד שלנו שלכם אצלנו לכם לנו ניתן אפשר צריך בין תוך כמו""".split()


def lexicon(rng: random.Random, size: int = 8000) -> tuple[list[str], list[float]]:
    """Words with Zipf weights, as in real text: function words head the ranks (של, את, על …),
    then the business words, then a long tail of made-up Hebrew-letter words (names, places,
    products, rare terms)."""
    tail = {"".join(rng.choice(LETTERS) for _ in range(rng.randint(3, 7))) for _ in range(size)}
    ranked = FUNCTION_WORDS + VOCABULARY + sorted(tail - set(VOCABULARY) - set(FUNCTION_WORDS))
    return ranked, [1 / (rank + 1) for rank in range(len(ranked))]


def passage_text(rng: random.Random, words_and_weights) -> str:
    ranked, weights = words_and_weights
    sentences = []
    for _ in range(rng.randint(8, 18)):
        words = rng.choices(ranked, weights, k=rng.randint(6, 12))
        if rng.random() < 0.3:
            words[0] = rng.choice("והבלמש") + words[0]
        sentences.append(" ".join(words) + ".")
    return " ".join(sentences)


def seed(db, passages: int, rng: random.Random):
    from sqlalchemy import insert

    from server.models import Business, KnowledgeDocument, KnowledgePassage, User
    from server.services.auth import hash_password
    from server.services.knowledge.documents import upload_document
    from server.services.knowledge.text import index_text

    business = Business(name="מרפאת מדידה")
    neighbour = Business(name="עסק שכן")
    db.session.add_all([business, neighbour])
    db.session.flush()
    db.session.add(User(email="bench@bench.local", role="staff", business_id=business.id,
                        password_hash=hash_password("bench-password")))
    db.session.commit()
    for name in ("salon_faq.txt", "salon_policy.txt"):
        upload_document(business.id, None, name, (FIXTURES / name).read_bytes())
    words_and_weights = lexicon(rng)
    for owner, count in ((business.id, passages), (neighbour.id, passages // 5)):
        for start in range(0, count, 100):
            document = KnowledgeDocument(business_id=owner, filename=f"מסמך {start // 100 + 1}.txt",
                                         content_type="text/plain", size_bytes=0, content=b"", status="ready")
            db.session.add(document)
            db.session.flush()
            rows = []
            for ordinal in range(min(100, count - start)):
                title = " ".join(rng.choices(words_and_weights[0], words_and_weights[1], k=2))
                body = passage_text(rng, words_and_weights)
                rows.append({"business_id": owner, "document_id": document.id, "entry_id": None, "ordinal": ordinal,
                             "title": title, "text": body, "search_text": index_text(title, body)})
            db.session.execute(insert(KnowledgePassage), rows)
        db.session.commit()
    return business.id


def bench_database(label: str, url: str, passages: int, runs: int):
    from sqlalchemy import func, select, text

    from server.app_factory import create_app
    from server.extensions import db

    tmp = Path(tempfile.mkdtemp(prefix="kesher-knowledge-bench-"))
    app = create_app({"TESTING": True, "APP_ENV": "testing", "SECRET_KEY": "bench-secret-key-not-for-production",
                      "SQLALCHEMY_DATABASE_URI": url, "LOG_DIR": str(tmp / "logs"), "MEDIA_DIR": str(tmp / "media"),
                      "RATELIMIT_STORAGE_URI": "memory://", "REDIS_URL": None, "LOG_LEVEL": "WARNING"})
    logging.disable(logging.INFO)
    from server.extensions import huey
    huey.immediate = True
    questions = [q["q"] for q in json.loads((FIXTURES / "questions.json").read_text(encoding="utf-8"))["questions"]]
    with app.app_context():
        from server.db_migrate import upgrade_database
        from server.models import KnowledgePassage
        from server.services.knowledge.search import search
        if db.engine.dialect.name == "postgresql":
            db.session.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
            db.session.commit()
        upgrade_database()
        started = time.perf_counter()
        business_id = seed(db, passages, random.Random(19))
        if db.engine.dialect.name == "postgresql":
            db.session.execute(text("ANALYZE knowledge_passage"))
            db.session.commit()
        total = db.session.scalar(select(func.count()).select_from(KnowledgePassage)
                                  .where(KnowledgePassage.business_id == business_id))
        print(f"\n== {label}: {total:,} passages of the measured business seeded in "
              f"{time.perf_counter() - started:.0f} s ({url.split('@')[-1]})")
        cycle = itertools.cycle(questions)
        service = timed(lambda: search(business_id, next(cycle), limit=5), runs)
        db.session.rollback()
    client = app.test_client()
    assert client.post("/api/auth/login", json={"email": "bench@bench.local", "password": "bench-password"}).status_code == 200
    cycle = itertools.cycle(questions)

    def call():
        response = client.get("/api/knowledge/search", query_string={"q": next(cycle)})
        assert response.status_code == 200, response.get_json()
    endpoint = timed(call, runs)
    print(f"{'search (service, top 5)':34} p50 {service[0]:6.1f} ms   p95 {service[1]:6.1f} ms")
    print(f"{'GET /api/knowledge/search':34} p50 {endpoint[0]:6.1f} ms   p95 {endpoint[1]:6.1f} ms")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--passages", type=int, default=10_000)
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--database-url", default="postgresql+psycopg://postgres@127.0.0.1/kesher_knowledge_bench",
                        help="the PostgreSQL scratch database")
    parser.add_argument("--runs", type=int, default=300)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="kesher-knowledge-bench-"))
    os.environ.setdefault("HUEY_SQLITE_PATH", str(tmp / "huey.db"))
    os.environ.pop("REDIS_URL", None)
    if args.database_url.startswith("sqlite"):
        bench_database("SQLite", args.database_url, args.passages, args.runs)
        return
    if args.db in ("sqlite", "both"):
        bench_database("SQLite", f"sqlite:///{tmp / 'bench.db'}", args.passages, args.runs)
    if args.db in ("postgresql", "both"):
        import psycopg
        dbname = args.database_url.rsplit("/", 1)[1]
        admin = args.database_url.rsplit("/", 1)[0].replace("postgresql+psycopg", "postgresql") + "/postgres"
        with psycopg.connect(admin, autocommit=True) as conn:
            if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (dbname,)).fetchone():
                conn.execute(f'CREATE DATABASE "{dbname}"')
        bench_database("PostgreSQL", args.database_url, args.passages, args.runs)


if __name__ == "__main__":
    main()
