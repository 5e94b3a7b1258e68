"""The phone agent for the web UI: its settings per business, and trying it without a phone."""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request
from pydantic import BaseModel

from server.authz import auth_required, current_user, roles_required, scoped_business_id
from server.errors import ValidationFailed
from server.services import agent_settings, agent_try
from server.validation import validate

agent_bp = Blueprint("agent", __name__, url_prefix="/api/agent")


class ScopeQuery(BaseModel):
    business_id: int | None = None


@agent_bp.get("/settings")
@auth_required
@validate(query=ScopeQuery)
def get_settings(query: ScopeQuery):
    """The agent's settings with the defaults it uses (`settings`) and what was set (`stored`)."""
    business_id = scoped_business_id(query.business_id)
    return jsonify(agent_settings.get_settings(current_user(), business_id)), 200


@agent_bp.put("/settings")
@roles_required("admin")
@validate(query=ScopeQuery)
def put_settings(query: ScopeQuery):
    """Change some agent settings (business admin); null removes one. Unknown keys → 422."""
    business_id = scoped_business_id(query.business_id)
    return jsonify(agent_settings.put_settings(current_user(), business_id, request.get_json(silent=True))), 200


@agent_bp.post("/try")
@roles_required("admin", "staff")
@validate(query=ScopeQuery)
def try_agent(query: ScopeQuery):
    """One turn: JSON {"text", "from"} or multipart {audio, from} → transcript, reply, audio_url,
    latencies, providers, fallbacks."""
    business_id = scoped_business_id(query.business_id)
    base_url = current_app.config.get("HOST") or request.url_root.rstrip("/")
    if request.mimetype == "multipart/form-data":
        upload = request.files.get("audio")
        if upload is None:
            raise ValidationFailed({"audio": "audio file required"})
        result = agent_try.try_turn(business_id, base_url, audio=upload.read(),
                                    filename=upload.filename or "recording.webm", from_phone=request.form.get("from"))
    else:
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            raise ValidationFailed({"text": "text or audio required"})
        result = agent_try.try_turn(business_id, base_url, text=body.get("text"), from_phone=body.get("from"))
    return jsonify(result), 200
