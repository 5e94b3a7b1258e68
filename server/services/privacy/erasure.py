"""Erasure of one customer's personal data, everywhere it lives, in one transaction.

Removed: the customer's name, phone, email and notes; call transcripts, replies,
summaries, recording and audio links, and the audio files under MEDIA_DIR; WhatsApp
bodies, template variables, the person's number, and its media (files deleted, transcripts
and file names cleared; see services/whatsapp_media.erase_media) (a message still waiting to be sent
is failed with error "erased", so no worker sends it or retries it forever); the free text of their tasks and
contracts; draft invoices; their exports (ZIP files included).

Kept, because the law requires a business to keep them: issued invoices with their
numbers, amounts, VAT, allocation number, tax id and the name they were issued to
(`bill_to_name`, filled from the customer first if it was empty). Dates, statuses and
amounts of calls, tasks and contracts stay too: they are not about the person once the
person is gone.

The audit entry says what was erased (counts, field names, the reason) — never the data.
"""
from __future__ import annotations

import logging
import re

from sqlalchemy import delete, select

from server import jobs
from server.config import current
from server.error_codes import ErrorCode
from server.errors import Conflict, FieldError, ValidationFailed
from server.extensions import db
from server.models import AuditEntry, Business, Conversation, DataExport
from server.services import audit
from server.services.customers.crud import get_customer
from server.services.privacy import media, scope
from server.services.realtime import publish
from server.services.whatsapp import OPEN_STATUSES
from server.services.whatsapp_media import erase_media
from server.tenancy import BusinessScope

log = logging.getLogger(__name__)

ERASED_NAME = "לקוח שנמחק"
ERASED_TEXT = "[נמחק]"
KEPT_INVOICE_STATUSES = ("issued", "paid", "cancelled")


def is_erased(customer) -> bool:
    return db.session.scalar(select(AuditEntry.id).where(
        AuditEntry.action == "erase", AuditEntry.entity_type == "customer",
        AuditEntry.entity_id == customer.id, AuditEntry.business_id == customer.business_id).limit(1)) is not None


def _scrub(text: str, customer) -> str:
    """The reason without the person's name, phone or email, should the admin have typed them."""
    secrets = [customer.name or "", customer.email or "", *scope.phone_variants(customer.phone)]
    secrets += [part for part in (customer.name or "").split() if len(part) >= 2]
    for value in sorted({s for s in secrets if s}, key=len, reverse=True):
        text = re.sub(re.escape(value), "***", text, flags=re.IGNORECASE)
    return text


