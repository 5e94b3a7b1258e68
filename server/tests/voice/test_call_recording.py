"""GET /api/calls/<id>/recording: the browser hears a call's recording through the API.

The recording is fetched from a local HTTP server that answers like Twilio's media URL
({RecordingUrl}.mp3 behind the account's basic auth); the provider's URL and credentials
never reach the browser.
"""
from __future__ import annotations

import base64

import pytest

from server.models import CallLog
from server.tests.voice.conftest import RECORDING


@pytest.fixture()
def twilio_media(fake_server, voice_config, monkeypatch):
    """Recordings on 127.0.0.1 that, like an account with media auth on, need basic auth."""
    monkeypatch.setitem(voice_config, "TWILIO_ACCOUNT_SID", "AC123")
    monkeypatch.setitem(voice_config, "TWILIO_AUTH_TOKEN", "auth-token-xyz")
    expected = "Basic " + base64.b64encode(b"AC123:auth-token-xyz").decode()

    def handler(seen):
        if seen.headers.get("authorization") != expected:
            return 401, {"Content-Type": "application/json"}, b'{"code":20003,"message":"Authenticate"}'
        return 200, {"Content-Type": "audio/mpeg"}, RECORDING
    fake_server.route("GET", "/2010-04-01/Accounts/AC123/Recordings/RE1.mp3", handler=handler)
    return fake_server


def _call(db, business, recording_url=None, customer=None, sid="CA-rec-1"):
    call = CallLog(call_sid=sid, business_id=business.id, customer_id=customer.id if customer else None,
                   from_number="+972501234567", status="completed", recording_url=recording_url)
    db.session.add(call)
    db.session.commit()
    return call


def _recording_url(server) -> str:
    return f"{server.url}/2010-04-01/Accounts/AC123/Recordings/RE1"


def test_viewer_hears_the_recording_with_the_accounts_credentials(client, db, login_as, make_business, twilio_media):
    business = make_business("מספרת רותי")
    call = _call(db, business, _recording_url(twilio_media))
    login_as("viewer", business)

    r = client.get(f"/api/calls/{call.id}/recording")

    assert r.status_code == 200
    assert r.mimetype == "audio/mpeg"
    assert r.data == RECORDING
    assert r.headers["Cache-Control"] == "private, no-store"
    assert [seen.path for seen in twilio_media.requests] == ["/2010-04-01/Accounts/AC123/Recordings/RE1.mp3"]
    assert b"auth-token-xyz" not in r.data and b"127.0.0.1" not in r.data


def test_the_audio_element_can_seek_with_a_byte_range(client, db, login_as, make_business, twilio_media):
    business = make_business()
    call = _call(db, business, _recording_url(twilio_media))
    login_as("staff", business)

    r = client.get(f"/api/calls/{call.id}/recording", headers={"Range": "bytes=0-9"})

    assert r.status_code == 206
    assert r.data == RECORDING[:10]
    assert r.headers["Content-Range"] == f"bytes 0-9/{len(RECORDING)}"


def test_timeline_and_calls_log_point_the_player_at_the_api(client, db, login_as, make_business, make_customer,
                                                             twilio_media):
    business = make_business()
    dana = make_customer(business, name="דנה כהן")
    call = _call(db, business, _recording_url(twilio_media), customer=dana)
    silent = _call(db, business, None, customer=dana, sid="CA-rec-2")
    login_as("viewer", business)

    items = client.get(f"/api/customers/{dana.id}/timeline").get_json()
    by_id = {i["data"]["id"]: i["data"] for i in items}
    logged = {c["id"]: c for c in client.get("/api/calls").get_json()["items"]}

    assert by_id[call.id]["recording"] == logged[call.id]["recording"] == f"/api/calls/{call.id}/recording"
    assert by_id[silent.id]["recording"] is None and logged[silent.id]["recording"] is None
    played = client.get(by_id[call.id]["recording"])
    assert played.status_code == 200 and played.data == RECORDING


def test_another_business_call_is_a_404_and_nothing_is_fetched(client, db, login_as, make_business, twilio_media):
    mine, theirs = make_business("מספרת רותי"), make_business("מוסך אבי")
    call = _call(db, theirs, _recording_url(twilio_media))
    login_as("admin", mine)

    r = client.get(f"/api/calls/{call.id}/recording")
    asked_for_theirs = client.get(f"/api/calls/{call.id}/recording?business_id={theirs.id}")

    assert (r.status_code, r.get_json()) == (404, {"error": "not found", "code": "not_found"})
    assert asked_for_theirs.status_code == 404
    assert twilio_media.requests == []


def test_platform_admin_hears_any_business_recording(client, db, login_as, make_business, twilio_media):
    call = _call(db, make_business(), _recording_url(twilio_media))
    login_as("admin")  # no business: the platform admin
    r = client.get(f"/api/calls/{call.id}/recording")
    assert r.status_code == 200 and r.data == RECORDING


def test_call_without_recording_is_a_json_404(client, db, login_as, make_business, twilio_media):
    business = make_business()
    call = _call(db, business, None)
    login_as("viewer", business)

    r = client.get(f"/api/calls/{call.id}/recording")
    missing = client.get("/api/calls/999999/recording")

    assert (r.status_code, r.get_json()) == (404, {"error": "no recording", "code": "recording_not_found"})
    assert (missing.status_code, missing.get_json()) == (404, {"error": "not found", "code": "not_found"})


def test_logged_out_is_a_401(client, db, make_business, twilio_media):
    call = _call(db, make_business(), _recording_url(twilio_media))
    r = client.get(f"/api/calls/{call.id}/recording")
    assert (r.status_code, r.get_json()) == (401, {"error": "unauthorized", "code": "unauthorized"})
    assert twilio_media.requests == []


def test_a_host_outside_the_allow_list_is_never_fetched(client, db, login_as, make_business, twilio_media,
                                                        monkeypatch, voice_config):
    monkeypatch.setitem(voice_config, "RECORDING_HOSTS", "api.twilio.com")
    business = make_business()
    call = _call(db, business, _recording_url(twilio_media))
    login_as("staff", business)

    r = client.get(f"/api/calls/{call.id}/recording")

    # 502 like any other download failure: the status does not tell a refused URL apart.
    assert (r.status_code, r.get_json()) == (502, {"error": "recording unavailable", "code": "recording_unavailable"})
    assert twilio_media.requests == []


def test_provider_failure_is_a_502_without_its_details(client, db, login_as, make_business, fake_server,
                                                      voice_config):
    fake_server.route("GET", "/Recordings/RE9.mp3", status=500, body={"message": "internal", "secret": "x"})
    business = make_business()
    call = _call(db, business, f"{fake_server.url}/Recordings/RE9")
    login_as("staff", business)

    r = client.get(f"/api/calls/{call.id}/recording")

    assert (r.status_code, r.get_json()) == (502, {"error": "recording unavailable", "code": "recording_unavailable"})
    assert len(fake_server.requests) == 1
