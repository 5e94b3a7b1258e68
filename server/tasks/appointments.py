"""Appointment jobs: send one reminder (by appointment id), and the sweep that finds them.

huey does not acknowledge tasks, so a worker killed mid-job loses it. The appointment row is
the source of truth: every minute (and when a worker starts) the sweep schedules a send job for
each reminder coming due. Extra jobs are harmless: a reminder needs a compare-and-set claim on
the row (services/appointments/reminders.py), taken in the transaction that queues the message.
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
def send_reminder(appointment_id: int) -> int | None:
    from server.services.appointments.reminders import send_reminder as send
    return send(appointment_id)


@huey.periodic_task(crontab(minute="*"))
@in_app_context
def sweep_reminders() -> int:
    from server.services.appointments.reminders import due_reminders
    due = due_reminders()
    for appointment_id, eta in due:
        enqueue_reminder(appointment_id, eta)
    if due:
        log.info("reminder sweep: %d reminder(s) scheduled", len(due))
    return len(due)


@huey.task()
@in_app_context
def send_notice(appointment_id: int) -> int | None:
    from server.services.appointments.reminders import send_notice as send
    return send(appointment_id)


@huey.periodic_task(crontab(minute="*"))
@in_app_context
def sweep_notices() -> int:
    """Booking notices a web process did not queue because it died right after the commit."""
    from server.services.appointments.reminders import pending_notices
    ids = pending_notices()
    for appointment_id in ids:
        send_notice(appointment_id)
    if ids:
        log.warning("notice sweep: %d notice(s) left pending by a request, queued now", len(ids))
    return len(ids)


def enqueue_reminder(appointment_id: int, eta: datetime | None = None) -> None:
    delay = (eta - utcnow()).total_seconds() if eta is not None else 0
    if delay > 0:
        send_reminder.schedule((appointment_id,), delay=delay)
    else:
        send_reminder(appointment_id)
