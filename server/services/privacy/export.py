"""Export of one customer's data: a ZIP built by a background job, with progress, that an
admin downloads through an expiring signed link.

The ZIP holds manifest.json, customer.json, calls.json (with turns and transcripts),
whatsapp.json, tasks.json, invoices.json, contracts.json, appointments.json and audio/ (the agent's reply
audio from MEDIA_DIR and the caller recordings). Anything that could not be included is
listed in manifest.json's "missing" with the reason: never silently left out.

huey does not acknowledge tasks, so a worker killed mid-build loses the job: the row is
the source of truth. The build claims it (queued → running) and touches it at every step;
a periodic sweep puts an export idle longer than EXPORT_STUCK_MINUTES back in the queue,
and fails it once it was lost EXPORT_MAX_REQUEUES times.
"""
from __future__ import annotations

import json
import logging
import os
import secrets
import zipfile
from datetime import timedelta
from pathlib import Path

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select, update

from server import jobs
from server.config import current
from server.error_codes import ErrorCode
from server.errors import AppError, Forbidden, NotFound
from server.extensions import db
from server.models import Business, DataExport
from server.models.base import iso, utcnow
from server.services import audit
from server.services.customers.crud import get_customer
from server.services.privacy import media, scope
from server.services.realtime import publish
from server.services.timeline import appointment_data
from server.services.whatsapp_media import export_files
from server.tenancy import BusinessScope, in_scope

log = logging.getLogger(__name__)

_SALT = "kesher.export-download"
OPEN_STATUSES = ("queued", "running")


class Gone(AppError):
    status_code = 410
    message = "gone"
    code = ErrorCode.GONE


def export_dir() -> Path:
    path = Path(current().export.dir)
    path.mkdir(parents=True, exist_ok=True)
    return path


def get_export(business_id: BusinessScope, export_id: int) -> DataExport:
    export = db.session.get(DataExport, export_id)
    if export is None or not in_scope(business_id, export.business_id):
        raise NotFound("export not found", code=ErrorCode.EXPORT_NOT_FOUND)
    return export


def list_exports(business_id: BusinessScope, customer_id: int) -> list[DataExport]:
    customer = get_customer(business_id, customer_id)
    return db.session.scalars(select(DataExport).where(DataExport.business_id == customer.business_id,
                                                       DataExport.customer_id == customer.id)
                              .order_by(DataExport.id.desc())).all()


def request_export(business_id: BusinessScope, customer_id: int, requested_by_user_id: int | None) -> DataExport:
    """Create the export job (audited) and queue the build."""
    customer = get_customer(business_id, customer_id)
    export = DataExport(business_id=customer.business_id, customer_id=customer.id,
                        requested_by_user_id=requested_by_user_id, status="queued", progress=0,
                        step="queued", summary={})
    db.session.add(export)
    db.session.flush()
    audit.record("export", "customer", customer.id, business_id=customer.business_id,
                 details={"export_id": export.id, "stage": "requested"})
    db.session.commit()
    try:
        jobs.enqueue("privacy.build_export_task", export.id)
    except Exception as exc:  # noqa: BLE001 - a queue outage is shown on the export, not lost
        log.error("export %s could not be queued (%s)", export.id, exc.__class__.__name__)
        db.session.rollback()
        export = db.session.get(DataExport, export.id)
        export.status, export.error, export.step = "failed", "queue unavailable", "failed"
        db.session.commit()
        return export
    db.session.refresh(export)
    return export


def _progress(export: DataExport, progress: int, step: str) -> None:
    export.progress = progress
    export.step = step
    export.updated_at = utcnow()  # a heartbeat: the stuck-export sweep leaves a live build alone
    db.session.commit()
    publish(export.business_id, "export.updated", export.to_dict())


def _json(data) -> bytes:
    return json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8")


