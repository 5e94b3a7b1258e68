"""Extension singletons. Imports no app and no models, so anything may import it."""
from __future__ import annotations

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_migrate import Migrate
from flask_socketio import SocketIO
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

# Named constraints so Alembic migrations are deterministic on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
limiter = Limiter(key_func=get_remote_address, default_limits=[])
socketio = SocketIO()


def _make_huey():
    """The job queue: Redis when REDIS_URL is set, else huey's SQLite storage (embedded).

    Built at import time because huey binds tasks to the instance when they are declared;
    only the environment (never the app) decides the storage.
    """
    import os
    from pathlib import Path

    from huey import RedisHuey, SqliteHuey

    redis_url = os.environ.get("REDIS_URL")
    if redis_url:
        return RedisHuey("kesher", url=redis_url)
    path = os.environ.get("HUEY_SQLITE_PATH") or str(Path(__file__).resolve().parent.parent / "instance" / "huey.db")
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    return SqliteHuey("kesher", filename=path)


huey = _make_huey()
