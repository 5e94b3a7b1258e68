"""Queue a background job by name: `enqueue("voice.summarize_call_task", call.id)`.

Services ask for work here and never import server/tasks/: the jobs call the services, so
the dependency points one way (tests/test_import_graph.py holds it). A name is
"<feature>.<task>", the task `<task>` of server/tasks/<feature>.py; its module is imported
when the job is first queued, which also registers it with huey in this process.
"""
from __future__ import annotations

import importlib

JOBS = frozenset({
    "automations.campaign_batch_task",
    "automations.missed_call_task",
    "knowledge.extract_document_task",
    "privacy.build_export_task",
    "privacy.delete_remote_recordings_task",
    "voice.guard_turn",
    "voice.summarize_call_task",
    "voice.transcribe_message",
    "whatsapp.answer_inbound",
    "whatsapp.send_whatsapp",
    "whatsapp_media.fetch_media_task",
    "whatsapp_media.transcribe_media_task",
})


def task(name: str):
    """The huey task behind a job name (looked up at call time, so a test can replace it)."""
    if name not in JOBS:
        raise KeyError(f"unknown job {name!r}")
    feature, _, attr = name.partition(".")
    return getattr(importlib.import_module(f"server.tasks.{feature}"), attr)


def enqueue(name: str, *args, delay: float | None = None):
    """Run the job now (the queue's worker, or inline in immediate mode), or after `delay` seconds."""
    if delay is not None and delay > 0:
        return task(name).schedule(args, delay=delay)
    return task(name)(*args)
