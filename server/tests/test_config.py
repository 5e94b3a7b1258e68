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


def test_an_empty_secret_key_in_dotenv_means_the_development_default(monkeypatch):
    """`cp .env.example .env` leaves SECRET_KEY= empty: development must still sign sessions."""
    from server.config import load_config
    monkeypatch.setenv("APP_ENV", "development")
    monkeypatch.setenv("SECRET_KEY", "")
    assert load_config()["SECRET_KEY"] == "dev-insecure-secret"
    monkeypatch.setenv("APP_ENV", "production")
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        load_config()
