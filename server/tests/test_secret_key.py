"""Issue 16, item 3: a default install signs with its own random key, never a published one.

`make run` used to sign session cookies and the worker's relay with the published
"dev-insecure-secret", so anyone who could reach it forged a platform admin's session.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import subprocess
import sys
from pathlib import Path

import pytest
from flask import Flask
from flask.sessions import SecureCookieSessionInterface

from server.app_factory import create_app
from server.config import ConfigError, instance_secret_key, load_config
from server.services import realtime
from server.tests.conftest import make_test_config

REPO_ROOT = Path(__file__).resolve().parents[2]
PUBLISHED = "dev-insecure-secret"


def _default_config(instance_dir: Path, **overrides) -> dict:
    """The test database and folders, but SECRET_KEY left as a fresh clone leaves it: unset."""
    config = make_test_config(**{"APP_ENV": "development", "INSTANCE_DIR": str(instance_dir), **overrides})
    del config["SECRET_KEY"]
    return config


@pytest.fixture
def no_secret_in_env(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "")  # set-but-empty: a .env in the checkout cannot fill it in
    monkeypatch.delenv("INSTANCE_DIR", raising=False)


@pytest.fixture
def default_app(app, db, tmp_path, no_secret_in_env):
    """An app built the way `make run` builds it, on the test database."""
    return create_app(_default_config(tmp_path / "instance"))


def _forge_session(secret: str, payload: dict) -> str:
    forger = Flask("forger")
    forger.secret_key = secret
    return SecureCookieSessionInterface().get_signing_serializer(forger).dumps(payload)


def test_a_cookie_forged_with_the_published_development_key_is_not_a_session(default_app, make_user):
    admin = make_user("admin")  # a platform admin: what the forged cookie claims to be
    forged = _forge_session(PUBLISHED, {"user": admin.session_payload(), "csrf": "known"})
    client = default_app.test_client()
    client.set_cookie("kesher_session", forged)
    assert client.get("/api/auth/me").status_code == 401
    created = client.post("/api/users", json={"email": "intruder@evil.test", "password": "intruder-pass-1",
                                              "role": "admin"}, headers={"X-CSRF-Token": "known"})
    assert created.status_code == 401
    # The app's own key still makes sessions: the same claim signed with it is accepted.
    client.set_cookie("kesher_session", _forge_session(default_app.config["SECRET_KEY"],
                                                       {"user": admin.session_claims(), "csrf": "known"}))
    assert client.get("/api/auth/me").get_json()["id"] == admin.id


def test_a_relay_event_signed_with_the_published_development_key_is_refused(default_app, make_business):
    business = make_business()
    body = json.dumps({"business_id": business.id, "event": "call.created", "payload": {"id": 1}}).encode()
    client = default_app.test_client()
    for signature in (hmac.new(PUBLISHED.encode(), body, hashlib.sha256).hexdigest(),  # the old scheme
                      realtime.relay_signature(PUBLISHED, body)):
        response = client.post(realtime.RELAY_PATH, data=body, content_type="application/json",
                               headers={realtime.RELAY_SIGNATURE_HEADER: signature})
        assert response.status_code == 403 and response.get_json() == {"error": "forbidden", "code": "forbidden"}


def test_the_relay_signs_with_its_own_key_not_secret_key_itself():
    body = b'{"business_id": 1, "event": "x", "payload": {}}'
    secret = "k" * 64
    assert realtime.relay_signature(secret, body) != hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    assert realtime.relay_signature(secret, body) == realtime.relay_signature(secret, body)


def test_web_and_worker_without_secret_key_share_one_generated_key(tmp_path, no_secret_in_env):
    instance = tmp_path / "instance"
    web = load_config(_default_config(instance))
    worker = load_config(_default_config(instance))  # `make run` starts both; a restart is the same
    key_file = instance / "secret_key"
    assert web["SECRET_KEY"] == worker["SECRET_KEY"] == key_file.read_text().strip()
    assert len(web["SECRET_KEY"]) == 64 and web["SECRET_KEY"] != PUBLISHED
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"
    # Another install (another instance folder) has another key.
    assert load_config(_default_config(tmp_path / "other"))["SECRET_KEY"] != web["SECRET_KEY"]


def test_two_create_app_calls_sign_with_the_same_generated_key(app, tmp_path, no_secret_in_env):
    first = create_app(_default_config(tmp_path / "instance"))
    second = create_app(_default_config(tmp_path / "instance"))
    assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"] != PUBLISHED


def test_processes_starting_together_agree_on_one_key(tmp_path):
    path = tmp_path / "instance" / "secret_key"
    code = ("import sys; from pathlib import Path; from server.config import instance_secret_key; "
            "print(instance_secret_key(Path(sys.argv[1])))")
    procs = [subprocess.Popen([sys.executable, "-c", code, str(path)], cwd=REPO_ROOT, stdout=subprocess.PIPE,
                              text=True) for _ in range(8)]
    keys = {proc.communicate(timeout=60)[0].strip() for proc in procs}
    assert keys == {path.read_text().strip()} and len(keys.pop()) == 64
    assert sorted(p.name for p in path.parent.iterdir()) == ["secret_key"]  # no temporary file left behind


@pytest.mark.parametrize("placeholder", [PUBLISHED, "change-me"])
def test_a_published_placeholder_is_never_used_in_development(tmp_path, no_secret_in_env, monkeypatch, placeholder):
    monkeypatch.setenv("SECRET_KEY", placeholder)
    config = load_config({"INSTANCE_DIR": str(tmp_path)})
    assert config["SECRET_KEY"] == (tmp_path / "secret_key").read_text().strip()


def test_a_key_file_readable_by_others_is_made_private(tmp_path):
    path = tmp_path / "secret_key"
    key = instance_secret_key(path)
    path.chmod(0o644)
    assert instance_secret_key(path) == key
    assert oct(path.stat().st_mode & 0o777) == "0o600"


def test_a_damaged_key_file_is_a_clear_error_not_a_weak_key(tmp_path):
    path = tmp_path / "secret_key"
    path.write_text("\n")
    path.chmod(0o600)
    with pytest.raises(ConfigError, match="secret_key"):
        instance_secret_key(path)


def test_production_never_generates_a_key(tmp_path, no_secret_in_env):
    config = _default_config(tmp_path / "instance", APP_ENV="production")
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        create_app(config)
    assert not (tmp_path / "instance" / "secret_key").exists()


def test_the_dev_server_listens_on_loopback_unless_bind_says_otherwise(monkeypatch):
    from server import main as dev_main

    calls = []
    monkeypatch.setattr(dev_main, "create_app", lambda: Flask("stub"))
    monkeypatch.setattr("server.db_migrate.upgrade_database", lambda: None)
    monkeypatch.setattr(dev_main.socketio, "run", lambda app, host, port, **kw: calls.append((host, port)))
    monkeypatch.delenv("BIND", raising=False)
    monkeypatch.setenv("PORT", "5055")
    dev_main.main()
    monkeypatch.setenv("BIND", "0.0.0.0")
    dev_main.main()
    assert calls == [("127.0.0.1", 5055), ("0.0.0.0", 5055)]


def test_instance_dir_from_the_environment_holds_the_generated_key(tmp_path, no_secret_in_env, monkeypatch):
    monkeypatch.setenv("INSTANCE_DIR", str(tmp_path / "elsewhere"))
    for key in ("DATABASE_URL", "LOG_DIR", "MEDIA_DIR", "EXPORT_DIR"):
        monkeypatch.delenv(key, raising=False)
    config = load_config()
    assert config["SECRET_KEY"] == (tmp_path / "elsewhere" / "secret_key").read_text().strip()
    assert config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'elsewhere' / 'kesher.db'}"
    assert config["MEDIA_DIR"] == str(tmp_path / "elsewhere" / "media")
