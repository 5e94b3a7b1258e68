from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model, model_validator

from server.error_codes import ErrorCode
from server.errors import FieldError
from server.schemas.calls import Fallback, TurnProviders
from server.schemas.settings import (BusinessSettingsUpdate, CallerVerification, HoursSetting, SettingsChanges,
                                     WhatsAppAgentMode, no_defaults)

# The business settings the phone agent's page shows and changes (GET/PUT /api/agent/settings).
AGENT_KEYS = ("greeting", "hours", "agent_name", "agent_instructions", "turn_limit", "recording_notice",
              "recording_notice_text", "transfer_number", "transfer_timeout", "providers", "caller_verification",
              "whatsapp_agent")
_NOT_AGENT_SETTING = FieldError(ErrorCode.NOT_AGENT_SETTING, "not an agent setting")


class _AgentValues(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra=no_defaults)


# The agent's subset of schemas/settings, field for field (the same rules and messages).
AgentSettingValues = create_model(
    "AgentSettingValues", __base__=_AgentValues, __doc__="The agent's settings a business set.",
    **{key: (BusinessSettingsUpdate.model_fields[key].annotation, BusinessSettingsUpdate.model_fields[key])
       for key in AGENT_KEYS})


def _line_errors(exc: ValidationError, prefix: tuple = ()) -> list[dict]:
    return [{"type": err["type"], "loc": (*prefix, *err["loc"]), "input": err["input"],
             **({"ctx": err["ctx"]} if "ctx" in err else {})} for err in exc.errors()]


class AgentSettingsUpdate(SettingsChanges, AgentSettingValues):
    """Only the settings sent change; null removes one (back to its default). A key that is
    not an agent setting is refused by name (and alone); a bad value is named as on the
    businesses API ("settings.turn_limit"), since both edit the same settings."""
    @model_validator(mode="wrap")
    @classmethod
    def _agent_errors(cls, data: Any, handler):
        if isinstance(data, dict):
            unknown = [key for key in data if key not in AGENT_KEYS]
            if unknown:
                raise ValidationError.from_exception_data(cls.__name__, [
                    {"type": "value_error", "loc": (key,), "input": data[key],
                     "ctx": {"error": ValueError(_NOT_AGENT_SETTING)}} for key in unknown])
        try:
            return handler(data)
        except ValidationError as exc:
            raise ValidationError.from_exception_data(cls.__name__, _line_errors(exc, ("settings",))) from None


class EffectiveProviders(BaseModel):
    """The providers the agent uses: the business's choice, else the deployment's."""
    asr: str
    reply: str
    tts: str


class EffectiveAgentSettings(BaseModel):
    """Every agent setting as the agent uses it, defaults filled in."""
    greeting: str | None
    hours: HoursSetting
    agent_name: str | None
    agent_instructions: str | None
    turn_limit: int
    recording_notice: bool | str
    recording_notice_text: str
    transfer_number: str | None
    transfer_timeout: int
    providers: EffectiveProviders
    caller_verification: CallerVerification
    whatsapp_agent: WhatsAppAgentMode = Field(description="the agent answers WhatsApp: off, always, or outside_hours")


class AgentSettings(BaseModel):
    business_id: int
    settings: EffectiveAgentSettings = Field(description="every setting the agent uses, defaults filled in")
    stored: AgentSettingValues = Field(description="only what the business set")


class TryCustomer(BaseModel):
    id: int
    name: str


class TryResult(BaseModel):
    transcript: str | None
    reply: str | None
    audio_url: str | None
    providers: TurnProviders
    latencies: dict[str, float]
    timings: dict[str, float]
    fallbacks: list[Fallback]
    intents: list[Any]
    tool_calls: list[Any]
    actions: list[Any]
    customer: TryCustomer | None
