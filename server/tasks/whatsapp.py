"""WhatsApp jobs: send one message (by id), let the agent answer one inbound message, and
sweeps that re-enqueue the stuck ones of both.

huey does not acknowledge tasks, so a worker killed mid-task loses it. The message
row is the source of truth: every minute (and when a worker starts, since huey checks
periodic tasks at start-up) the sweep schedules a send job for each queued/sending
message coming due. Extra jobs are harmless: a send needs a compare-and-set claim on
the row, and a `sending` row is reconciled with the provider before any resend.
"""
from __future__ import annotations

import logging
from datetime import datetime

from huey import crontab

from server.models.base import utcnow
from server.tasks import huey, in_app_context

log = logging.getLogger(__name__)


@huey.task()
@in_app_context
def send_whatsapp(message_id: int) -> None:
    from server.services.whatsapp import attempt_send
    delay = attempt_send(message_id)
    if delay is not None:
        send_whatsapp.schedule((message_id,), delay=delay)


@huey.periodic_task(crontab(minute="*"))
@in_app_context
def sweep_whatsapp() -> int:
    from server.services.whatsapp import due_messages
    due = due_messages()
    for message_id, eta in due:
        enqueue_send(message_id, eta)
    if due:
        log.info("whatsapp sweep: %d queued/sending message(s) scheduled", len(due))
    return len(due)


def enqueue_send(message_id: int, eta: datetime | None = None) -> None:
    delay = (eta - utcnow()).total_seconds() if eta is not None else 0
    if delay > 0:
        send_whatsapp.schedule((message_id,), delay=delay)
    else:
        send_whatsapp(message_id)


@huey.task()
@in_app_context
def answer_inbound(message_id: int) -> str:
    from server.services.reception.whatsapp_agent import answer_inbound as answer
    return answer(message_id)


@huey.periodic_task(crontab(minute="*"))
@in_app_context
def sweep_answers() -> int:
    """Inbound messages whose answer job was lost with a worker (services/reception/whatsapp_agent.py)."""
    from server.services.reception.whatsapp_agent import due_answers
    due = due_answers()
    for message_id in due:
        answer_inbound(message_id)
    if due:
        log.info("whatsapp sweep: %d unanswered inbound message(s) scheduled for the agent", len(due))
    return len(due)
