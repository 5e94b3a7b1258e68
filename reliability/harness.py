"""The environment every reliability check runs in: a private PostgreSQL and Redis, the
migrated schema, seeded Hebrew data, and the production stack (two gunicorn web
processes, the job worker, nginx) on loopback ports."""
from __future__ import annotations

import os
import secrets
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

from deploy.stack import Stack, StackConfig, free_port
from reliability.infra import PrivatePostgres, PrivateRedis

MARK_B = "סוד-עסק-ב-" + secrets.token_hex(3)  # appears only in business B's records
B_ID_BASE = 900001
PHONE_A, PHONE_B = "+972547000001", "+972502220002"
LOCAL_A = "054-700-0001"  # PHONE_A as an Israeli user types it


@dataclass
class Result:
    name: str
    status: str  # pass | FAIL | not run
    figures: str = ""
    note: str = ""


@dataclass
class Session:
    """A logged-in browser: cookie jar + CSRF header, through nginx."""
    http: requests.Session
    user_id: int
    role: str
    business_id: int | None
    csrf: str

    @property
    def cookie(self) -> str:
        return "; ".join(f"{c.name}={c.value}" for c in self.http.cookies)


@dataclass
class Harness:
    base_dir: Path
    pg: PrivatePostgres
    redis: PrivateRedis
    stack: Stack
    app: object  # an in-process Flask app on the same database: seeding and checking rows
    env: dict
    ids: dict = field(default_factory=dict)
    sessions: dict = field(default_factory=dict)
    extra: list = field(default_factory=list)  # extra processes started by checks

    @property
    def base(self) -> str:
        return self.stack.url("")

    def routes(self) -> list[tuple[str, set[str]]]:
        return [(rule.rule, set(rule.methods) - {"HEAD", "OPTIONS"}) for rule in self.app.url_map.iter_rules()]

    def has_route(self, path: str, method: str = "POST") -> bool:
        return any(rule == path and method in methods for rule, methods in self.routes())

    def web_url(self, index: int, path: str = "") -> str:
        return f"http://127.0.0.1:{self.stack.config.web_ports[index]}{path}"

    def login(self, email: str, base: str | None = None) -> Session:
        http = requests.Session()
        response = http.post((base or self.base) + "/api/auth/login", json={"email": email, "password": PASSWORD},
                             timeout=10)
        response.raise_for_status()
        data = response.json()
        http.headers["X-CSRF-Token"] = data["csrf_token"]
        user = data["user"]
        return Session(http, user["id"], user["role"], user["business_id"], data["csrf_token"])

    def provider_headers(self, url: str, body: bytes | dict | None = None, content_type: str | None = None,
                         method: str = "POST") -> dict[str, str]:
        """The signature header Twilio or Meta puts on a webhook they send: production refuses
        an unsigned one (server/webhooks.py), so the suite signs what it sends as the provider.

        `url` is the URL as requested (with its query string); `body` the form dict or the raw
        bytes. A raw form is parsed by werkzeug, as the app parses it, so even a malformed
        body carries the signature the app computes and reaches the parser behind the check.
        """
        import hashlib
        import hmac
        from urllib.parse import urlsplit

        if urlsplit(url).path == "/webhook/whatsapp/meta":
            raw = body if isinstance(body, bytes) else b""
            digest = hmac.new(self.env["META_APP_SECRET"].encode(), raw, hashlib.sha256).hexdigest()
            return {"X-Hub-Signature-256": "sha256=" + digest}
        from twilio.request_validator import RequestValidator
        params: dict = {}
        if method == "POST" and isinstance(body, dict):
            params = body
        elif method == "POST" and body:
            from werkzeug.test import EnvironBuilder
            from werkzeug.wrappers import Request
            environ = EnvironBuilder(method="POST", data=body, content_type=content_type).get_environ()
            try:
                params = Request(environ).form.to_dict(flat=True)
            except Exception:  # noqa: BLE001 — what the app cannot parse, it cannot sign either
                params = {}
        if self.env.get("HOST"):
            # The app checks the signature over its public URL (HOST + path + query), whichever
            # process the request reached: nginx's port or one gunicorn's directly.
            parts = urlsplit(url)
            url = self.env["HOST"].rstrip("/") + parts.path + (f"?{parts.query}" if parts.query else "")
        signature = RequestValidator(self.env["TWILIO_AUTH_TOKEN"]).compute_signature(url, params)
        return {"X-Twilio-Signature": signature}

    def count(self, model, **filters) -> int:
        from sqlalchemy import func, select
        from server.extensions import db
        with self.app.app_context():
            query = select(func.count()).select_from(model)
            for key, value in filters.items():
                query = query.where(getattr(model, key) == value)
            n = db.session.scalar(query)
            db.session.rollback()
            return n


PASSWORD = "reliability-pass-1"


