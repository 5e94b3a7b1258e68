"""A real call over the Media Streams protocol: Hebrew speech made by the project's TTS is
streamed in real time to the server, which answers with the offline chain (local Whisper →
CRM-grounded responder → espeak-ng as 8 kHz μ-law)."""
from __future__ import annotations

import pytest

import time

from server.tests.stream.conftest import CALLER, stream_state, turns_of
from server.tests.stream.media_client import hebrew_speech


@pytest.mark.realtime
def test_two_turn_conversation_is_answered_and_kept_on_the_call(db, client, login_as, open_stream, stream_business,
                                                                make_customer):
    customer = make_customer(stream_business, name="דנה כהן", phone="+972502345678")
    caller = open_stream()
    caller.begin(CALLER)
    assert caller.wait_for(lambda: caller.messages("mark"), timeout=30), "no greeting"
    assert caller.wait_quiet()

    for phrase in ("מה שעות הפתיחה שלכם", "מה שעות הפתיחה"):
        before = len(caller.messages("mark"))
        caller.say(hebrew_speech(phrase))
        assert caller.wait_for(lambda: len(caller.messages("mark")) > before, timeout=30), phrase
        assert caller.wait_quiet()
    caller.stop()

    stream = stream_state(db, caller.call_sid)
    assert stream["end_reason"] == "stop" and stream["stream_sid"] == caller.stream_sid
    turns = turns_of(db, caller.call_sid)
    assert [t.index for t in turns] == [0, 1]
    for turn in turns:
        assert turn.status == "played", (turn.status, turn.fallbacks)
        assert (turn.asr_provider, turn.reply_provider, turn.tts_provider) == ("local", "offline", "espeak")
        assert turn.transcript and turn.reply
        assert turn.latencies["first_audio_ms"] > 0 and "server_ms" in turn.latencies
    assert "hours" in turns[0].intents, [(t.transcript, t.latencies) for t in turns]
    assert "ראשון עד חמישי 09:00 עד 17:00" in turns[0].reply      # grounded in the business settings
    assert turns[0].reply.startswith("שלום דנה")                    # the caller was recognised by phone
    # every outbound frame is Twilio's shape: 20 ms of base64 μ-law for this stream
    media = caller.messages("media")
    assert media and all(m["streamSid"] == caller.stream_sid and set(m) == {"event", "streamSid", "media"}
                         for m in media)
    assert caller.media_frames and len(__import__("base64").b64decode(media[0]["media"]["payload"])) == 160

    # the timeline shows the call with both turns
    login_as("staff", business=stream_business)
    items = client.get(f"/api/customers/{customer.id}/timeline?types=call").get_json()
    assert len(items) == 1 and items[0]["data"]["call_sid"] == caller.call_sid
    assert [t["status"] for t in items[0]["data"]["turns"]] == ["played", "played"]


@pytest.mark.realtime
def test_a_reply_that_ends_the_call_is_played_then_the_stream_closes_for_connect_action(
        db, client, monkeypatch, open_stream, stream_business):
    # The policy decides what follows a reply: here, that the caller said goodbye.
    from server.services.voice.policy import Action, Directive, Reason
    monkeypatch.setattr("server.services.voice.policy.after_turn",
                        lambda *args, **kwargs: Directive(Action.HANGUP, Reason.FAREWELL))
    caller = open_stream()
    caller.begin(CALLER)
    assert caller.wait_for(lambda: caller.messages("mark"), timeout=30)
    assert caller.wait_quiet()
    caller.say(hebrew_speech("מה שעות הפתיחה שלכם"))
    assert caller.wait_for(lambda: caller.closed, timeout=40), "the server did not close the stream"

    stream = stream_state(db, caller.call_sid)
    assert stream["end_reason"] == "agent ended the call" and stream["next"] == "hangup"
    [turn] = turns_of(db, caller.call_sid)
    assert turn.status == "played" and turn.latencies["sentences_played"] == turn.latencies["sentences_sent"]
    twiml = client.post("/webhook/media_stream/ended", data={"CallSid": caller.call_sid}).data
    assert b"<Hangup />" in twiml


def test_a_key_press_goes_to_the_policy_which_can_end_the_stream(db, monkeypatch, open_stream, stream_business):
    from server.services.voice import policy
    seen = []

    def on_key(digit):
        seen.append(digit)
        return real(digit)
    real = policy.on_key
    monkeypatch.setattr(policy, "on_key", on_key)
    caller = open_stream()
    caller.begin(CALLER)
    assert caller.wait_for(lambda: caller.messages("mark"), timeout=30)
    caller.dtmf("5")
    caller.dtmf("0")
    assert caller.wait_for(lambda: caller.closed, timeout=10)
    stream = stream_state(db, caller.call_sid)
    assert seen == ["5", "0"]
    assert stream["end_reason"] == "dtmf" and stream["next"] == {"type": "transfer", "via": "key"}
    assert stream["stats"]["dtmf"] == ["5", "0"]
