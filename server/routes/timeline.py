"""GET /api/customers/<id>/timeline — the seed's list of {"type", "at", "data"}, newest first."""
from __future__ import annotations

from urllib.parse import urlencode

from flask import Blueprint, jsonify, request
from pydantic import BaseModel, ConfigDict, Field

from server.authz import auth_required, scoped_business_id
from server.schemas.fields import BusinessIdParam
from server.schemas.timeline import Timeline
from server.services import timeline as timeline_service
from server.services.records import scoped_customer
from server.validation import validate

timeline_bp = Blueprint("timeline", __name__, url_prefix="/api/customers")
NEXT_CURSOR_HEADER = "X-Next-Cursor"


class TimelineQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    types: str | list[str] | None = Field(None, description="comma-separated: call,whatsapp,task,invoice,contract")
    limit: int = Field(timeline_service.DEFAULT_LIMIT, ge=1, le=timeline_service.MAX_LIMIT)
    before: str | None = Field(None, description="X-Next-Cursor of the previous page, or an ISO 8601 time with zone")
    business_id: BusinessIdParam = None


@timeline_bp.get("/<int:cid>/timeline")
@auth_required
@validate(query=TimelineQuery, response=Timeline, tags=["timeline"])
def customer_timeline(cid: int, query: TimelineQuery):
    """The customer's calls, WhatsApp messages, tasks, invoices and contracts, newest first.

    Undated records come first; the next page's cursor travels in X-Next-Cursor (and Link).
    """
    customer = scoped_customer(scoped_business_id(query.business_id, required=False), cid)
    items, next_cursor = timeline_service.customer_timeline(
        customer, types=timeline_service.parse_types(query.types), limit=query.limit,
        before=timeline_service.parse_before(query.before))
    response = jsonify(items)
    if next_cursor:
        params = [(k, v) for k, v in request.args.items(multi=True) if k != "before"] + [("before", next_cursor)]
        response.headers[NEXT_CURSOR_HEADER] = next_cursor
        response.headers["Link"] = f'<{request.path}?{urlencode(params)}>; rel="next"'
    return response, 200
