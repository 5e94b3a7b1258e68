"""Background jobs (huey). A job takes ids, never ORM objects, and runs in an app context.

Feature modules declare their tasks in `server/tasks/<feature>.py`; TASK_MODULES lists
them so the worker imports (and so registers) every one.
"""
from __future__ import annotations

import functools
import importlib

from flask import current_app, has_app_context

from server.extensions import huey

TASK_MODULES: tuple[str, ...] = (
    "server.tasks.appointments",
    "server.tasks.automations",
    "server.tasks.knowledge",
    "server.tasks.privacy",
    "server.tasks.whatsapp",
    "server.tasks.whatsapp_media",
    "server.tasks.voice",
)

_worker_app = None


def _app():
    global _worker_app
    if _worker_app is None:
        from server.app_factory import create_app
        _worker_app = create_app()
    return _worker_app


def in_app_context(fn):
    """Run a job inside the app: the caller's when there is one (immediate mode), else the worker's."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        if has_app_context():
            return fn(*args, **kwargs)
        with _app().app_context():
            return fn(*args, **kwargs)
    return wrapper


def load_task_modules() -> None:
    for name in TASK_MODULES:
        importlib.import_module(name)


__all__ = ["huey", "in_app_context", "load_task_modules", "current_app"]
