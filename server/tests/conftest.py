"""Shared fixtures: app, client, db, login_as(role), factories, and a no-internet guard.

The suite runs on SQLite by default and on PostgreSQL when TEST_DATABASE_URL is set.
Migrations (not create_all) build the schema, so every run also proves them.
"""
from __future__ import annotations

import ipaddress
import os
import socket
import tempfile
from pathlib import Path

import pytest
from sqlalchemy import text

_TMP = Path(tempfile.mkdtemp(prefix="kesher-tests-"))
# Set before server.extensions is imported anywhere: the job queue reads it at import.
os.environ.setdefault("HUEY_SQLITE_PATH", str(_TMP / "huey.db"))
os.environ.pop("REDIS_URL", None)

from server.app_factory import create_app  # noqa: E402
from server.extensions import db as _db, huey, limiter  # noqa: E402

TEST_PASSWORD = "test-password-1"


def _database_url() -> str:
    return os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{_TMP / 'test.db'}"


def make_test_config(**overrides) -> dict:
    config = {
        "TESTING": True,
        "APP_ENV": "testing",
        "SECRET_KEY": "test-secret-key-not-for-production",
        "SQLALCHEMY_DATABASE_URI": _database_url(),
        "LOG_DIR": str(_TMP / "logs"),
        "MEDIA_DIR": str(_TMP / "media"),
        "EXPORT_DIR": str(_TMP / "exports"),
        "RATELIMIT_STORAGE_URI": "memory://",
        "REDIS_URL": None,
        "HOST": "",
        "TWILIO_ACCOUNT_SID": None,
        "TWILIO_AUTH_TOKEN": None,
        "OPENAI_API_KEY": None,
        "GOOGLE_APPLICATION_CREDENTIALS": None,
    }
    config.update(overrides)
    return config


# ---- no internet -----------------------------------------------------------------------

_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


def _is_local(address) -> bool:
    if not isinstance(address, tuple):
        return True  # unix socket
    host = address[0]
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


@pytest.fixture(autouse=True)
def _no_internet(monkeypatch):
    """A test that tries to reach anything but this machine fails loudly."""
    def guarded_connect(self, address):
        if not _is_local(address):
            raise RuntimeError(f"test tried to reach the network: {address!r}")
        return _real_connect(self, address)

    def guarded_connect_ex(self, address):
        if not _is_local(address):
            raise RuntimeError(f"test tried to reach the network: {address!r}")
        return _real_connect_ex(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded_connect)
    monkeypatch.setattr(socket.socket, "connect_ex", guarded_connect_ex)
    yield


# ---- app and database ------------------------------------------------------------------

@pytest.fixture(scope="session")
def app():
    app = create_app(make_test_config())
    huey.immediate = True  # jobs run inline unless a test drives a real worker
    with app.app_context():
        from server.db_migrate import upgrade_database
        if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
            # A throwaway database may hold tables from an earlier run: start clean.
            _db.session.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
            _db.session.commit()
        upgrade_database()
    yield app


def _truncate_all(app):
    with app.app_context():
        tables = [t.name for t in reversed(_db.metadata.sorted_tables)]
        if _db.engine.dialect.name == "postgresql":
            _db.session.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                _db.session.execute(text(f'DELETE FROM "{table}"'))
        _db.session.commit()


@pytest.fixture()
def db(app):
    with app.app_context():
        yield _db
        _db.session.rollback()
    _truncate_all(app)
    limiter.reset()


@pytest.fixture()
def client(app, db):
    return app.test_client()


# ---- factories -------------------------------------------------------------------------

@pytest.fixture()
def make_business(db):
    counter = {"n": 0}

    def make(name: str | None = None, **fields):
        from server.models import Business
        counter["n"] += 1
        business = Business(name=name or f"עסק בדיקה {counter['n']}", **fields)
        db.session.add(business)
        db.session.commit()
        return business
    return make


@pytest.fixture()
def make_user(db):
    def make(role: str = "staff", business=None, email: str | None = None, active: bool = True):
        from server.models import User
        from server.services.auth import hash_password
        user = User(email=email or f"{role}-{os.urandom(4).hex()}@test.local", role=role,
                    password_hash=hash_password(TEST_PASSWORD), active=active,
                    business_id=business.id if business is not None else None)
        db.session.add(user)
        db.session.commit()
        return user
    return make


@pytest.fixture()
def make_customer(db):
    def make(business, name: str = "דנה כהן", phone: str | None = "+972501234567", email: str | None = None, **fields):
        from server.models import Customer
        from server.services.customers import build_search_text
        customer = Customer(business_id=business.id, name=name, phone=phone, email=email,
                            search_text=build_search_text(name, phone, email), **fields)
        db.session.add(customer)
        db.session.commit()
        return customer
    return make


def login(client, email: str, password: str = TEST_PASSWORD):
    response = client.post("/api/auth/login", json={"email": email, "password": password})
    assert response.status_code == 200, response.get_json()
    # Every later unsafe call of this client carries the session's CSRF token.
    client.environ_base["HTTP_X_CSRF_TOKEN"] = response.get_json()["csrf_token"]
    return response


@pytest.fixture()
def login_as(client, make_business, make_user):
    """login_as("staff") → the User, with `client` logged in. A platform admin has no business."""
    def do_login(role: str, business=None, platform: bool | None = None):
        if platform is None:
            platform = role == "admin" and business is None
        if not platform and business is None:
            business = make_business()
        user = make_user(role=role, business=None if platform else business)
        login(client, user.email)
        return user
    return do_login
