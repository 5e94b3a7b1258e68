"""Automation jobs: the missed-call follow-up of an ended call; a campaign's send batches and
the sweep that re-queues a campaign a killed worker left idle (huey does not acknowledge tasks)."""
from __future__ import annotations

from huey import crontab

from server.tasks import huey, in_app_context


@huey.task()
@in_app_context
def missed_call_task(call_id: int) -> str:
    from server.services.automations.missed_call import handle_call_end
    return handle_call_end(call_id)


@huey.periodic_task(crontab(minute="*/5"))
@in_app_context
def sweep_missed_calls_task() -> int:
    """Redo the follow-up of recent call-ends whose job a killed worker lost."""
    from server.services.automations.missed_call import sweep
    return len(sweep())


@huey.task()
@in_app_context
def campaign_batch_task(campaign_id: int) -> int:
    from server.services.automations.campaigns import send_batch
    return send_batch(campaign_id)


@huey.periodic_task(crontab(minute="*"))
@in_app_context
def sweep_campaigns_task() -> int:
    from server.services.automations.campaigns import sweep
    return sweep()
