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


def test_a_connection_lost_while_closing_the_session_keeps_the_answer(tmp_path, monkeypatch):
    """PostgreSQL restarting between a view's commit and the request's end must not turn a 200 into a 500."""
    from sqlalchemy.exc import OperationalError
    from sqlalchemy.orm import Session

    app = create_app(make_test_config(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'closing.db'}"))
    real_close, failures = Session.close, []

    def close_on_a_dead_connection(self):
        if not failures:
            failures.append(1)
            raise OperationalError("ROLLBACK", {}, Exception("server closed the connection unexpectedly"))
        return real_close(self)

    monkeypatch.setattr(Session, "close", close_on_a_dead_connection)
    client = app.test_client()  # no app context pushed: each request tears its own down
    assert client.get("/health").status_code == 200
    assert failures == [1]
    assert client.get("/health").status_code == 200  # and the next request has a working session
