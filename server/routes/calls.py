from __future__ import annotations

from flask import Blueprint, jsonify
from pydantic import BaseModel, Field

from server.authz import auth_required, scoped_business_id
from server.services import calls as calls_service
from server.validation import validate

calls_bp = Blueprint("calls", __name__, url_prefix="/api/calls")


class CallsQuery(BaseModel):
    business_id: int | None = None
    customer_id: int | None = None
    page: int = Field(default=1, ge=1)
    limit: int = Field(default=25, ge=1, le=100)


@calls_bp.get("")
@auth_required
@validate(query=CallsQuery)
def list_calls(query: CallsQuery):
    """The calls log, newest first, with each call's turns (transcript, reply, audio) and
    the caller's customer name. A platform admin without business_id sees every business."""
    business_id = scoped_business_id(query.business_id, required=False)
    return jsonify(calls_service.list_calls(business_id, query.page, query.limit, query.customer_id)), 200
