from server.app_factory import create_app
from server.tests.conftest import make_test_config


def test_health_checks_the_database(client):
    r = client.get("/health")
    assert r.status_code == 200
    assert r.get_json() == {"status": "ok", "database": "ok"}


def test_health_is_503_when_the_database_is_unreachable():
    # Port 1 on loopback: nothing listens, so the connection is refused at once.
    app = create_app(make_test_config(SQLALCHEMY_DATABASE_URI="postgresql+psycopg://nobody@127.0.0.1:1/none",
                                 SQLALCHEMY_ENGINE_OPTIONS={"connect_args": {"connect_timeout": 2}}))
    r = app.test_client().get("/health")
    assert r.status_code == 503
    assert r.get_json()["status"] == "error"
