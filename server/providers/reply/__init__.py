"""Reply generation: `reply(transcript, CallerContext) -> ReplyResult`, chosen by REPLY_PROVIDER.

offline — the Hebrew responder grounded in the caller's CRM data (default; no network)
openai  — OpenAI chat completions with the same CRM context

A provider gets plain data (CallerContext), never ORM objects, and asks for side effects
(a callback task) through `actions`, which the voice service carries out.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from server.config import KesherConfig, typed
from server.providers.asr import get_provider

REGISTRY = {
    "offline": "server.providers.reply.offline:OfflineResponder",
    "openai": "server.providers.reply.openai:OpenAIReply",
}


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
