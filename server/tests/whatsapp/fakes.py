"""Local stand-ins for api.twilio.com and graph.facebook.com on 127.0.0.1.

They speak the providers' documented wire formats (request shapes, auth, status codes,
JSON bodies) and record every message they accept, so a test can count deliveries.
Failure knobs: `fail_next` (answer errors instead of accepting; status 0 = hang up
without answering), `delay_next`
(accept, then answer late: a client timeout), `hold_next` (accept, then block until
`release()`: the window in which a test kills the worker).
"""
from __future__ import annotations

import base64
import json
import re
import threading
import time
import uuid
from email.utils import format_datetime
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse


class FakeProvider:
    def __init__(self):
        self.lock = threading.Lock()
        self.deliveries: list[dict] = []
        self.requests: list[tuple[str, str]] = []
        self.fail_next: list[tuple[int, dict | str]] = []
        self.delay_next: list[float] = []
        self.hold_next = 0
        self.held = threading.Event()
        self._release = threading.Event()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # keep test output clean
                pass

            def _reply(self, status: int, body, content_type="application/json"):
                data = body if isinstance(body, bytes) else (json.dumps(body) if not isinstance(body, str) else body).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", content_type)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:
                    pass  # the client is gone (killed worker, timed-out request)

            def do_GET(self):
                fake._dispatch(self, "GET")

            def do_POST(self):
                fake._dispatch(self, "POST")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self):
        self.release()
        self.server.shutdown()
        self.server.server_close()

    def release(self):
        self._release.set()

    def _dispatch(self, handler, method: str):
        parsed = urlparse(handler.path)
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length) if length else b""
        with self.lock:
            self.requests.append((method, parsed.path))
        status, body, after = self.handle(handler, method, parsed, raw)
        if status == 0:  # drop the connection without an answer (and without accepting)
            handler.close_connection = True
            return
        if after == "hold":
            self.held.set()
            self._release.wait(30)
        elif isinstance(after, float):
            time.sleep(after)
        handler._reply(status, body)

    def _next_failure(self):
        with self.lock:
            return self.fail_next.pop(0) if self.fail_next else None

    def _after_accept(self):
        with self.lock:
            if self.hold_next > 0:
                self.hold_next -= 1
                return "hold"
            if self.delay_next:
                return float(self.delay_next.pop(0))
        return None

    def handle(self, handler, method, parsed, raw):  # pragma: no cover - overridden
        raise NotImplementedError


class FakeTwilio(FakeProvider):
    def __init__(self, account_sid: str, auth_token: str):
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.content: dict[str, str] = {}  # ContentSid → approved body with {{1}} placeholders
        super().__init__()

    def _authorized(self, handler) -> bool:
        header = handler.headers.get("Authorization", "")
        expected = "Basic " + base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        return header == expected

    @staticmethod
    def _error(status: int, code: int, message: str):
        return status, {"code": code, "message": message, "more_info": f"https://www.twilio.com/docs/errors/{code}",
                        "status": status}, None

    def handle(self, handler, method, parsed, raw):
        path = f"/2010-04-01/Accounts/{self.account_sid}/Messages.json"
        if parsed.path != path:
            return self._error(404, 20404, "The requested resource was not found")
        if not self._authorized(handler):
            return self._error(401, 20003, "Authenticate")
        if method == "GET":
            return self._list(parse_qs(parsed.query))
        failure = self._next_failure()
        if failure is not None:
            return failure[0], failure[1], None
        form = {k: v[0] for k, v in parse_qs(raw.decode(), keep_blank_values=True).items()}
        to, sender = form.get("To", ""), form.get("From", "")
        if not re.fullmatch(r"whatsapp:\+\d{8,15}", to):
            return self._error(400, 21211, f"Invalid 'To' Phone Number: {to}")
        if not re.fullmatch(r"whatsapp:\+\d{8,15}", sender):
            return self._error(400, 21212, f"Invalid From Number: {sender}")
        body = form.get("Body")
        if form.get("ContentSid"):
            template = self.content.get(form["ContentSid"])
            if template is None:
                return self._error(400, 21656, "The ContentSid is Invalid.")
            variables = json.loads(form.get("ContentVariables") or "{}")
            body = re.sub(r"\{\{(\w+)\}\}", lambda m: str(variables.get(m.group(1), m.group(0))), template)
        if not body:
            return self._error(400, 21619, "A text message body or media urls must be specified.")
        now = datetime.now(timezone.utc)
        resource = {"sid": "SM" + uuid.uuid4().hex, "account_sid": self.account_sid, "to": to, "from": sender,
                    "body": body, "status": "queued", "direction": "outbound-api", "num_segments": "1",
                    "date_created": format_datetime(now, usegmt=True), "date_sent": None,
                    "date_updated": format_datetime(now, usegmt=True), "error_code": None, "error_message": None,
                    "api_version": "2010-04-01", "uri": f"{path[:-5]}/{uuid.uuid4().hex}.json"}
        with self.lock:
            self.deliveries.append({**resource, "form": form})
        return 201, resource, self._after_accept()

    def _list(self, query):
        to = (query.get("To") or [None])[0]
        sender = (query.get("From") or [None])[0]
        size = int((query.get("PageSize") or [50])[0])
        with self.lock:
            items = [{k: v for k, v in d.items() if k != "form"} for d in reversed(self.deliveries)
                     if (to is None or d["to"] == to) and (sender is None or d["from"] == sender)]
        return 200, {"messages": items[:size], "page": 0, "page_size": size, "next_page_uri": None}, None


class FakeMeta(FakeProvider):
    def __init__(self, access_token: str, version: str = "v21.0"):
        self.access_token = access_token
        self.version = version
        super().__init__()

    @staticmethod
    def _error(status: int, code: int, message: str, details: str | None = None):
        error = {"message": message, "type": "OAuthException", "code": code, "fbtrace_id": uuid.uuid4().hex[:20]}
        if details:
            error["error_data"] = {"messaging_product": "whatsapp", "details": details}
        return status, {"error": error}, None

    def handle(self, handler, method, parsed, raw):
        match = re.fullmatch(rf"/{re.escape(self.version)}/(\d+)/messages", parsed.path)
        if method != "POST" or not match:
            return self._error(400, 100, "Unsupported request")
        if handler.headers.get("Authorization") != f"Bearer {self.access_token}":
            return self._error(401, 190, "Invalid OAuth access token - Cannot parse access token")
        failure = self._next_failure()
        if failure is not None:
            return failure[0], failure[1], None
        try:
            payload = json.loads(raw)
        except ValueError:
            return self._error(400, 100, "Invalid parameter")
        if payload.get("messaging_product") != "whatsapp":
            return self._error(400, 100, "Invalid parameter", "messaging_product is required")
        to = str(payload.get("to") or "")
        if not re.fullmatch(r"\d{8,15}", to):
            return self._error(400, 131030, "Recipient phone number not in allowed list")
        kind = payload.get("type", "text")
        if kind == "text" and not (payload.get("text") or {}).get("body"):
            return self._error(400, 100, "Invalid parameter", "text.body is required")
        if kind == "template":
            template = payload.get("template") or {}
            if not template.get("name") or not (template.get("language") or {}).get("code"):
                return self._error(400, 132000, "Number of parameters does not match the expected number of params")
        wamid = "wamid." + base64.b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        with self.lock:
            self.deliveries.append({"id": wamid, "phone_number_id": match.group(1), "payload": payload})
        return 200, {"messaging_product": "whatsapp", "contacts": [{"input": to, "wa_id": to}],
                     "messages": [{"id": wamid}]}, self._after_accept()
