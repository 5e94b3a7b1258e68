from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from server.schemas.common import IsoTime


class TurnProviders(BaseModel):
    asr: str | None
    reply: str | None
    tts: str | None


class Fallback(BaseModel):
    stage: str
    reason: str


class CallTurn(BaseModel):
    index: int
    status: str
    transcript: str | None
    reply: str | None
    audio_url: str | None
    providers: TurnProviders
    latencies: dict[str, float]
    fallbacks: list[Fallback]
    tool_calls: list[Any]
    intents: list[Any]
    created_at: IsoTime


class Call(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    id: int
    call_sid: str
    business_id: int | None
    customer_id: int | None
    from_: str | None = Field(alias="from")
    to: str | None
    direction: str
    status: str
    duration_seconds: int | None
    recording: str | None = Field(description="GET /api/calls/<id>/recording, or null: the provider's URL "
                                              "(which needs the account's credentials) never leaves the server")
    summary: str | None
    intent: str | None
    started_at: IsoTime
    ended_at: IsoTime
    # Not in every listing: the dashboard's recent calls come without turns.
    turns: list[CallTurn] = None  # type: ignore[assignment]
    customer_name: str | None = Field(default=None, description="the calls log only")
    transcript: str = Field(default=None, description="the timeline only: the turns as one text")


class CallPage(BaseModel):
    page: int
    limit: int
    total: int
    items: list[Call]
