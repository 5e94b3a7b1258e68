"""The phone agent for the web UI: its settings per business, and trying it without a phone."""
from __future__ import annotations

from typing import Annotated, Any

from flask import Blueprint, jsonify, request
from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema

from server.authz import auth_required, current_user, roles_required, scoped_business_id
from server.config import current
from server.error_codes import ErrorCode
from server.errors import FieldError, ValidationFailed
from server.schemas.agent import AgentSettings, TryResult
from server.services import agent_settings, agent_try
from server.validation import validate

agent_bp = Blueprint("agent", __name__, url_prefix="/api/agent")


class ScopeQuery(BaseModel):
    business_id: int | None = None


def _setting(schema: dict) -> Any:
    """A setting as documented; its value is checked by the service (businesses.clean_settings),
    whose per-field messages ("settings.turn_limit": ...) the web form shows."""
    return Annotated[Any, WithJsonSchema({**schema, "nullable": True})]


_Text = {"type": "string", "minLength": 1}


class AgentSettingsBody(BaseModel):
    """Only the settings sent change; null removes one (back to its default). Any other key
    is refused by the service (422, "not an agent setting"), so extras reach it."""
    model_config = ConfigDict(extra="allow", json_schema_extra={"additionalProperties": False})

    greeting: _setting({**_Text, "maxLength": 1000}) = None
    hours: _setting({"type": "object", "description": 'e.g. {"sun": "09:00-17:00", "fri": null}',
                     "additionalProperties": {"type": "string", "nullable": True}}) = None
    agent_name: _setting({**_Text, "maxLength": 80}) = None
    agent_instructions: _setting({**_Text, "maxLength": 8000}) = None
    turn_limit: _setting({"type": "integer", "minimum": 1, "maximum": 50}) = None
    recording_notice: _setting({"oneOf": [{"type": "boolean"}, {**_Text, "maxLength": 1000}]}) = None
    recording_notice_text: _setting({**_Text, "maxLength": 1000}) = None
    transfer_number: _setting({"type": "string", "description": "an Israeli phone number"}) = None
    transfer_timeout: _setting({"type": "integer", "minimum": 5, "maximum": 60}) = None
    providers: _setting({"type": "object", "description": "asr / reply / tts provider names"}) = None


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
@validate(query=ScopeQuery, body=AgentSettingsBody, response=AgentSettings, lenient_body=True)
def put_settings(query: ScopeQuery, body: AgentSettingsBody | None):
    """Change some agent settings (business admin); null removes one. Unknown keys → 422."""
    business_id = scoped_business_id(query.business_id)
    data = None if body is None else body.model_dump(exclude_unset=True)  # None: not an object → 422
    return jsonify(agent_settings.put_settings(current_user(), business_id, data)), 200


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
