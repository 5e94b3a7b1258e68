"""The seed's smoke tests (section 10.1)."""


def test_health(client):
    r = client.get("/health")
    assert r.status_code == 200
    assert r.get_json()["status"] == "ok"


def test_twilio_incoming(client):
    r = client.post("/webhook/incoming_call")
    assert r.status_code == 200
    assert b"<Record" in r.data
    assert b'maxLength="30"' in r.data
    assert b'timeout="5"' in r.data
    assert b'finishOnKey="*"' in r.data


def test_twilio_call_status(client):
    assert client.post("/webhook/call_status").status_code == 200
