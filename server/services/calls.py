"""The calls log: a business's calls, newest first, with their turns and the caller's name."""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from server.extensions import db
from server.models import CallLog
from server.services.customers import customer_names


def list_calls(business_id: int | None, page: int, limit: int, customer_id: int | None = None) -> dict:
    """One page of calls; business_id None means every business (a platform admin)."""
    query = select(CallLog)
    if business_id is not None:
        query = query.where(CallLog.business_id == business_id)
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
