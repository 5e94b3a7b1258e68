"""The login limit holds under concurrency: wrong passwords sent at once cannot all be tried.

LOGIN_RATE_LIMIT is "5 per minute" (per IP and per email). Thirty attempts race each other
through a real threaded server on 127.0.0.1 (and test clients from many IPs): at most five
get a real 401, the rest the seed's 429 — in memory (`make run`) and on Redis (`make prod`).
"""
from __future__ import annotations

import os
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from werkzeug.serving import make_server

from server.app_factory import create_app
from server.tests.conftest import TEST_PASSWORD, make_test_config

LIMIT = 5
ATTEMPTS = 30
REDIS_URL = os.environ.get("KESHER_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def _race(attempt, n=ATTEMPTS):
    """Run attempt(i) n times at once (released together by a barrier); their status codes."""
    barrier = threading.Barrier(n)

    def go(i):
        barrier.wait(timeout=30)
        return attempt(i)
    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(go, range(n)))


@pytest.fixture()
def serve():
    """serve(app) → the base URL of app on a threaded server on 127.0.0.1, stopped afterwards."""
    servers = []

    def start(app):
        server = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_port}"
    yield start
    for server in servers:
        server.shutdown()


def _assert_held(codes):
    assert set(codes) <= {401, 429}, codes
    assert codes.count(401) <= LIMIT, f"{codes.count(401)} of {len(codes)} wrong passwords were tried"
    assert codes.count(429) >= len(codes) - LIMIT


def test_concurrent_wrong_passwords_from_one_ip_are_limited(app, db, make_user, serve):
    email = make_user(role="admin").email  # read here: the threads have no app context
    base = serve(app)
    codes = _race(lambda i: requests.post(f"{base}/api/auth/login", timeout=60, json={
        "email": email if i % 2 else f"nobody{i}@test.local", "password": "wrong-pass"}).status_code)
    _assert_held(codes)
    r = requests.post(f"{base}/api/auth/login", json={"email": email, "password": TEST_PASSWORD}, timeout=60)
    assert r.status_code == 429 and r.json() == {"error": "too many requests", "code": "too_many_requests"}


def test_concurrent_wrong_passwords_for_one_email_from_many_ips_are_limited(app, db, make_user):
    email = make_user(role="admin").email  # read here: the threads have no app context

    def attempt(i):
        return app.test_client().post("/api/auth/login", json={"email": email, "password": "wrong-pass"},
                                      environ_base={"REMOTE_ADDR": f"198.51.100.{i + 1}"}).status_code
    _assert_held(_race(attempt))
    r = app.test_client().post("/api/auth/login", json={"email": email, "password": TEST_PASSWORD},
                               environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert r.status_code == 429


def test_concurrent_correct_passwords_do_not_use_up_the_limit(app, db, make_user, serve):
    email = make_user(role="admin").email  # read here: the threads have no app context
    base = serve(app)
    _race(lambda i: requests.post(f"{base}/api/auth/login", timeout=60,
                                  json={"email": email, "password": TEST_PASSWORD}).status_code, n=4)
    # Every success gave its slot back: the whole limit of failures is still there.
    codes = [requests.post(f"{base}/api/auth/login", timeout=60,
                           json={"email": email, "password": "wrong-pass"}).status_code for _ in range(LIMIT + 1)]
    assert codes == [401] * LIMIT + [429]


@pytest.fixture()
def redis_limited_app():
    """An app whose login limits live in Redis under a key prefix of this test's own."""
    import redis

    from server.extensions import limiter
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except Exception:  # noqa: BLE001
        if os.environ.get("CI"):
            pytest.fail(f"Redis is not reachable at {REDIS_URL}")
        pytest.skip(f"Redis is not reachable at {REDIS_URL}")
    saved = {k: getattr(limiter, k, None) for k in ("_storage", "_limiter", "_storage_dead", "_fallback_limiter",
                                               "_fallback_storage", "_key_prefix")}
    try:
        yield create_app(make_test_config(RATELIMIT_STORAGE_URI=REDIS_URL,
                                          RATELIMIT_KEY_PREFIX=f"kesher-test-{uuid.uuid4().hex[:10]}"))
    finally:
        for key, value in saved.items():  # the limiter is one object shared by every app
            setattr(limiter, key, value)


def test_concurrent_wrong_passwords_are_limited_on_redis(db, make_user, redis_limited_app, serve):
    from limits.storage import RedisStorage

    from server.extensions import limiter
    assert isinstance(limiter.storage, RedisStorage)
    email = make_user(role="admin").email  # read here: the threads have no app context
    base = serve(redis_limited_app)
    ok = requests.post(f"{base}/api/auth/login", json={"email": email, "password": TEST_PASSWORD}, timeout=60)
    assert ok.status_code == 200  # and its slot is given back in Redis
    codes = _race(lambda i: requests.post(f"{base}/api/auth/login", timeout=60, json={
        "email": email, "password": "wrong-pass"}).status_code)
    _assert_held(codes)
    assert codes.count(401) == LIMIT  # the refunded success left all five tries
    assert not limiter._storage_dead  # counted in Redis, not in the in-memory fallback