def build_export(export_id: int) -> DataExport | None:
    """The job: gather, write the ZIP atomically, record what went in. Never raises."""
    now = utcnow()
    # Only one build per export: a duplicate job (the sweep's and a late original) finds it running.
    claimed = db.session.execute(update(DataExport).where(DataExport.id == export_id, DataExport.status == "queued")
                                 .values(status="running", started_at=now, updated_at=now)).rowcount == 1
    db.session.commit()
    export = db.session.get(DataExport, export_id)
    if not claimed or export is None:
        return export
    _progress(export, 5, "collecting")
    name = f"{secrets.token_hex(16)}.zip"
    target = export_dir() / name
    tmp = target.with_name(f".{name}.part")
    try:
        summary = _write_zip(export, tmp)
        os.replace(tmp, target)
    except Exception as exc:  # noqa: BLE001 - the job records the failure instead of vanishing
        db.session.rollback()
        tmp.unlink(missing_ok=True)
        log.exception("export %s failed", export_id)
        export = db.session.get(DataExport, export_id)
        export.status = "failed"
        export.error = exc.__class__.__name__
        export.finished_at = utcnow()
        _progress(export, export.progress, "failed")
        return export
    export.status = "done"
    export.file_name = name
    export.size_bytes = target.stat().st_size
    export.summary = summary
    export.finished_at = utcnow()
    export.expires_at = export.finished_at + timedelta(hours=current().export.retention_hours)
    audit.record("export", "customer", export.customer_id, business_id=export.business_id,
                 actor=_requester(export),
                 details={"export_id": export.id, "stage": "built", "size_bytes": export.size_bytes,
                          **{k: v for k, v in summary.items() if k != "missing"},
                          "missing_files": len(summary.get("missing", []))})
    _progress(export, 100, "done")
    log.info("export %s built: %s bytes", export.id, export.size_bytes)
    return export


def sweep_stuck_exports(now=None) -> dict:
    """Re-queue exports whose build was lost (idle in queued/running longer than
    EXPORT_STUCK_MINUTES); fail one lost more than EXPORT_MAX_REQUEUES times."""
    now = now or utcnow()
    export_config = current().export
    cutoff = now - timedelta(minutes=export_config.stuck_minutes)
    limit = export_config.max_requeues
    stuck = db.session.execute(select(DataExport.id, DataExport.summary).where(
        DataExport.status.in_(OPEN_STATUSES), DataExport.updated_at < cutoff).order_by(DataExport.id)).all()
    db.session.commit()
    requeued, failed = [], []
    for export_id, summary in stuck:
        lost = int((summary or {}).get("requeued", 0))
        if lost >= limit:
            values = {"status": "failed", "step": "failed", "finished_at": now,
                      "error": f"build lost {lost + 1} times (worker stopped)"}
        else:
            values = {"status": "queued", "step": "queued", "progress": 0,
                      "summary": {**(summary or {}), "requeued": lost + 1}}
        # Still stuck when we write: a concurrent sweep or a late build leaves it alone.
        won = db.session.execute(update(DataExport).where(
            DataExport.id == export_id, DataExport.status.in_(OPEN_STATUSES), DataExport.updated_at < cutoff)
            .values(updated_at=now, **values)).rowcount == 1
        db.session.commit()
        if won:
            (failed if values["status"] == "failed" else requeued).append(export_id)
    for export_id in failed:
        export = db.session.get(DataExport, export_id)
        log.error("export %s failed: its build was lost %s times", export_id,
                  (export.summary or {}).get("requeued", 0) + 1)
        publish(export.business_id, "export.updated", export.to_dict())
    for export_id in requeued:
        log.warning("export %s was stuck (its worker stopped); queued again", export_id)
        try:
            jobs.enqueue("privacy.build_export_task", export_id)
        except Exception as exc:  # noqa: BLE001 - still queued: the next sweep tries again
            db.session.rollback()
            log.error("export %s could not be queued (%s)", export_id, exc.__class__.__name__)
    return {"requeued": requeued, "failed": failed}


def _requester(export: DataExport):
    from server.models import User
    user = db.session.get(User, export.requested_by_user_id) if export.requested_by_user_id else None
    return user if user is not None else audit.Actor(role="system", business_id=export.business_id)


