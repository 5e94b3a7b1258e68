from __future__ import annotations

import io

from flask import Blueprint, jsonify, send_file
from pydantic import BaseModel, Field

from server.authz import auth_required, scoped_business_id
from server.config import current
from server.schemas.calls import CallPage
from server.schemas.common import binary
from server.schemas.fields import BusinessIdParam
from server.services import calls as calls_service
from server.validation import validate

calls_bp = Blueprint("calls", __name__, url_prefix="/api/calls")


class CallsQuery(BaseModel):
    business_id: BusinessIdParam = None
    customer_id: int | None = None
    page: int = Field(default=1, ge=1)
    limit: int = Field(default=25, ge=1, le=100)


@calls_bp.get("")
@auth_required
@validate(query=CallsQuery, response=CallPage)
def list_calls(query: CallsQuery):
    """The calls log, newest first, with each call's turns (transcript, reply, audio) and
    the caller's customer name. A platform admin without business_id sees every business."""
    business_id = scoped_business_id(query.business_id, required=False)
    return jsonify(calls_service.list_calls(business_id, query.page, query.limit, query.customer_id)), 200


class ScopeQuery(BaseModel):
    business_id: BusinessIdParam = None


@calls_bp.get("/<int:call_id>/recording")
@auth_required
@validate(query=ScopeQuery, files=binary("audio/mpeg", "audio/wav"), tags=["calls"])
def call_recording(call_id: int, query: ScopeQuery):
    """The call's recording (audio/mpeg), fetched from the provider with the account's
    credentials; the provider's URL never reaches the browser. No recording → 404."""
    business_id = scoped_business_id(query.business_id, required=False)
    audio, mimetype = calls_service.call_recording(business_id, call_id, current())
    # conditional: the browser's <audio> asks for byte ranges to seek.
    response = send_file(io.BytesIO(audio), mimetype=mimetype, conditional=True, etag=False, max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    return response
