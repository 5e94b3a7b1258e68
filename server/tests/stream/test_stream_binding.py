"""A Media Stream is bound to the call Twilio announced (issue 16).

The websocket upgrade carries the same signature for every connection, so it cannot tell
calls apart. The Twilio-signed incoming_call mints a one-time token in the <Stream> it
answers; the start message must present it for that call, once, in time. Business and
caller come from that call, never from the start message.
"""
from __future__ import annotations

from datetime import timedelta

import pytest

from server.models import CallLog, CallTurn, StreamToken
from server.models.base import utcnow
from server.services.voice.stream import binding
from server.tests.stream.conftest import CALLER
from server.tests.stream.media_client import MediaStreamClient


class _Vad:
    name = "test"
    fallback_reason = None


def _announce(client, call_sid="CA" + "1" * 32, to="+97235551234", caller="+972502345678") -> str:
    """POST incoming_call as Twilio does and return the token of the <Stream> it answers."""
    import xml.etree.ElementTree as ET
    r = client.post("/webhook/incoming_call", data={"CallSid": call_sid, "From": caller, "To": to})
    stream = ET.fromstring(r.data).find("Connect/Stream")
    return {p.get("name"): p.get("value") for p in stream.findall("Parameter")}["token"]


def _begin(app, call_sid, token):
    return binding.begin_call(app, call_sid, token, "MZ" + "9" * 32, _Vad())


def _stream_state(db, call_sid):
    db.session.expire_all()
    call = db.session.query(CallLog).filter_by(call_sid=call_sid).one_or_none()
    return (call.state or {}).get("stream") if call else None


@pytest.fixture()
def two_businesses(make_business):
    mine = make_business("סטרים", voice_number="+97235551234",
                         settings={"voice_mode": "stream", "greeting": "שלום, מספרת רותי."})
    other = make_business("אחר", voice_number="+97235559999",
                          settings={"voice_mode": "stream", "greeting": "שלום, מוסך אבי."})
    return mine, other


def test_a_correct_token_binds_the_stream_to_the_announced_call(app, client, db, two_businesses):
    mine, _ = two_businesses
    token = _announce(client)
    call_id, settings, turns = _begin(app, "CA" + "1" * 32, token)
    call = db.session.get(CallLog, call_id)
    assert (call.business_id, call.from_number, settings["greeting"], turns) == \
        (mine.id, "+972502345678", "שלום, מספרת רותי.", 0)
    assert _stream_state(db, call.call_sid)["stream_sid"] == "MZ" + "9" * 32


@pytest.mark.parametrize("token", [None, "", "forged-" + "x" * 40, "y" * 5000])
def test_no_or_forged_token_is_refused_and_creates_nothing(app, client, db, two_businesses, token):
    _announce(client)
    before = db.session.query(CallLog).count()
    assert _begin(app, "CA" + "1" * 32, token) == (None, {}, 0)
    # an unknown CallSid with any token: no call is created for it either
    assert _begin(app, "CA" + "2" * 32, token) == (None, {}, 0)
    assert db.session.query(CallLog).count() == before
    assert _stream_state(db, "CA" + "1" * 32) is None


def test_a_token_of_another_call_is_refused(app, client, db, two_businesses):
    mine_token = _announce(client, call_sid="CA" + "1" * 32)
    _announce(client, call_sid="CA" + "3" * 32, to="+97235559999")
    # the other business's call presents my call's token: refused, and my token stays usable
    assert _begin(app, "CA" + "3" * 32, mine_token) == (None, {}, 0)
    assert _stream_state(db, "CA" + "3" * 32) is None
    assert _begin(app, "CA" + "1" * 32, mine_token)[0] is not None


def test_a_replayed_token_is_refused(app, client, db, two_businesses):
    token = _announce(client)
    assert _begin(app, "CA" + "1" * 32, token)[0] is not None
    assert _begin(app, "CA" + "1" * 32, token) == (None, {}, 0)


def test_an_expired_token_is_refused(app, client, db, two_businesses):
    token = _announce(client)
    db.session.query(StreamToken).update({"expires_at": utcnow() - timedelta(seconds=1)})
    db.session.commit()
    assert _begin(app, "CA" + "1" * 32, token) == (None, {}, 0)


def test_only_a_hash_of_the_token_is_stored(app, client, db, two_businesses):
    token = _announce(client)
    [row] = db.session.query(StreamToken).all()
    assert token not in row.token_sha256 and len(row.token_sha256) == 64


# ---- over the real websocket -----------------------------------------------------------

@pytest.mark.parametrize("params", [CALLER, {**CALLER, "token": "forged-token-" + "z" * 30}],
                         ids=["no token", "forged token"])
def test_a_stream_without_a_valid_token_is_closed_with_no_agent_and_no_record(db, open_stream, two_businesses,
                                                                                 params):
    caller = open_stream(announce=False)
    caller.begin(params)
    assert caller.wait_for(lambda: caller.closed, timeout=10), "the server kept the stream open"
    assert caller.messages("media") == [] and caller.messages("mark") == []
    db.session.rollback()
    assert db.session.query(CallLog).count() == 0 and db.session.query(CallTurn).count() == 0


def test_a_replayed_token_over_the_websocket_is_refused(db, app, client, open_stream, two_businesses):
    call_sid = "CA" + "4" * 32
    token = _announce(client, call_sid=call_sid)
    assert _begin(app, call_sid, token)[0] is not None          # Twilio's own stream used it
    attacker = open_stream(announce=False, call_sid=call_sid)
    attacker.begin({"token": token, "From": "+972501111111", "To": "+97235559999"})
    assert attacker.wait_for(lambda: attacker.closed, timeout=10)
    assert attacker.messages("media") == []
    db.session.rollback()
    assert db.session.query(CallLog).count() == 1 and db.session.query(CallTurn).count() == 0
