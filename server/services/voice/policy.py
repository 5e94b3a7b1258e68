"""The conversation policy of a phone call, for the record path and the streamed path alike.

Pure: no Flask, no database. Given what just happened (the key pressed, what the caller asked
for, the turn's intents, its number and the limit), it answers with a Directive — hang up or
transfer, and why — or None (the conversation goes on). The callers carry it out: the record
path renders TwiML (turns.outcome_for), the stream closes its socket and Twilio's
<Connect action> request renders what follows (stream/binding.stream_ended).
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from server.schemas.settings import DEFAULT_TRANSFER_TIMEOUT, DEFAULT_TURN_LIMIT, BusinessSettings, as_settings
from server.services.voice.prompts import DEFAULT_GREETING, SAY_GOODBYE, SAY_TURN_LIMIT

__all__ = ["DEFAULT_TRANSFER_TIMEOUT", "DEFAULT_TURN_LIMIT"]  # the settings' defaults, for callers of policy
# Keys that end a follow-up <Record>: * done speaking, 0 a person, # end the call.
KEY_PERSON, KEY_END = "0", "#"
# Twilio's Digits when the caller hung up during a <Record>.
HUNG_UP = "hangup"


class Action(str, Enum):
    HANGUP = "hangup"
    TRANSFER = "transfer"


class Reason(str, Enum):
    """Why: the value is what the call keeps (state["ended_by"], a transfer's "via")."""
    FAREWELL = "farewell"       # the caller said goodbye (and nothing else)
    KEY = "key"                 # a key: 0 for a person, # to end
    SPEECH = "speech"           # the caller asked for a person
    TURN_LIMIT = "turn_limit"   # the business's turn limit was reached


@dataclass(frozen=True)
class Directive:
    action: Action
    reason: Reason
    closing: str | None = None  # said before hanging up (None: the reply already said goodbye)

    def next_step(self) -> str | dict:
        """What a streamed call stores for Twilio's <Connect action> request (call.state["stream"]["next"])."""
        if self.action is Action.TRANSFER:
            return {"type": "transfer", "via": self.reason.value}
        return {"type": "hangup", "closing": self.closing} if self.closing else "hangup"


def is_farewell(intents) -> bool:
    intents = set(intents or ())
    return "goodbye" in intents and intents <= {"goodbye", "greeting"}


def turn_limit(settings: BusinessSettings | dict | None, default: int | None = None) -> int:
    """The business's turn limit, else the deployment's (VOICE_TURN_LIMIT), else 10."""
    return as_settings(settings).resolved_turn_limit(default)


def on_key(digits: str | None) -> Directive | None:
    """0 asks for a person; # (or hanging up during a <Record>) ends the call."""
    digits = (digits or "").strip()
    if digits == KEY_PERSON:
        return Directive(Action.TRANSFER, Reason.KEY)
    if digits in (KEY_END, HUNG_UP):
        return Directive(Action.HANGUP, Reason.KEY, closing=SAY_GOODBYE)
    return None


def asks_for_person(intents, settings: BusinessSettings | dict | None) -> Directive | None:
    """Asking for a person (נציג, בן אדם) when the business has a transfer number is a
    transfer, not a question for the reply provider."""
    if as_settings(settings).transfer_number and "human" in (intents or ()):
        return Directive(Action.TRANSFER, Reason.SPEECH)
    return None


def after_turn(intents, number: int, limit: int, end_requested: bool = False,
               replied: bool = True) -> Directive | None:
    """After the agent answered turn `number` (1-based): a transfer the caller asked for, the
    end the caller asked for (the # key, or a goodbye), the turn limit — or go on.

    `end_requested`: # (or a hang-up) ended the recording; the turn is answered first. A
    goodbye the agent `replied` to needs no second goodbye.
    """
    intents = list(intents or ())
    if "transfer" in intents:
        return Directive(Action.TRANSFER, Reason.SPEECH)
    farewell = is_farewell(intents)
    if end_requested or farewell:
        return Directive(Action.HANGUP, Reason.KEY if end_requested else Reason.FAREWELL,
                         closing=None if farewell and replied else SAY_GOODBYE)
    if number >= limit:
        return Directive(Action.HANGUP, Reason.TURN_LIMIT, closing=SAY_TURN_LIMIT)
    return None


def recording_notice(settings: BusinessSettings | dict | None) -> str | None:
    """The Hebrew notice said before the caller speaks: on by default, per business."""
    return as_settings(settings).spoken_notice


def greeting(settings: BusinessSettings | dict | None) -> str | None:
    """The business's own greeting, if it wrote one."""
    value = as_settings(settings).greeting
    return value.strip() if value and value.strip() else None


def opening_lines(settings: BusinessSettings | dict | None, known_business: bool) -> list[str]:
    """A streamed call's first words: the recording notice (a business's call only), then the
    business's greeting or the default one."""
    settings = as_settings(settings)
    notice = recording_notice(settings) if known_business else None
    return ([notice] if notice else []) + [greeting(settings) or DEFAULT_GREETING]
