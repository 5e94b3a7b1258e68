"""Benchmark: what the session-version check (revocable sessions) adds to an authenticated request.

    .venv/bin/python bench/session_check.py                      # SQLite in a temp dir
    .venv/bin/python bench/session_check.py --database-url postgresql+psycopg://postgres@127.0.0.1/kesher_bench

Logs one staff user in, then times GET /api/auth/me through the Flask test client (session
cookie, CSRF hook, user load, JSON and all) in one run, two ways, interleaved in rounds so
drift of the machine hits both alike:
  * with the check: authz.session_user as shipped (user row, active, session_version);
  * without it: the seed's check (user row and active only), swapped in for the run.
Prints p50/p95 in milliseconds, the difference and the ratio (the budget is +1 ms p50), and
the two checks alone, called in a request context without HTTP, in microseconds: on a busy
machine the request figures drift by more than the check costs.
No pass/fail: the figures are the output. Each run adds its own business and user.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from _stats import percentile  # bench/ is on sys.path when a bench runs as a script

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def seed_check(payload):
    """The seed's session check: the user row and its active flag, no version."""
    from server.extensions import db
    from server.models import User

    if not isinstance(payload, dict) or not isinstance(payload.get("id"), int):
        return None
    user = db.session.get(User, payload["id"])
    if user is None or not user.active:
        return None
    return user


def sample(fn, runs):
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1000)
    return out


def client_session(client, app):
    """The session dict that client's cookie holds (decoded with the app's serializer)."""
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    return app.session_interface.get_signing_serializer(app).loads(cookie.value)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--runs", type=int, default=2000, help="requests per variant")
    parser.add_argument("--rounds", type=int, default=200, help="alternating blocks the runs are split into")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="kesher-bench-"))
    os.environ.setdefault("HUEY_SQLITE_PATH", str(tmp / "huey.db"))
    os.environ.pop("REDIS_URL", None)
    url = args.database_url or f"sqlite:///{tmp / 'bench.db'}"

    import logging

    from server import authz
    from server.app_factory import create_app
    from server.extensions import db
    app = create_app({"TESTING": True, "APP_ENV": "testing", "SECRET_KEY": "bench-secret-key-not-for-production",
                      "SQLALCHEMY_DATABASE_URI": url, "LOG_DIR": str(tmp / "logs"), "MEDIA_DIR": str(tmp / "media"),
                      "RATELIMIT_STORAGE_URI": "memory://", "REDIS_URL": None, "LOG_LEVEL": "WARNING"})
    logging.disable(logging.INFO)

    with app.app_context():
        from server.db_migrate import upgrade_database
        from server.models import Business, User
        from server.services.auth import hash_password
        upgrade_database()
        stamp = os.urandom(3).hex()
        business = Business(name=f"עסק מדידה {stamp}")
        db.session.add(business)
        db.session.flush()
        user = User(email=f"bench-{stamp}@bench.local", role="staff", business_id=business.id,
                    password_hash=hash_password("bench-password"))
        db.session.add(user)
        db.session.commit()
        email = user.email

    client = app.test_client()
    r = client.post("/api/auth/login", json={"email": email, "password": "bench-password"})
    assert r.status_code == 200, r.get_json()

    def me():
        response = client.get("/api/auth/me")
        assert response.status_code == 200

    shipped = authz.session_user
    variants = {"with the check": shipped, "without (seed)": seed_check}
    samples = {name: [] for name in variants}
    per_round = max(1, args.runs // args.rounds)
    for name, check in variants.items():  # warm-up, both ways
        authz.session_user = check
        sample(me, 50)
    try:
        for _ in range(args.rounds):
            for name, check in variants.items():
                authz.session_user = check
                samples[name] += sample(me, per_round)
    finally:
        authz.session_user = shipped

    print(f"database: {url.split(':', 1)[0]}; machine: {os.cpu_count()} CPUs, "
          f"load average {os.getloadavg()[0]:.1f}; GET /api/auth/me, {per_round * args.rounds} requests per variant "
          f"in {args.rounds} alternating rounds")
    figures = {}
    for name, values in samples.items():
        figures[name] = (statistics.median(values), percentile(values, 0.95))
        print(f"{name:16s} p50 {figures[name][0]:7.3f} ms   p95 {figures[name][1]:7.3f} ms")
    with app.test_request_context("/api/auth/me"):
        from flask import session
        session.update(client_session(client, app))
        payload = session["user"]
        alone = {name: [] for name in variants}
        for _ in range(args.rounds):
            for name, check in variants.items():
                db.session.expire_all()  # each request starts with a fresh session: load the row
                start = time.perf_counter()
                check(payload)
                alone[name].append((time.perf_counter() - start) * 1e6)
        db.session.remove()
    (with_p50, with_p95), (seed_p50, seed_p95) = figures["with the check"], figures["without (seed)"]
    print(f"added by the check: p50 {with_p50 - seed_p50:+.3f} ms (ratio {with_p50 / seed_p50:.3f}), "
          f"p95 {with_p95 - seed_p95:+.3f} ms (ratio {with_p95 / seed_p95:.3f}); budget +1 ms p50")
    check_with, check_seed = statistics.median(alone["with the check"]), statistics.median(alone["without (seed)"])
    print(f"the check alone (no HTTP): with {check_with:.1f} us, without {check_seed:.1f} us, "
          f"added {check_with - check_seed:+.1f} us per request")


if __name__ == "__main__":
    main()
