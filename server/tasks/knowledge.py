"""Knowledge jobs: read an uploaded document into passages; re-queue the ones a killed
worker left pending."""
from __future__ import annotations

from huey import crontab

from server.tasks import huey, in_app_context


@huey.task()
@in_app_context
def extract_document_task(document_id: int):
    from server.services.knowledge.documents import extract_document
    return extract_document(document_id)


@huey.periodic_task(crontab(minute="*/5"))
@in_app_context
def sweep_documents_task():
    from server.services.knowledge.documents import sweep_pending
    return sweep_pending()