def erase_customer(business_id: BusinessScope, customer_id: int, reason: str) -> dict:
    reason = (reason or "").strip()
    if len(reason) < 3:
        raise ValidationFailed({"reason": FieldError(ErrorCode.REASON_REQUIRED, "a reason is required")})
    customer = get_customer(business_id, customer_id)
    if is_erased(customer):
        raise Conflict("customer already erased", code=ErrorCode.CUSTOMER_ALREADY_ERASED)
    data = scope.collect(customer)
    # The business's own number stays on the row (in whatever shape it was stored): it is
    # not the person's, and the row still counts as a call or message the business had.
    business_numbers = scope.business_numbers(db.session.get(Business, customer.business_id))
    counts = {"calls": 0, "turns": 0, "whatsapp_messages": 0, "whatsapp_cancelled": 0, "tasks": 0, "contracts": 0, "appointments": 0,
              "draft_invoices_deleted": 0, "invoices_kept": 0, "exports": 0, "audio_files": 0}

    local_files, remote_recordings = media.call_audio(data.calls, current().app.media_dir)

    for call in data.calls:
        counts["calls"] += 1
        if call.from_number not in business_numbers:
            call.from_number = None
        if call.to_number not in business_numbers:
            call.to_number = None
        call.recording_url = None
        call.summary = None
        call.state = {}
        for turn in call.turns:
            counts["turns"] += 1
            turn.transcript = None
            turn.reply = None
            turn.recording_url = None
            turn.audio_url = None
            turn.tool_calls = []

    for message in data.messages:
        counts["whatsapp_messages"] += 1
        if message.direction == "outbound" and message.status in OPEN_STATUSES:
            # Still waiting to be sent: it must never go out now, nor wait in the queue forever.
            message.status = "failed"
            message.next_attempt_at = None
            message.error_code = "erased"
            message.error = "erased"
            counts["whatsapp_cancelled"] += 1
        else:
            message.error = None
        message.body = None
        message.template_variables = None
        # Media the person sent (links to their photos, voice notes) goes with the text.
        message.flags = {k: v for k, v in (message.flags or {}).items() if k != "media"}
        if message.from_number not in business_numbers:
            message.from_number = None
        if message.to_number not in business_numbers:
            message.to_number = None

    # The agent's conversation state (a half-made booking, who answers) goes with the person.
    db.session.execute(delete(Conversation).where(Conversation.business_id == customer.business_id,
                                                  Conversation.customer_id == customer.id))

    for task in data.tasks:
        counts["tasks"] += 1
        task.title = ERASED_TEXT
        task.description = None

    for contract in data.contracts:
        counts["contracts"] += 1
        contract.title = ERASED_TEXT
        contract.notes = None

    for appointment in data.appointments:
        # The time, service and status stay (the calendar's history, the no-show rate); the
        # free text may be about the person.
        counts["appointments"] += 1
        appointment.notes = None

    for invoice in data.invoices:
        if invoice.number is None and invoice.status == "draft":
            db.session.delete(invoice)
            counts["draft_invoices_deleted"] += 1
        else:
            # The invoice keeps the name it was issued to, as the law requires.
            if not invoice.bill_to_name:
                invoice.bill_to_name = customer.name
            counts["invoices_kept"] += 1

    export_files = []
    for export in db.session.scalars(select(DataExport).where(DataExport.business_id == customer.business_id,
                                                              DataExport.customer_id == customer.id)):
        counts["exports"] += 1
        if export.file_name:
            export_files.append(export.file_name)
        export.file_name = None
        export.status = "erased"
        export.summary = {}

    erased_fields = [f for f in ("name", "phone", "email", "notes") if getattr(customer, f)]
    scrubbed_reason = _scrub(reason, customer)
    customer.name = ERASED_NAME
    customer.phone = None
    customer.email = None
    customer.notes = None
    customer.search_text = ""
    db.session.flush()  # constraint problems surface before any file is touched
    # Voice notes, photos and documents the person sent or was sent, with their transcripts.
    media_counts = erase_media(data.messages)
    counts["whatsapp_media"] = media_counts["media"]
    counts["media_files"] = media_counts["media_files"]

    # Files go before the commit: if the commit then fails, the retry erases the rest;
    # the other order could leave audio of an "erased" person on disk.
    from server.services.privacy.export import export_dir
    failed_files = 0
    for _, path in local_files:
        try:
            path.unlink(missing_ok=True)
            counts["audio_files"] += 1
        except OSError as exc:
            failed_files += 1
            log.warning("erasure: could not delete an audio file (%s)", exc.__class__.__name__)
    for name in export_files:
        (export_dir() / name).unlink(missing_ok=True)

    details = {"reason": scrubbed_reason, "customer_fields": erased_fields, "erased": counts,
               "remote_recordings": len(remote_recordings)}
    if failed_files:
        details["audio_files_failed"] = failed_files
    if media_counts["media_files_failed"]:
        details["media_files_failed"] = media_counts["media_files_failed"]
    audit.record("erase", "customer", customer.id, business_id=customer.business_id, details=details)
    db.session.commit()

    _compact_search_index()
    if remote_recordings:
        jobs.enqueue("privacy.delete_remote_recordings_task", customer.business_id, customer.id,
                     [url for _, url in remote_recordings])
    publish(customer.business_id, "customer.erased", {"id": customer.id})
    log.info("customer %s of business %s erased", customer.id, customer.business_id)
    return {"customer": customer.to_dict(), "erased": counts, "audio_files_failed": failed_files,
            "remote_recordings_queued": len(remote_recordings)}


def _compact_search_index() -> None:
    """SQLite's FTS5 index keeps a deleted row's terms in old segments until they merge:
    merge them now, so the erased name and phone leave the index file as well."""
    from sqlalchemy import text
    if db.engine.dialect.name != "sqlite":
        return
    if db.session.execute(text("SELECT 1 FROM sqlite_master WHERE name = 'customer_fts'")).first() is None:
        return
    db.session.execute(text("INSERT INTO customer_fts(customer_fts) VALUES ('optimize')"))
    db.session.commit()


def delete_remote_recordings(business_id: int | None, customer_id: int | None, urls: list[str]) -> dict:
    """Delete recordings at Twilio; the outcome (counts and reasons, no URLs) is audited:
    as part of the customer's erasure, or (no customer) of the business's retention purge."""
    from server.providers.errors import ProviderError
    from server.providers.recording_deletion import delete_recording

    outcome = {"deleted": 0, "already_gone": 0, "failed": 0, "reasons": []}
    for url in urls:
        try:
            result = delete_recording(url, current())
            outcome["already_gone" if result == "already gone" else "deleted"] += 1
        except ProviderError as exc:
            outcome["failed"] += 1
            if exc.reason not in outcome["reasons"]:
                outcome["reasons"].append(exc.reason)
            log.warning("erasure: remote recording not deleted (%s)", exc.reason)
    with audit.acting_as(None):
        if customer_id is not None:
            audit.record("erase", "customer", customer_id, business_id=business_id,
                         details={"stage": "remote_recordings", **outcome})
        else:
            audit.record("retention_purge", "business" if business_id else None, business_id,
                         business_id=business_id, details={"stage": "remote_recordings", **outcome})
    db.session.commit()
    return outcome