def _seed(app) -> dict:
    from server.extensions import db
    from server.models import Business, CallLog, Contract, Customer, Invoice, Task, User, WhatsAppMsg
    from server.services.auth import hash_password
    from server.services.customers.search import build_search_text

    ids: dict = {}
    with app.app_context():
        a = Business(name="מספרת אורית", whatsapp_number="+97235550001", voice_number="+97235550001")
        # B's rows get ids no row of A will ever have (B_ID_BASE+): the isolation probe asks
        # for them, and a probe that hit one of A's own rows would prove nothing.
        b = Business(id=B_ID_BASE, name=f"מוסך {MARK_B}", whatsapp_number="+97235550002",
                     voice_number="+97235550002")
        db.session.add_all([a, b])
        db.session.flush()
        users = {
            "admin": User(email="admin@rel.test", role="admin", business_id=None),
            "a_admin": User(email="owner-a@rel.test", role="admin", business_id=a.id),
            "a_staff": User(email="staff-a@rel.test", role="staff", business_id=a.id),
            "a_viewer": User(email="viewer-a@rel.test", role="viewer", business_id=a.id),
            "b_staff": User(id=B_ID_BASE, email="staff-b@rel.test", role="staff", business_id=b.id, name=MARK_B),
            # The hostile lane logs this one out to prove a copied cookie dies with the session.
            "a_revoked": User(email="revoked-a@rel.test", role="staff", business_id=a.id),
        }
        hashed = hash_password(PASSWORD)
        for user in users.values():
            user.password_hash = hashed
            user.active = True
        db.session.add_all(users.values())
        db.session.flush()

        def customer(business, name, phone, email, **fields):
            c = Customer(business_id=business.id, name=name, phone=phone, email=email, source="manual",
                         search_text=build_search_text(name, phone, email), **fields)
            db.session.add(c)
            return c

        ca = customer(a, "דנה כהן", PHONE_A, "dana@a.test")
        cb = customer(b, f"לקוח {MARK_B}", PHONE_B, "secret@b.test", id=B_ID_BASE)
        db.session.flush()
        for n in range(200):  # a list worth paging through in the load test
            customer(a, f"לקוחה {n} לוי", f"+97250{3000000 + n}", None)
        records = {}
        for key, biz, cust, marker in (("a", a, ca, "רגיל"), ("b", b, cb, MARK_B)):
            ident = {"id": B_ID_BASE} if key == "b" else {}
            records[key] = [
                Task(**ident, business_id=biz.id, customer_id=cust.id, title=f"משימה {marker}"),
                Invoice(**ident, business_id=biz.id, customer_id=cust.id, amount_agorot=10000, description=f"חשבונית {marker}"),
                Contract(**ident, business_id=biz.id, customer_id=cust.id, title=f"חוזה {marker}"),
                CallLog(**ident, business_id=biz.id, customer_id=cust.id, call_sid=f"CA{secrets.token_hex(16)}",
                        from_number=cust.phone, summary=f"שיחה {marker}"),
                WhatsAppMsg(**ident, business_id=biz.id, customer_id=cust.id, direction="inbound", status="delivered",
                            provider="dev", from_number=cust.phone, body=f"הודעה {marker}"),
            ]
            db.session.add_all(records[key])
        db.session.commit()
        ids = {
            "business_a": a.id, "business_b": b.id,
            "users": {k: (u.id, u.email) for k, u in users.items()},
            "customer_a": ca.id, "customer_b": cb.id,
            "b_ids": sorted({b.id, cb.id, users["b_staff"].id} | {r.id for r in records["b"]}),
            "b_records": {type(r).__name__: r.id for r in records["b"]},
        }
    return ids


def build(base_dir: Path | None = None, web_processes: int = 2) -> Harness:
    base_dir = Path(base_dir or tempfile.mkdtemp(prefix="kesher-reliability-"))
    pg = PrivatePostgres(base_dir)
    pg.init()
    pg.start()
    redis = PrivateRedis(base_dir)
    redis.start()
    database_url = pg.create_database("kesher")
    nginx_port = free_port()
    env = {
        "APP_ENV": "production",
        "SECRET_KEY": secrets.token_hex(32),
        "DATABASE_URL": database_url,
        "REDIS_URL": redis.url,
        "MEDIA_DIR": str(base_dir / "media"),
        "HUEY_SQLITE_PATH": str(base_dir / "huey.db"),
        "LOG_DIR": str(base_dir / "logs"),
        "LOG_LEVEL": "WARNING",
        "WORKER_THREADS": "4",
    }
    for key in ("TWILIO_ACCOUNT_SID", "OPENAI_API_KEY", "GOOGLE_APPLICATION_CREDENTIALS", "META_ACCESS_TOKEN"):
        env[key] = ""
    # The public URL Twilio would call: signatures are computed over it, whichever process
    # (nginx or one gunicorn directly) a check posts to.
    env["HOST"] = f"http://127.0.0.1:{nginx_port}"
    # Production verifies every webhook (issue 16): the suite signs as Twilio and Meta do.
    env["TWILIO_AUTH_TOKEN"] = secrets.token_hex(16)
    env["META_APP_SECRET"] = secrets.token_hex(16)
    # The in-process app (seeding, row checks) must see the same settings as the servers.
    os.environ.update(env)
    from server.app_factory import create_app
    from server.db_migrate import upgrade_database

    app = create_app()
    with app.app_context():
        upgrade_database()
    ids = _seed(app)
    stack = Stack(StackConfig(run_dir=base_dir / "run", nginx_port=nginx_port,
                              web_ports=[free_port() for _ in range(web_processes)], env=env, threads=32,
                              python=sys.executable))
    stack.start(migrate=False, timeout=90)
    harness = Harness(base_dir, pg, redis, stack, app, env, ids)
    for key in ("admin", "a_admin", "a_staff", "a_viewer", "b_staff"):
        harness.sessions[key] = harness.login(ids["users"][key][1])
    return harness


def teardown(harness: Harness | None) -> None:
    if harness is None:
        return
    for proc in harness.extra:
        Stack.signal_proc(proc)
    harness.stack.stop()
    harness.redis.destroy()
    harness.pg.destroy()


def wait_until(predicate, timeout: float, interval: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    return predicate()
