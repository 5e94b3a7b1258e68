"""Apply Alembic migrations programmatically (app start, tests, `make run`)."""
from __future__ import annotations

from flask_migrate import upgrade


def upgrade_database() -> None:
    # "heads": features may add migrations on parallel branches off the same parent;
    # upgrading every head applies them all.
    upgrade(revision="heads")
