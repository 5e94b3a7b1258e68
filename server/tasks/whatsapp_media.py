"""WhatsApp media jobs: download one attachment, transcribe one voice note (by id), and a
sweep that re-queues what is due — retries, and jobs lost with a killed worker (huey does
not acknowledge tasks; the media row is the source of truth)."""
from __future__ import annotations

import logging

from huey import crontab

from server.tasks import huey, in_app_context

log = logging.getLogger(__name__)


@huey.task()
@in_app_context
def fetch_media_task(media_id: int) -> None:
    from server.services.whatsapp_media import attempt_fetch
    delay = attempt_fetch(media_id)
    if delay is not None:
        fetch_media_task.schedule((media_id,), delay=delay)


@huey.task()
@in_app_context
def transcribe_media_task(media_id: int):
    from server.services.whatsapp_media import transcribe
    return transcribe(media_id)


@huey.periodic_task(crontab(minute="*"))
@in_app_context
def sweep_whatsapp_media() -> int:
    from server.models.base import utcnow
    from server.services.whatsapp_media import due_media
    due = due_media()
    for media_id, eta in due["fetch"]:
        delay = (eta - utcnow()).total_seconds() if eta is not None else 0
        if delay > 0:
            fetch_media_task.schedule((media_id,), delay=delay)
        else:
            fetch_media_task(media_id)
    for media_id in due["transcribe"]:
        transcribe_media_task(media_id)
    count = len(due["fetch"]) + len(due["transcribe"])
    if count:
        log.info("whatsapp media sweep: %d download(s), %d transcription(s) queued", len(due["fetch"]),
                 len(due["transcribe"]))
    return count
