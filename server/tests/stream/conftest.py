"""Stream fixtures: the app served for real on 127.0.0.1 (Werkzeug, threaded — what `make run`
runs), a business in voice_mode "stream", and a Twilio-side Media Streams client."""
from __future__ import annotations

import threading
import time

import pytest
from werkzeug.serving import make_server

from server.tests.stream.media_client import MediaStreamClient


@pytest.fixture()
def live_server(app, db):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


@pytest.fixture()
def stream_config(app, monkeypatch):
    settings = {"ASR_PROVIDER": "local", "REPLY_PROVIDER": "offline", "TTS_PROVIDER": "espeak",
                "ESPEAK_MODE": "raw", "OPENAI_API_KEY": None, "HOST": "", "TWILIO_AUTH_TOKEN": None,
                "STREAM_IDLE_SECONDS": 5}
    for key, value in settings.items():
        monkeypatch.setitem(app.config, key, value)
    return app.config


@pytest.fixture()
def stream_business(make_business):
    return make_business("מספרת רותי", voice_number="+97235551234", settings={
        "voice_mode": "stream", "greeting": "שלום, מספרת רותי.",
        "hours": {"sun": "09:00-17:00", "mon": "09:00-17:00", "tue": "09:00-17:00",
                  "wed": "09:00-17:00", "thu": "09:00-17:00", "fri": "08:00-13:00"}})


@pytest.fixture()
def open_stream(live_server, stream_config):
    clients = []

    def connect(**kwargs) -> MediaStreamClient:
        client = MediaStreamClient(f"ws://{live_server}/webhook/media_stream", **kwargs)
        clients.append(client)
        return client
    yield connect
    for client in clients:
        client.hang_up()


def stream_state(db, call_sid: str, timeout: float = 20.0) -> dict:
    """The call's stream record once the server has closed the stream."""
    from server.models import CallLog
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        db.session.rollback()
        call = db.session.query(CallLog).filter_by(call_sid=call_sid).one_or_none()
        stream = ((call.state or {}).get("stream") or {}) if call else {}
        if stream.get("end_reason"):
            return stream
        time.sleep(0.05)
    raise AssertionError(f"the stream of {call_sid} never ended")


def turns_of(db, call_sid: str) -> list:
    from server.models import CallLog
    db.session.rollback()
    call = db.session.query(CallLog).filter_by(call_sid=call_sid).one()
    return list(call.turns)


CALLER = {"From": "+972502345678", "To": "+97235551234"}
