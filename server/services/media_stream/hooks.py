"""Where the conversation features of the record path (issue 8) meet a streamed call.

Each hook is a plain function; the session and `run_turn` call nothing else of that work.

- opening_lines(call, settings) -> [Hebrew sentences] spoken when the stream starts:
  the recording notice (on by default, per business) and the business's greeting
- before_reply(transcript, settings) -> (spoken text, directive) | None: asking for a person
  with a transfer number set is a transfer, not a reply (as on the record path)
- after_reply(call, result, settings, turns) -> None | directive: farewell → hang up, the
  business's turn limit → goodbye and hang up
- on_dtmf(call, digit) -> None | directive: 0 → a person, # → goodbye
- on_stream_end(call, reason): the call's summary and intent (voice.end_call queues it)
- stream_ended_twiml(call, directive, reconnect) -> VoiceResponse: what Twilio's
  <Connect action> request gets once the stream is closed for a directive

A directive is "hangup" or {"type": "hangup", "closing": "..."} or {"type": "transfer", "via": ...}.
"""
from __future__ import annotations

from twilio.twiml.voice_response import VoiceResponse

DEFAULT_GREETING = "שלום, כאן המענה הקולי. במה אפשר לעזור?"


def opening_lines(call, settings: dict) -> list[str]:
    from server.services import voice
    lines = []
    if call is not None and call.business_id is not None:
        notice = voice.recording_notice(settings or {})
        if notice:
            lines.append(notice)
    greeting = (settings or {}).get("greeting")
    lines.append(greeting.strip() if isinstance(greeting, str) and greeting.strip() else DEFAULT_GREETING)
    return lines


def before_reply(transcript: str, settings: dict) -> tuple[str, dict] | None:
    from server.providers.reply.offline import detect_intents
    from server.services.agent_pipeline import SAY_TRANSFER
    if (settings or {}).get("transfer_number") and "human" in detect_intents(transcript or ""):
        return SAY_TRANSFER, {"type": "transfer", "via": "speech"}
    return None


def after_reply(call, result, settings: dict | None = None, turns: int = 0):
    from flask import current_app

    from server.services import voice
    intents = list(getattr(result, "intents", None) or [])
    if "goodbye" in intents and set(intents) <= {"goodbye", "greeting"}:
        return "hangup"
    limit = int((settings or {}).get("turn_limit") or current_app.config.get("VOICE_TURN_LIMIT") or 10)
    if turns >= limit:
        return {"type": "hangup", "closing": voice.SAY_TURN_LIMIT}
    return None


def on_dtmf(call, digit: str):
    from server.services import voice
    if digit == "0":
        return {"type": "transfer", "via": "key"}
    if digit == "#":
        return {"type": "hangup", "closing": voice.SAY_GOODBYE}
    return None


def on_stream_end(call, reason: str, directive=None) -> None:
    """A stream that ends for good (not a transfer) ends the conversation: summarise it."""
    from server.services import voice
    if call is None or _kind(directive) == "transfer":
        return
    if isinstance(directive, dict) and directive.get("closing") == voice.SAY_TURN_LIMIT:
        why = "turn_limit"
    else:
        why = {"agent ended the call": "farewell", "dtmf": "key"}.get(reason, "stream")
    voice.end_call(call, why)


def _kind(directive) -> str | None:
    return directive if isinstance(directive, str) else (directive or {}).get("type")


def stream_ended_twiml(call, directive, reconnect=None) -> VoiceResponse:
    from server.services import voice
    vr = VoiceResponse()
    kind = _kind(directive)
    if kind == "transfer" and call is not None:
        via = directive.get("via", "key") if isinstance(directive, dict) else "key"
        outcome = voice.transfer_outcome(call, voice.business_settings(call), via=via)
        if outcome.next == "transfer":
            if via == "key":  # by speech the agent already said it
                vr.say(outcome.say, language="he-IL")
            vr.dial(outcome.transfer_number, timeout=outcome.transfer_timeout, action="/webhook/transfer_status",
                    method="POST")
            return vr
        vr.say(outcome.say, language="he-IL")  # nobody to transfer to: a callback task, and talk on
        if reconnect is not None:
            return reconnect(vr)
    if isinstance(directive, dict) and directive.get("closing"):
        vr.say(directive["closing"], language="he-IL")
    vr.hangup()
    return vr
