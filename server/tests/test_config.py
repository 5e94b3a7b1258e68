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


# ---- typed configuration (server/config.py groups) ------------------------------------------

def test_a_setting_is_read_from_its_environment_name_into_its_typed_group(monkeypatch):
    from server.config import load
    monkeypatch.setenv("VOICE_TURN_LIMIT", "7")
    monkeypatch.setenv("TTS_PROVIDER", " Google ")
    monkeypatch.setenv("OPENAI_BASE_URL", "https://llm.example/v1/")
    config = load(make_test_config())
    assert config.voice.turn_limit == 7
    assert config.agent.tts_provider == "google"
    assert config.openai.base_url == "https://llm.example/v1"


def test_an_empty_value_means_the_one_default(monkeypatch):
    from server.config import load
    monkeypatch.setenv("ESPEAK_RATE", "")
    monkeypatch.setenv("WHATSAPP_MAX_ATTEMPTS", "")
    config = load(make_test_config())
    assert (config.espeak.rate, config.whatsapp.max_attempts) == (130, 10)


def test_a_value_of_the_wrong_type_stops_the_start_naming_the_variable(monkeypatch):
    from server.config import load
    monkeypatch.setenv("VOICE_TURN_THREADS", "שמונה")
    with pytest.raises(ConfigError, match="VOICE_TURN_THREADS"):
        load(make_test_config())


def test_overrides_by_environment_name_beat_the_environment(monkeypatch):
    from server.config import current
    monkeypatch.setenv("VOICE_REDIRECT_LIMIT", "5")
    app = create_app(make_test_config(VOICE_REDIRECT_LIMIT=2))
    with app.app_context():
        assert current().voice.redirect_limit == 2
    assert app.config["VOICE_REDIRECT_LIMIT"] == 2


def test_writing_app_config_revalidates_the_typed_model(app, monkeypatch):
    """Tests set app.config["X"] after the app is built: the typed model follows, both ways."""
    from server.config import current
    with app.app_context():
        before = current().voice.turn_limit
        with monkeypatch.context() as patch:
            patch.setitem(app.config, "VOICE_TURN_LIMIT", before + 3)
            patch.setitem(app.config, "HOST", "https://kesher.example/")
            assert current().voice.turn_limit == before + 3
            assert current().app.host == "https://kesher.example"
        assert current().voice.turn_limit == before and current().app.host == ""


def test_a_plain_dict_gives_defaults_for_what_it_does_not_name_not_the_environment(monkeypatch):
    from server.config import typed
    monkeypatch.setenv("ESPEAK_RATE", "99")
    config = typed({"ESPEAK_MODE": "RAW"})
    assert (config.espeak.mode, config.espeak.rate) == ("raw", 130)


def test_providers_receive_their_typed_group():
    from server.providers.tts import get_tts
    tts = get_tts({"TTS_PROVIDER": "google", "GOOGLE_TTS_VOICE": "he-IL-Standard-B", "PROVIDER_TIMEOUT": 4})
    assert (tts.name, tts.voice, tts.timeout) == ("google", "he-IL-Standard-B", 4.0)


def test_readme_documents_every_setting():
    from server.config import ENV_NAMES, REPO_ROOT
    readme = (REPO_ROOT / "README.md").read_text()
    assert [name for name in ENV_NAMES if f"`{name}`" not in readme] == []


@pytest.mark.parametrize("name, group, field", [("HOST", "app", "host"), ("OPENAI_BASE_URL", "openai", "base_url"),
                                                ("GOOGLE_TTS_BASE", "google", "tts_base"),
                                                ("REALTIME_RELAY_URL", "app", "realtime_relay_url")])
def test_a_base_url_loses_its_trailing_slash_so_joined_paths_have_one(name, group, field):
    from server.config import typed
    config = typed({name: "https://example.test/base/"})
    assert getattr(getattr(config, group), field) == "https://example.test/base"
