from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from server.schemas.calls import Fallback, TurnProviders


class AgentSettings(BaseModel):
    business_id: int
    settings: dict[str, Any] = Field(description="every setting the agent uses, defaults filled in")
    stored: dict[str, Any] = Field(description="only what the business set")


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
