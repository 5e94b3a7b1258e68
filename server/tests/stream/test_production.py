"""Production: nginx → gunicorn (gthread) → the Media Streams websocket, signed by Twilio."""
from __future__ import annotations

import sys

import pytest
from simple_websocket.errors import ConnectionError as RefusedUpgrade

from deploy import stack as st
from server.tests.ops.test_deploy import needs_nginx
from server.tests.stream.media_client import MediaStreamClient

TOKEN = "prod-twilio-token"


@pytest.fixture()
def stream_stack(tmp_path):
    port = st.free_port()
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'stack.db'}", "SECRET_KEY": "stack-test-secret-key-0123456789abcdef",
           "HUEY_SQLITE_PATH": str(tmp_path / "huey.db"), "REDIS_URL": "", "MEDIA_DIR": str(tmp_path / "media"),
           "HOST": f"http://127.0.0.1:{port}", "TWILIO_AUTH_TOKEN": TOKEN,
           "ASR_PROVIDER": "openai", "ESPEAK_MODE": "raw"}
    s = st.Stack(st.StackConfig(run_dir=tmp_path / "run", nginx_port=port, web_ports=[st.free_port()],
                                env=env, dist_dir=tmp_path, threads=8, python=sys.executable))
    try:
        s.start(timeout=60)
        _stream_business(tmp_path / "stack.db")
        yield s
    finally:
        s.stop()


def _stream_business(path) -> None:
    """A business in voice_mode "stream": its signed incoming_call answers the <Stream> (and the
    one-time token) that the client presents, as Twilio would."""
    import sqlite3
    with sqlite3.connect(path) as conn:
        conn.execute("INSERT INTO business (name, active, voice_number, whatsapp_provider, whatsapp_config, settings,"
                     " last_invoice_number, created_at, updated_at) VALUES ('סטרים', 1, '+97235551234', 'dev', '{}',"
                     " '{\"voice_mode\": \"stream\"}', 0, datetime('now'), datetime('now'))")


@needs_nginx
def test_media_stream_websocket_through_nginx_and_gunicorn(stream_stack):
    url = stream_stack.url("/webhook/media_stream").replace("http://", "ws://")
    with pytest.raises(RefusedUpgrade) as refused:
        MediaStreamClient(url, signature="forged")
    assert refused.value.status_code == 403
    client = MediaStreamClient(url, auth_token=TOKEN)
    try:
        client.begin({"From": "+972502345678", "To": "+97235551234"})
        assert client.wait_for(lambda: client.messages("mark"), timeout=30), "no greeting through the proxy"
        assert len(client.messages("media")) > 20
        client.stop()
    finally:
        client.hang_up()
