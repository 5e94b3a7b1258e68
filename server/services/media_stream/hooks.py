"""Where the conversation features of the record path plug into a streamed call.

Each hook is a plain function with a working default; the voice-conversation work (summary,
transfer to a person, recording notice, turn limit) replaces a default here and nothing else.

- opening_lines(call, settings) -> [Hebrew sentences] spoken when the stream starts
  (the place for the recording notice)
- after_reply(call, result) -> None | "hangup" | {"type": "transfer", ...}: what follows a reply
  (its audio is played first); the stream closes and `stream_ended_twiml` answers Twilio's
  <Connect action> with the TwiML that carries it out
- on_dtmf(call, digit) -> same directive shape, for a key the caller pressed
- on_stream_end(call) -> None: the call's summary, when the conversation is over
- stream_ended_twiml(call, directive) -> VoiceResponse for <Connect action>
"""
from __future__ import annotations

from twilio.twiml.voice_response import VoiceResponse

DEFAULT_GREETING = "שלום, כאן המענה הקולי. במה אפשר לעזור?"
GOODBYE_ONLY = {"goodbye"}


def opening_lines(call, settings: dict) -> list[str]:
    greeting = (settings or {}).get("greeting")
    return [greeting.strip() if isinstance(greeting, str) and greeting.strip() else DEFAULT_GREETING]


def after_reply(call, result) -> str | dict | None:
    intents = set(getattr(result, "intents", None) or [])
    if intents and intents <= GOODBYE_ONLY | {"greeting"} and "goodbye" in intents:
        return "hangup"
    return None


def on_dtmf(call, digit: str) -> str | dict | None:
    return None


def on_stream_end(call) -> None:
    return None


def stream_ended_twiml(call, directive) -> VoiceResponse:
    vr = VoiceResponse()
    vr.hangup()
    return vr
