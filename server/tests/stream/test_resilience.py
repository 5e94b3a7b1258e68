"""The websocket is authenticated and survives what a real network and a careless client do:
forged upgrades, garbage, events out of order, barge-in, a hang-up mid-reply, no `stop`."""
from __future__ import annotations

import base64
import time

import pytest
from simple_websocket.errors import ConnectionError as RefusedUpgrade

from server.tests.stream.conftest import CALLER, stream_state, turns_of
from server.tests.stream.media_client import MediaStreamClient, hebrew_speech

TOKEN = "twilio-test-auth-token"


def _greeted(client):
    assert client.wait_for(lambda: client.messages("mark"), timeout=30), "no greeting"
    assert client.wait_quiet()


@pytest.mark.parametrize("signature", ["forged-signature", ""])
def test_forged_or_missing_signature_is_refused_before_the_upgrade(db, app, monkeypatch, live_server,
                                                                   stream_config, stream_business, signature):
    monkeypatch.setitem(app.config, "TWILIO_AUTH_TOKEN", TOKEN)
    with pytest.raises(RefusedUpgrade) as refused:
        MediaStreamClient(f"ws://{live_server}/webhook/media_stream", signature=signature)
    assert refused.value.status_code == 403
    from server.models import CallLog
    assert db.session.query(CallLog).count() == 0


@pytest.mark.realtime
def test_signed_upgrade_is_accepted_and_signed_for_the_ws_url(db, app, monkeypatch, live_server, open_stream,
                                                               stream_business):
    # Production sets HOST (https://domain); Twilio signs wss://domain/webhook/media_stream.
    monkeypatch.setitem(app.config, "HOST", f"http://{live_server}")
    monkeypatch.setitem(app.config, "TWILIO_AUTH_TOKEN", TOKEN)
    client = open_stream(auth_token=TOKEN)
    client.begin(CALLER)
    _greeted(client)
    client.stop()
    assert stream_state(db, client.call_sid)["end_reason"] == "stop"


def test_signature_for_another_url_is_refused(db, app, monkeypatch, live_server, stream_config):
    from twilio.request_validator import RequestValidator
    monkeypatch.setitem(app.config, "HOST", f"http://{live_server}")
    monkeypatch.setitem(app.config, "TWILIO_AUTH_TOKEN", TOKEN)
    other = RequestValidator(TOKEN).compute_signature(f"ws://{live_server}/webhook/other", {})
    with pytest.raises(RefusedUpgrade):
        MediaStreamClient(f"ws://{live_server}/webhook/media_stream", signature=other)


@pytest.mark.realtime
def test_garbage_and_out_of_order_events_are_skipped_and_the_call_goes_on(db, open_stream, stream_business):
    client = open_stream()
    client.connected()
    client.send(client.media_message(b"\xff" * 160))                       # media before start
    client.send({"event": "mark", "streamSid": client.stream_sid, "mark": {"name": "x"}})
    client.send("this is not json")
    client.send(b"\x00\x01binary")
    client.send("[1, 2, 3]")
    client.send({"no": "event"})
    client.begin(CALLER)
    client.start(CALLER)                                                    # a second start
    client.send({"event": "media", "streamSid": client.stream_sid, "sequenceNumber": "999999",
                 "media": {"payload": "%%% not base64 %%%"}})
    client.send({"event": "media", "streamSid": client.stream_sid, "sequenceNumber": "1000000",
                 "media": {"payload": base64.b64encode(b"\xff" * 20000).decode()}})
    client.send({"event": "media", "streamSid": client.stream_sid, "sequenceNumber": "2", "media": {}})  # late
    client.send({"event": "media", "streamSid": "MZsomeoneelse", "media": {"payload": ""}})
    client.send({"event": "dtmf", "streamSid": client.stream_sid, "dtmf": {}})
    client.send({"event": "no-such-event", "streamSid": client.stream_sid})
    _greeted(client)
    before = len(client.messages("mark"))
    client.say(hebrew_speech("מה שעות הפתיחה שלכם"))
    assert client.wait_for(lambda: len(client.messages("mark")) > before, timeout=30), "no answer after the garbage"
    client.wait_quiet()
    client.stop()

    stats = stream_state(db, client.call_sid)["stats"]
    assert stats["malformed"] >= 7, stats
    assert stats["out_of_order"] >= 3, stats
    assert [t.status for t in turns_of(db, client.call_sid)] == ["played"]


@pytest.mark.realtime
def test_caller_talking_over_the_agent_gets_a_clear_and_the_turn_is_kept_as_cut(db, open_stream, stream_business):
    client = open_stream()
    client.begin(CALLER)
    _greeted(client)
    before = len(client.messages("media"))
    client.say(hebrew_speech("מה שעות הפתיחה שלכם"))
    assert client.wait_for(lambda: len(client.messages("media")) > before + 25, timeout=30)  # the agent is talking
    assert client.playing
    client.say(hebrew_speech("מה הסטטוס של ההזמנה שלי"), wait=False)
    assert client.wait_for(lambda: client.messages("clear"), timeout=10), "no clear"
    clear = client.messages("clear")[0]
    assert clear == {"event": "clear", "streamSid": client.stream_sid}
    client.say(b"")
    time.sleep(0.1)
    assert client.wait_for(lambda: any(m["mark"]["name"].startswith("t1:") for m in client.messages("mark")),
                           timeout=30), "the interruption was not answered"
    client.wait_quiet()
    client.stop()

    stream = stream_state(db, client.call_sid)
    assert stream["stats"]["barge_ins"] == 1
    first, second = turns_of(db, client.call_sid)
    assert first.status == "cut"
    assert 0 < first.latencies["barge_in_ms"] < 1000
    assert first.latencies["sentences_played"] < first.latencies["sentences_sent"] or \
        first.latencies["sentences_sent"] < len(first.reply.split("."))
    assert second.status == "played" and second.transcript


@pytest.mark.realtime
def test_hang_up_mid_reply_ends_the_turn_as_cut(db, open_stream, stream_business):
    client = open_stream()
    client.begin(CALLER)
    _greeted(client)
    before = len(client.messages("media"))
    client.say(hebrew_speech("מה שעות הפתיחה שלכם"))
    assert client.wait_for(lambda: len(client.messages("media")) > before + 25, timeout=30)
    client.hang_up()                                   # gone: no stop, socket closed

    stream = stream_state(db, client.call_sid)
    assert stream["end_reason"] == "closed without stop"
    [turn] = turns_of(db, client.call_sid)
    assert turn.status == "cut"
    assert {"stage": "stream", "reason": "caller hung up"} in turn.fallbacks


def test_a_stream_that_just_goes_quiet_is_closed(db, app, monkeypatch, open_stream, stream_business):
    monkeypatch.setitem(app.config, "STREAM_IDLE_SECONDS", 1)
    client = open_stream()
    client.connected()
    client.start(CALLER)                               # then nothing at all: no media, no stop
    assert stream_state(db, client.call_sid)["end_reason"] == "idle"
    assert client.wait_for(lambda: client.closed, timeout=5)