def _write_zip(export: DataExport, path: Path) -> dict:
    from server.providers.errors import ProviderError
    from server.providers.recordings import download_recording

    config = current()
    customer = get_customer(export.business_id, export.customer_id)
    data = scope.collect(customer)
    business = db.session.get(Business, export.business_id)
    local, remote = media.call_audio(data.calls, config.app.media_dir)
    message_files = export_files(data.messages)
    summary = {"calls": len(data.calls), "turns": sum(len(c.turns) for c in data.calls),
               "whatsapp_messages": len(data.messages), "tasks": len(data.tasks),
               "invoices": len(data.invoices), "contracts": len(data.contracts), "appointments": len(data.appointments), "audio_files": 0}
    missing: list[dict] = []
    files: list[str] = []
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        def put(arcname: str, payload: bytes, compress: bool = True):
            zf.writestr(arcname, payload, compress_type=zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED)
            files.append(arcname)

        put("customer.json", _json(customer.to_dict()))
        put("calls.json", _json([c.to_dict(with_turns=True) for c in data.calls]))
        _progress(export, 25, "calls")
        put("whatsapp.json", _json([m.to_dict() for m in data.messages]))
        _progress(export, 40, "messages")
        put("tasks.json", _json([t.to_dict() for t in data.tasks]))
        put("invoices.json", _json([i.to_dict() for i in data.invoices]))
        put("contracts.json", _json([k.to_dict() for k in data.contracts]))
        put("appointments.json", _json([appointment_data(a) for a in data.appointments]))
        _progress(export, 50, "audio")
        total = len(local) + len(remote) or 1
        done = 0
        for arcname, file_path in local:
            try:
                put(arcname, file_path.read_bytes(), compress=False)  # audio is already compressed
                summary["audio_files"] += 1
            except OSError as exc:
                missing.append({"file": arcname, "reason": f"not on disk ({exc.__class__.__name__})"})
            done += 1
            _progress(export, 50 + int(45 * done / total), "audio")
        for arcname, url in remote:
            try:
                audio = download_recording(url, config)
                put(arcname + ".mp3", audio, compress=False)
                summary["audio_files"] += 1
            except ProviderError as exc:
                missing.append({"file": arcname + ".mp3", "reason": exc.reason})
            done += 1
            _progress(export, 50 + int(45 * done / total), "audio")
        for arcname, file_path in message_files:
            try:
                put(arcname, file_path.read_bytes(), compress=False)
                summary["media_files"] = summary.get("media_files", 0) + 1
            except OSError as exc:
                missing.append({"file": arcname, "reason": f"not on disk ({exc.__class__.__name__})"})
        manifest = {
            "export_id": export.id, "generated_at": iso(utcnow()),
            "business": {"id": business.id, "name": business.name} if business else None,
            "customer_id": customer.id, "counts": summary, "files": files, "missing": missing,
        }
        put("manifest.json", _json(manifest))
    return {**summary, "missing": missing}


# ---- the download link -------------------------------------------------------------------

def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current().app.secret_key, salt=_SALT)


def download_token(export: DataExport) -> str:
    return _serializer().dumps({"e": export.id, "b": export.business_id})


def download_url(export: DataExport) -> str | None:
    if export.status != "done":
        return None
    return f"/api/crm/exports/{export.id}/download?token={download_token(export)}"


def open_download(business_id: BusinessScope, export_id: int, token: str) -> tuple[Path, str]:
    """The ZIP's path and download name, for a valid unexpired link (audited)."""
    export = get_export(business_id, export_id)
    try:
        data = _serializer().loads(token or "", max_age=current().export.link_ttl_seconds)
    except SignatureExpired:
        raise Gone("link expired", code=ErrorCode.LINK_EXPIRED) from None
    except BadSignature:
        raise Forbidden("invalid link", code=ErrorCode.INVALID_LINK) from None
    if data != {"e": export.id, "b": export.business_id}:
        raise Forbidden("invalid link", code=ErrorCode.INVALID_LINK)
    if export.status in ("expired", "erased") or (export.expires_at and export.expires_at <= utcnow()):
        raise Gone("export expired", code=ErrorCode.EXPORT_EXPIRED)
    if export.status != "done" or not export.file_name:
        raise AppError("export not ready", status_code=409, code=ErrorCode.EXPORT_NOT_READY)
    path = export_dir() / export.file_name
    if not path.is_file():
        raise Gone("export expired", code=ErrorCode.EXPORT_EXPIRED)
    audit.record("export_download", "customer", export.customer_id, business_id=export.business_id,
                 details={"export_id": export.id})
    db.session.commit()
    return path, f"customer-{export.customer_id}-export-{export.id}.zip"


def purge_expired_exports(now=None) -> int:
    """Delete ZIPs past their expiry; the rows stay (status "expired") for the record."""
    now = now or utcnow()
    expired = db.session.scalars(select(DataExport).where(DataExport.status == "done",
                                                          DataExport.expires_at <= now)).all()
    for export in expired:
        if export.file_name:
            (export_dir() / export.file_name).unlink(missing_ok=True)
        export.status = "expired"
        export.file_name = None
    db.session.commit()
    return len(expired)
