"""Privacy jobs: build a customer's export ZIP (and re-queue lost builds); the nightly
retention purge."""
from __future__ import annotations

from huey import crontab

from server.tasks import huey, in_app_context


@huey.task()
@in_app_context
def build_export_task(export_id: int):
    from server.services.privacy.export import build_export
    export = build_export(export_id)
    return export.status if export is not None else None


@huey.periodic_task(crontab(minute="*/5"))
@in_app_context
def sweep_exports_task():
    """huey does not acknowledge tasks: re-queue export builds a killed worker lost."""
    from server.services.privacy.export import sweep_stuck_exports
    return sweep_stuck_exports()


@huey.task()
@in_app_context
def delete_remote_recordings_task(business_id: int | None, customer_id: int | None, urls: list[str]):
    """After an erasure or a retention purge: delete the caller recordings Twilio still
    holds (the outcome is audited)."""
    from server.services.privacy.erasure import delete_remote_recordings
    return delete_remote_recordings(business_id, customer_id, urls)


@huey.periodic_task(crontab(minute="17", hour="2"))
@in_app_context
def retention_purge_task():
    """Nightly: purge what each business's retention settings say has expired."""
    from server.services.privacy.retention import purge_all
    results = purge_all()
    return {str(k): v for k, v in results.items()}
