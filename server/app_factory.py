"""create_app(config=None): config → extensions → blueprints → errors → logging."""
from __future__ import annotations

import logging
import os

from flask import Flask
from sqlalchemy import event
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.engine import Engine
from werkzeug.middleware.proxy_fix import ProxyFix

from server.config import KesherFlaskConfig, flask_settings, load, secret_values
from server.extensions import db, limiter, migrate, socketio
from server.json_input import KesherRequest
from server.logging_setup import setup_logging
from server.sqlite_locking import begin_sqlite_transaction

MIGRATIONS_DIR = os.path.join(os.path.dirname(__file__), "migrations")


def _sqlite_pragmas(dbapi_connection, connection_record):
    """WAL lets the worker write while the web reads; foreign keys are off by default in SQLite."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


class KesherFlask(Flask):
    config_class = KesherFlaskConfig  # app.config keeps the typed model (server.config.current())


def create_app(config: dict | None = None) -> Flask:
    """config: overrides by environment variable name (tests), e.g. {"VOICE_TURN_LIMIT": 3}."""
    typed = load(config)
    app = KesherFlask(__name__, static_folder=None, instance_path=typed.app.instance_dir)
    app.request_class = KesherRequest  # request JSON: no deep nesting, no text the database refuses
    app.config.update(flask_settings(typed, config))
    app.config.typed = typed
    os.makedirs(app.instance_path, exist_ok=True)

    setup_logging(typed.app.log_dir, typed.app.log_level, secret_values(typed))

    if typed.web.trusted_proxies:
        n = typed.web.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n, x_port=n, x_prefix=n)

    db.init_app(app)
    with app.app_context():
        if db.engine.dialect.name == "sqlite" and not event.contains(db.engine, "connect", _sqlite_pragmas):
            event.listen(db.engine, "connect", _sqlite_pragmas)
            event.listen(db.engine, "begin", begin_sqlite_transaction)
            db.engine.dispose()  # connections opened before the listener lack the pragmas
    migrate.init_app(app, db, directory=MIGRATIONS_DIR, render_as_batch=True)
    limiter.init_app(app)
    from server.services.realtime import client_manager
    socketio.init_app(app, message_queue=typed.app.redis_url, async_mode="threading",
                      client_manager=client_manager(typed.app.redis_url),
                      cors_allowed_origins=None, logger=False, engineio_logger=False)

    from server import models  # noqa: F401  (registers every table with the metadata)
    from server.authz import check_csrf
    from server.error_handlers import register_error_handlers
    from server.routes import register_blueprints
    from server.security_headers import register_security_headers
    from server.cli import register_cli

    app.before_request(check_csrf)
    register_blueprints(app)
    register_error_handlers(app)
    register_security_headers(app)
    register_cli(app)

    @app.teardown_appcontext
    def _remove_session(exc):
        try:
            db.session.remove()
        except SQLAlchemyError as error:
            # The connection died after the view answered (PostgreSQL restarting): the answer
            # stands — what it acknowledged was committed — and the dead connection has been
            # invalidated. Raising here would turn that answer into the server's bare 500.
            logging.getLogger(__name__).warning("database connection lost while closing the session: %s",
                                                error.__class__.__name__)
            db.session.registry.clear()  # the next request gets a fresh session

    logging.getLogger(__name__).info("Kesher app created (env=%s, database=%s)", typed.app.env,
                                     typed.app.database_url.split(":", 1)[0])
    return app
