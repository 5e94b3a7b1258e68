import pytest

from server.app_factory import create_app
from server.config import ConfigError, normalize_database_url
from server.tests.conftest import make_test_config


@pytest.mark.parametrize("secret", ["", "change-me", "dev-insecure-secret"])
def test_production_refuses_to_start_without_a_real_secret(secret):
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        create_app(make_test_config(APP_ENV="production", SECRET_KEY=secret))


def test_production_starts_with_a_real_secret():
    app = create_app(make_test_config(APP_ENV="production", SECRET_KEY="a" * 64))
    assert app.config["APP_ENV"] == "production"


def test_production_refusal_from_the_environment(monkeypatch):
    from server.config import load_config
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(ConfigError):
        load_config()


@pytest.mark.parametrize("url,expected", [
    ("postgres://u@h/db", "postgresql+psycopg://u@h/db"),
    ("postgresql://u@h/db", "postgresql+psycopg://u@h/db"),
    ("postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
    ("sqlite:///x.db", "sqlite:///x.db"),
])
def test_database_urls_are_normalised_to_psycopg3(url, expected):
    assert normalize_database_url(url) == expected


def test_sqlite_runs_with_wal_foreign_keys_and_busy_timeout(app, db):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite pragmas")
    from sqlalchemy import text
    assert db.session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
    assert db.session.execute(text("PRAGMA foreign_keys")).scalar() == 1
    assert db.session.execute(text("PRAGMA busy_timeout")).scalar() == 5000


def test_an_empty_secret_key_in_dotenv_means_this_installs_generated_key(monkeypatch, tmp_path):
    """`cp .env.example .env` leaves SECRET_KEY= empty: development signs with its own generated key
    (it used to be the published "dev-insecure-secret"), production refuses to start."""
    from server.config import load_config
    monkeypatch.setenv("APP_ENV", "development")
    monkeypatch.setenv("SECRET_KEY", "")
    key = load_config({"INSTANCE_DIR": str(tmp_path)})["SECRET_KEY"]
    assert key == (tmp_path / "secret_key").read_text().strip() and key != "dev-insecure-secret"
    monkeypatch.setenv("APP_ENV", "production")
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        load_config({"INSTANCE_DIR": str(tmp_path)})


def test_production_refuses_a_short_secret_key():
    with pytest.raises(ConfigError, match="SECRET_KEY.*shorter than 32"):
        create_app(make_test_config(APP_ENV="production", SECRET_KEY="short-but-not-published"))


# ---- production needs every configured transport's webhook secret (issue 16) ------------

STRONG = "s" * 64


@pytest.mark.parametrize("configured,missing", [
    ({"TWILIO_ACCOUNT_SID": "AC" + "1" * 32}, "TWILIO_AUTH_TOKEN"),
    ({"META_ACCESS_TOKEN": "EAAG-meta-token"}, "META_APP_SECRET"),
    ({"WHATSAPP_VERIFY_TOKEN": "verify-me"}, "META_APP_SECRET"),
])
def test_production_refuses_a_transport_without_its_webhook_secret(configured, missing):
    with pytest.raises(ConfigError, match=missing):
        create_app(make_test_config(APP_ENV="production", SECRET_KEY=STRONG, **configured))


def test_production_starts_with_each_transport_and_its_secret():
    app = create_app(make_test_config(APP_ENV="production", SECRET_KEY=STRONG, TWILIO_ACCOUNT_SID="AC" + "1" * 32,
                                      TWILIO_AUTH_TOKEN="twilio-token", META_ACCESS_TOKEN="EAAG-meta-token",
                                      META_APP_SECRET="meta-secret", WHATSAPP_VERIFY_TOKEN="verify-me"))
    assert app.config["APP_ENV"] == "production"


def test_development_keeps_accepting_a_transport_without_its_secret():
    """Unsigned webhooks stay possible in development: a demo posts them by hand."""
    create_app(make_test_config(APP_ENV="development", TWILIO_ACCOUNT_SID="AC" + "1" * 32,
                                META_ACCESS_TOKEN="EAAG-meta-token"))
