"""Reply generation: `reply(transcript, CallerContext) -> ReplyResult`, chosen by REPLY_PROVIDER.

offline — the Hebrew responder grounded in the caller's CRM data (default; no network)
openai  — OpenAI chat completions with the same CRM context

A provider gets plain data (CallerContext), never ORM objects, and asks for side effects
(a callback task) through `actions`, which the voice service carries out.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from server.config import KesherConfig, typed
from server.providers.asr import get_provider

REGISTRY = {
    "offline": "server.providers.reply.offline:OfflineResponder",
    "openai": "server.providers.reply.openai:OpenAIReply",
}


class Desk(Protocol):
    """The receptionist's desk: the business's price list, calendar and knowledge, as plain
    data (services/reception/desk.py reads and writes the database behind it). A provider
    calls it for its tools and never books a slot the desk did not offer in this
    conversation, nor without the caller's yes (the desk refuses both)."""
    now: datetime

    def services(self) -> list[dict]: ...                     # {"id","name","duration_minutes","price_agorot"}
    def staff(self) -> list[dict]: ...                        # {"id","name"}
    def find_slots(self, service_id: int, start: datetime, end: datetime, staff_id: int | None = None,
                   limit: int = 3, exclude_appointment_id: int | None = None) -> list[dict]: ...
    def offer(self, slots: list[dict]) -> None: ...              # the found slots put to the caller
    def next_appointment(self) -> dict | None: ...
    def book(self, service_id: int, start: datetime, staff_id: int | None, confirmed: bool) -> dict: ...
    def move(self, appointment_id: int, start: datetime, staff_id: int | None, confirmed: bool) -> dict: ...
    def cancel(self, appointment_id: int, confirmed: bool) -> dict: ...
    def search_knowledge(self, question: str) -> dict | None: ...


@dataclass
class CallerContext:
    business_name: str | None = None
    agent_name: str | None = None
    hours: str | None = None            # the business hours as a Hebrew sentence part
    open_now: bool | None = None
    customer_name: str | None = None
    known_customer: bool = False        # False: a new lead created by this call
    tasks: list[dict] = field(default_factory=list)      # {"title","status","due"}
    invoices: list[dict] = field(default_factory=list)   # {"number","status","total","due"}
    contracts: list[dict] = field(default_factory=list)  # {"title","status"}
    can_take_callback: bool = False
    first_turn: bool = True
    history: list[dict] = field(default_factory=list)    # [{"caller": "...", "agent": "..."}]
    instructions: str | None = None     # the business's own instructions for the agent
    # Caller verification (services/caller_verification.py): which records were left out of
    # this context until the caller proves who they are, why, and what a correct answer this
    # turn just unlocked (the caller's earlier question, to answer now).
    withheld: list[str] = field(default_factory=list)   # "invoices" | "contracts" | "tasks"
    verification: str | None = None     # None | "ask" | "retry" | "locked" | "unavailable"
    just_verified: list[str] = field(default_factory=list)
    # The receptionist's desk (appointments, prices, knowledge) and the conversation's
    # dialogue state, kept between turns by the caller of the provider (call.state on the
    # phone, the conversation row on WhatsApp). No desk: the agent only answers from the CRM.
    desk: Desk | None = None
    dialog: dict[str, Any] = field(default_factory=dict)
    channel: str = "phone"              # phone | whatsapp: how the answer reaches the caller


@dataclass
class ReplyResult:
    text: str
    provider: str
    intents: list[str] = field(default_factory=list)
    actions: list[dict] = field(default_factory=list)    # [{"type": "callback", "note": "..."}]
    tool_calls: list[dict] = field(default_factory=list)


class ReplyGenerator(Protocol):
    name: str

    def reply(self, transcript: str, ctx: CallerContext) -> ReplyResult: ...


def get_reply(config: KesherConfig | dict, name: str | None = None) -> ReplyGenerator:
    config = typed(config)
    return get_provider(REGISTRY, name or config.agent.reply_provider, config)
