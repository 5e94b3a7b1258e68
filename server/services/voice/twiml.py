"""Every TwiML document the phone webhooks answer, rendered here and only here.

A TurnOutcome says what the caller hears (a <Play> of `play_url`, else a <Say> of `say`) and
what the call does next:
- "record": the conversation goes on (* ends the answer, 0 asks for a person, # ends the call)
- "listen": the first <Record> of a call (only * ends it)
- "stream": talk on over a new Media Stream (`stream` says where and with which one-time token)
- "redirect": the answer is not ready yet; `redirect_url` plays it
- "transfer": <Dial> a person; "message": record a message for them; "hangup": `closing`, then hang up
"""
from __future__ import annotations

from dataclasses import dataclass, field

from twilio.twiml.voice_response import Connect, VoiceResponse

from server.services.voice.policy import DEFAULT_TRANSFER_TIMEOUT

LANGUAGE = "he-IL"
RECORD = dict(max_length=30, timeout=5, play_beep=True, action="/webhook/handle_recording", method="POST",
              trim="do-not-trim")
TRANSFER_STATUS_PATH = "/webhook/transfer_status"
MESSAGE_PATH = "/webhook/transfer_message"
STREAM_ENDED_PATH = "/webhook/media_stream/ended"
TOKEN_PARAMETER = "token"


@dataclass(frozen=True)
class StreamTarget:
    url: str        # wss://{HOST}/webhook/media_stream
    call_sid: str
    token: str      # one-time: binds the websocket to this call (stream/binding.py)


@dataclass
class TurnOutcome:
    say: str | None = None
    play_url: str | None = None
    turn_id: int | None = None
    fallbacks: list[dict] = field(default_factory=list)
    next: str = "record"
    closing: str | None = None
    redirect_url: str | None = None
    transfer_number: str | None = None
    transfer_timeout: int = DEFAULT_TRANSFER_TIMEOUT
    stream: StreamTarget | None = None


def render(outcome: TurnOutcome) -> str:
    vr = VoiceResponse()
    if outcome.play_url:
        vr.play(outcome.play_url)
    elif outcome.say:
        vr.say(outcome.say, language=LANGUAGE)
    if outcome.next == "redirect":
        vr.redirect(outcome.redirect_url, method="POST")
    elif outcome.next == "transfer":
        vr.dial(outcome.transfer_number, timeout=outcome.transfer_timeout, action=TRANSFER_STATUS_PATH,
                method="POST")
    elif outcome.next == "message":
        vr.record(max_length=120, timeout=5, finish_on_key="*", play_beep=True, action=MESSAGE_PATH,
                  method="POST", trim="do-not-trim")
    elif outcome.next == "hangup":
        if outcome.closing:
            vr.say(outcome.closing, language=LANGUAGE)
        vr.hangup()
    elif outcome.next == "stream":
        vr.append(_connect(outcome.stream))
    elif outcome.next == "listen":
        vr.record(finish_on_key="*", **RECORD)
    else:
        vr.record(finish_on_key="*0#", **RECORD)
    return str(vr)


def greeting(notice: str | None, greeting_text: str | None, welcome_url: str | None) -> str:
    """incoming_call on the record path: the recording notice, the business's greeting (else
    the shipped welcome recording, when HOST says where it is), then the first <Record>."""
    vr = VoiceResponse()
    if notice:
        vr.say(notice, language=LANGUAGE)
    if greeting_text:
        vr.say(greeting_text, language=LANGUAGE)
    elif welcome_url:
        vr.play(welcome_url)
    vr.record(finish_on_key="*", **RECORD)
    return str(vr)


def _connect(target: StreamTarget) -> Connect:
    connect = Connect(action=STREAM_ENDED_PATH, method="POST")
    stream = connect.stream(url=target.url)
    stream.parameter(name="CallSid", value=target.call_sid)
    stream.parameter(name=TOKEN_PARAMETER, value=target.token)
    return connect
