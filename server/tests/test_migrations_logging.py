import logging

from server.db_migrate import upgrade_database
from server.logging_setup import MaskingFilter


def test_running_migrations_keeps_the_masking_log_handlers(app):
    """Alembic's env.py must not replace the app's handlers (and their secret filter)."""
    with app.app_context():
        upgrade_database()
    root = logging.getLogger()
    ours = [h for h in root.handlers if getattr(h, "_kesher", False)]
    assert ours, "the app's log handlers were removed by the migration run"
    assert all(any(isinstance(f, MaskingFilter) for f in h.filters) for h in ours)
    assert not logging.getLogger("server.services").disabled
    assert root.level <= logging.INFO
