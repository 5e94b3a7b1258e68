"""The calls log: a business's calls, newest first, with their turns and the caller's name;
and a call's recording, fetched from the provider for the browser."""
from __future__ import annotations

import logging

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from server.config import KesherConfig
from server.error_codes import ErrorCode
from server.errors import AppError, NotFound
from server.extensions import db
from server.models import CallLog
from server.providers.errors import ProviderError
from server.providers.recordings import download_recording
from server.services.customers.crud import customer_names
from server.tenancy import BusinessScope, in_scope, scope_filter

log = logging.getLogger(__name__)


def call_recording(business_id: BusinessScope, call_id: int, config: KesherConfig) -> tuple[bytes, str]:
    """The recording's audio and its MIME type. A call outside the scope is a 404 like a
    missing one."""
    call = db.session.get(CallLog, call_id)
    if call is None or not in_scope(business_id, call.business_id):
        raise NotFound()
    if not call.recording_url:
        raise NotFound("no recording", code=ErrorCode.RECORDING_NOT_FOUND)
    try:
        audio = download_recording(call.recording_url, config)
    except ProviderError as exc:
        # One answer for every failure — a URL the policy refused (never connected), a
        # host that did not answer, a provider error: a status that differed by cause
        # would let whoever planted the URL map which local ports are open. The log
        # keeps the cause for the operator.
        log.warning("call %s: recording not fetched: %s", call.call_sid, exc.reason)
        raise AppError("recording unavailable", status_code=502, code=ErrorCode.RECORDING_UNAVAILABLE) from None
    mimetype = "audio/wav" if call.recording_url.lower().endswith(".wav") or audio[:4] == b"RIFF" else "audio/mpeg"
    return audio, mimetype


def list_calls(business_id: BusinessScope, page: int, limit: int, customer_id: int | None = None) -> dict:
    """One page of calls, of every business under ALL_BUSINESSES (a platform admin)."""
    query = select(CallLog).where(scope_filter(CallLog.business_id, business_id))
    if customer_id is not None:
        query = query.where(CallLog.customer_id == customer_id)
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    calls = db.session.scalars(
        query.options(selectinload(CallLog.turns))
        .order_by(CallLog.started_at.desc(), CallLog.id.desc())
        .limit(limit).offset((page - 1) * limit)
    ).all()
    names = customer_names(c.customer_id for c in calls)
    items = []
    for call in calls:
        data = call.to_dict()
        data["customer_name"] = names.get(call.customer_id)
        items.append(data)
    return {"page": page, "limit": limit, "total": total, "items": items}
