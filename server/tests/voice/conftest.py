"""Voice fixtures: a real HTTP server on 127.0.0.1 that speaks a provider's wire format,
Twilio-style form posts, and captured realtime events."""
from __future__ import annotations

import json
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


@dataclass
class Seen:
    method: str
    path: str
    headers: dict
    body: bytes

    def json(self):
        return json.loads(self.body)


@dataclass
class FakeServer:
    """Routes: (method, path) → callable(Seen) → (status, headers, body[, delay_s])."""
    routes: dict = field(default_factory=dict)
    requests: list = field(default_factory=list)
    url: str = ""

    def route(self, method: str, path: str, status: int = 200, body=b"", headers: dict | None = None,
              delay: float = 0.0, handler=None):
        if handler is None:
            payload = json.dumps(body, ensure_ascii=False).encode() if isinstance(body, (dict, list)) else body
            ctype = "application/json" if isinstance(body, (dict, list)) else "application/octet-stream"
            hdrs = {"Content-Type": ctype, **(headers or {})}

            def handler(seen, status=status, payload=payload, hdrs=hdrs, delay=delay):
                return status, hdrs, payload, delay
        self.routes[(method, path)] = handler


@contextmanager
def serving(tls=None):
    """A FakeServer on 127.0.0.1; `tls`, an ssl.SSLContext, makes it speak https."""
    server_state = FakeServer()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def _serve(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            path = self.path.split("?", 1)[0]
            seen = Seen(self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body)
            server_state.requests.append(seen)
            handler = server_state.routes.get((self.command, path))
            if handler is None:
                status, headers, payload, delay = 404, {"Content-Type": "application/json"}, b'{"error":"nf"}', 0
            else:
                status, headers, payload, *rest = handler(seen)
                delay = rest[0] if rest else 0
            if delay:
                # Headers first, then stall mid-body: a slow server, not just a slow connect.
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                try:
                    self.wfile.write(payload[:10])
                    self.wfile.flush()
                    time.sleep(delay)
                    self.wfile.write(payload[10:])
                except (BrokenPipeError, ConnectionResetError):
                    pass
                return
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_DELETE = _serve

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    if tls is not None:
        httpd.socket = tls.wrap_socket(httpd.socket, server_side=True)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    server_state.url = f"{'https' if tls else 'http'}://127.0.0.1:{httpd.server_address[1]}"
    try:
        yield server_state
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture()
def fake_server():
    with serving() as server:
        yield server


@pytest.fixture()
def other_server():
    """A second server on its own port (a redirect target, another host)."""
    with serving() as server:
        yield server


@pytest.fixture()
def voice_config(app, monkeypatch, tmp_path):
    """Fast, deterministic voice settings: recordings from 127.0.0.1, plain espeak, media in tmp."""
    settings = {
        "RECORDING_HOSTS": "127.0.0.1",
        "RECORDING_TIMEOUT": 2,
        "PROVIDER_TIMEOUT": 2,
        "ESPEAK_MODE": "raw",
        "TTS_PROVIDER": "espeak",
        "REPLY_PROVIDER": "offline",
        "ASR_PROVIDER": "openai",
        "OPENAI_API_KEY": "sk-test-not-a-real-key",
        "MEDIA_DIR": str(tmp_path / "media"),
        "HOST": "",
    }
    for key, value in settings.items():
        monkeypatch.setitem(app.config, key, value)
    return app.config


@pytest.fixture()
def events(monkeypatch):
    """Realtime events the voice service published: [(business_id, event, payload)]."""
    seen = []
    for module in ("calls", "turns"):
        monkeypatch.setattr(f"server.services.voice.{module}.publish",
                            lambda bid, event, payload: seen.append((bid, event, payload)))
    return seen


# These tests are about the agent reading a caller's records; the second factor that guards
# them by default is tested in test_caller_verification.py, so this business turns it off.
NO_CALLER_VERIFICATION = {"invoices": False, "contracts": False, "tasks": False}


@pytest.fixture()
def voice_business(make_business):
    return make_business("מספרת רותי", voice_number="+97235551234",
                         settings={"hours": {"sun": "09:00-17:00", "mon": "09:00-17:00", "tue": "09:00-17:00",
                                             "wed": "09:00-17:00", "thu": "09:00-17:00", "fri": "08:00-13:00"},
                                   "caller_verification": NO_CALLER_VERIFICATION})


def call_form(call_sid="CA0001", caller="+972502345678", to="+97235551234", **extra):
    form = {"CallSid": call_sid, "From": caller, "To": to, "AccountSid": "AC123", "Direction": "inbound"}
    form.update(extra)
    return form


@pytest.fixture(autouse=True)
def _turns_finish():
    """A turn still running in a thread must not outlive its test's database."""
    yield
    from server.services.voice.runner import wait_idle
    wait_idle()


RECORDING = b"ID3\x03\x00\x00\x00\x00\x00\x00" + b"\xff\xfb\x90\x00" * 200


def say_in_turn(fake_server, *texts, delay: float = 0.0):
    """The fake OpenAI transcription answers these texts in order (the last one repeats)."""
    queue = list(texts)

    def handler(seen):
        text = queue.pop(0) if len(queue) > 1 else queue[0]
        return 200, {"Content-Type": "application/json"}, json.dumps({"text": text}, ensure_ascii=False).encode(), delay
    fake_server.route("POST", "/v1/audio/transcriptions", handler=handler)
    fake_server.route("GET", "/rec/RE1.mp3", body=RECORDING, headers={"Content-Type": "audio/mpeg"})
    return f"{fake_server.url}/rec/RE1"
