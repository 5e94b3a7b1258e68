"""Without Redis the job worker relays its live events to the web process (signed, loopback)."""
from __future__ import annotations

import json
import threading

import pytest
from werkzeug.serving import make_server

from server.extensions import socketio
from server.services import realtime
from server.tests.conftest import login


@pytest.fixture
def web_process(app):
    """The app served over real HTTP on 127.0.0.1, as the worker's relay target."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    realtime.stop_relaying()


def _listening_staff(app, business, make_user):
    http = app.test_client()
    login(http, make_user("staff", business).email)
    sock = socketio.test_client(app, flask_test_client=http)
    assert sock.is_connected()
    sock.get_received()
    return sock


def test_a_worker_event_reaches_the_browser_through_the_web_process(app, db, make_business, make_user,
                                                                     web_process):
    mine, other = make_business("מספרת רותי"), make_business("מוסך אבי")
    my_sock, their_sock = _listening_staff(app, mine, make_user), _listening_staff(app, other, make_user)

    realtime.relay_through(web_process, app.config["SECRET_KEY"])  # what server/worker.py does without Redis
    realtime.publish(mine.id, "whatsapp.status", {"id": 9, "status": "delivered", "text": "נמסר"})

    received = [(m["name"], m["args"][0]) for m in my_sock.get_received()]
    assert received == [("whatsapp.status", {"id": 9, "status": "delivered", "text": "נמסר"})]
    assert their_sock.get_received() == []


def test_a_relay_failure_never_fails_the_job(app, db, make_business, caplog):
    business = make_business()
    realtime.relay_through("http://127.0.0.1:9", app.config["SECRET_KEY"])  # nothing listens there
    try:
        realtime.publish(business.id, "call.updated", {"id": 1})  # no exception reaches the job
    finally:
        realtime.stop_relaying()
    assert any("realtime relay of call.updated failed" in r.getMessage() for r in caplog.records)


def _post(client, body: bytes, signature: str):
    return client.post(realtime.RELAY_PATH, data=body, content_type="application/json",
                       headers={realtime.RELAY_SIGNATURE_HEADER: signature})


def test_a_forged_or_unsigned_relay_is_refused_and_emits_nothing(app, client, db, make_business, make_user):
    business = make_business()
    sock = _listening_staff(app, business, make_user)
    body = json.dumps({"business_id": business.id, "event": "call.created", "payload": {"id": 1}}).encode()

    assert _post(client, body, "").status_code == 403
    forged = _post(client, body, realtime.relay_signature("not-the-secret", body))
    assert forged.status_code == 403 and forged.get_json() == {"error": "forbidden", "code": "forbidden"}
    assert sock.get_received() == []

    assert _post(client, body, realtime.relay_signature(app.config["SECRET_KEY"], body)).status_code == 204
    assert [m["name"] for m in sock.get_received()] == ["call.created"]


@pytest.mark.parametrize("body", [b"not json", b"[]", b'{"business_id": "1", "event": "x", "payload": {}}',
                                  b'{"business_id": 1, "event": "x"}', b"[" * 100_000 + b"]" * 100_000])
def test_a_malformed_relay_is_422(app, client, body):
    response = _post(client, body, realtime.relay_signature(app.config["SECRET_KEY"], body))
    assert response.status_code == 422
    assert response.get_json()["error"] == "validation"


def test_the_relay_is_not_part_of_the_public_api_document(client):
    paths = client.get("/api/openapi.json").get_json()["paths"]
    assert realtime.RELAY_PATH not in paths and "/api/auth/login" in paths
