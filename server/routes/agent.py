"""The phone agent for the web UI: its settings per business, and trying it without a phone."""
from __future__ import annotations

from typing import Annotated, Any

from flask import Blueprint, jsonify, request
from pydantic import BaseModel, Field, WithJsonSchema

from server.authz import auth_required, current_user, roles_required, scoped_business_id
from server.config import current
from server.error_codes import ErrorCode
from server.errors import FieldError, ValidationFailed
from server.schemas.agent import AgentSettings, AgentSettingsUpdate, TryResult
from server.schemas.fields import BusinessIdParam
from server.services import agent_settings, agent_try
from server.validation import validate

agent_bp = Blueprint("agent", __name__, url_prefix="/api/agent")


class ScopeQuery(BaseModel):
    business_id: BusinessIdParam = None


class TryBody(BaseModel):
    """JSON form of a try; a recording comes as multipart/form-data {audio, from} instead."""
    text: Annotated[Any, WithJsonSchema({"type": "string", "minLength": 1, "maxLength": agent_try.MAX_TEXT})] = None
    from_: Annotated[Any, WithJsonSchema({"type": "string", "description": "the caller's phone"})] = \
        Field(None, alias="from")


@agent_bp.get("/settings")
@auth_required
@validate(query=ScopeQuery, response=AgentSettings)
def get_settings(query: ScopeQuery):
    """The agent's settings with the defaults it uses (`settings`) and what was set (`stored`)."""
    business_id = scoped_business_id(query.business_id)
    return jsonify(agent_settings.get_settings(current_user(), business_id)), 200


@agent_bp.put("/settings")
@roles_required("admin")
@validate(query=ScopeQuery, body=AgentSettingsUpdate, response=AgentSettings, lenient_body=True)
def put_settings(query: ScopeQuery, body: AgentSettingsUpdate | None):
    """Change some agent settings (business admin); null removes one. Unknown keys → 422."""
    business_id = scoped_business_id(query.business_id)
    if body is None:  # not a JSON object: this route's 422 from before it had a schema
        raise ValidationFailed({"body": FieldError(ErrorCode.NOT_OBJECT, "must be an object")})
    return jsonify(agent_settings.put_settings(current_user(), business_id, body)), 200


@agent_bp.post("/try")
@roles_required("admin", "staff")
@validate(query=ScopeQuery, body=TryBody, response=TryResult, lenient_body=True)
def try_agent(query: ScopeQuery, body: TryBody | None):
    """One turn: JSON {"text", "from"} or multipart {audio, from} → transcript, reply, audio_url,
    latencies, providers, fallbacks."""
    business_id = scoped_business_id(query.business_id)
    base_url = current().app.host or request.url_root.rstrip("/")
    if request.mimetype == "multipart/form-data":
        upload = request.files.get("audio")
        if upload is None:
            raise ValidationFailed({"audio": FieldError(ErrorCode.AUDIO_REQUIRED, "audio file required")})
        result = agent_try.try_turn(business_id, base_url, audio=upload.read(),
                                    filename=upload.filename or "recording.webm", from_phone=request.form.get("from"))
    else:
        if body is None:
            raise ValidationFailed({"text": FieldError(ErrorCode.TEXT_OR_AUDIO_REQUIRED, "text or audio required")})
        result = agent_try.try_turn(business_id, base_url, text=body.text, from_phone=body.from_)
    return jsonify(result), 200
