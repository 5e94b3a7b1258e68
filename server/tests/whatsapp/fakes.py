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
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse


@dataclass
class Raw:
    """A non-JSON answer: a media file, a redirect."""
    data: bytes
    content_type: str = "application/octet-stream"
    headers: dict = field(default_factory=dict)


class FakeProvider:
    def __init__(self):
        self.lock = threading.Lock()
        self.deliveries: list[dict] = []
        self.requests: list[tuple[str, str]] = []
        self.media: dict[str, tuple[bytes, str]] = {}  # media id → (bytes, content type) it serves
        self.media_auth: list[str | None] = []  # the Authorization header of each media download
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
                headers = {}
                if isinstance(body, Raw):
                    body, content_type, headers = body.data, body.content_type, body.headers
                data = body if isinstance(body, bytes) else (json.dumps(body) if not isinstance(body, str) else body).encode()
                try:
                    self.send_response(status)
                    for name, value in headers.items():
                        self.send_header(name, value)
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

    def media_url(self, media_id: str, message_sid: str = "MM0001") -> str:
        return f"{self.url}/2010-04-01/Accounts/{self.account_sid}/Messages/{message_sid}/Media/{media_id}"

    def _media(self, handler, parsed):
        """GET .../Media/ME… (basic auth) → 307 to the file on the CDN path, as Twilio answers."""
        media_id = parsed.path.rsplit("/", 1)[-1]
        if not self._authorized(handler):
            return self._error(401, 20003, "Authenticate")
        if media_id not in self.media:
            return self._error(404, 20404, "The requested resource was not found")
        return 307, Raw(b"", "text/plain", {"Location": f"/cdn/{media_id}"}), None

    def _cdn(self, handler, parsed):
        media_id = parsed.path.rsplit("/", 1)[-1]
        with self.lock:
            self.media_auth.append(handler.headers.get("Authorization"))
        failure = self._next_failure()
        if failure is not None:
            return failure[0], failure[1], None
        data, content_type = self.media[media_id]
        return 200, Raw(data, content_type), self._after_accept()

    def handle(self, handler, method, parsed, raw):
        path = f"/2010-04-01/Accounts/{self.account_sid}/Messages.json"
        if method == "GET" and "/Media/" in parsed.path:
            return self._media(handler, parsed)
        if method == "GET" and parsed.path.startswith("/cdn/"):
            return self._cdn(handler, parsed)
        if parsed.path != path:
            return self._error(404, 20404, "The requested resource was not found")
        if not self._authorized(handler):
            return self._error(401, 20003, "Authenticate")
        if method == "GET":
            return self._list(parse_qs(parsed.query))
        failure = self._next_failure()
        if failure is not None:
            return failure[0], failure[1], None
        multi = parse_qs(raw.decode(), keep_blank_values=True)
        form = {k: v[0] for k, v in multi.items()}
        if "MediaUrl" in multi:
            form["MediaUrl"] = multi["MediaUrl"]
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
        if not body and not form.get("MediaUrl"):
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
        self.uploads: dict[str, dict] = {}
        super().__init__()

    @staticmethod
    def _error(status: int, code: int, message: str, details: str | None = None):
        error = {"message": message, "type": "OAuthException", "code": code, "fbtrace_id": uuid.uuid4().hex[:20]}
        if details:
            error["error_data"] = {"messaging_product": "whatsapp", "details": details}
        return status, {"error": error}, None

    def _media_info(self, handler, media_id: str):
        """GET /{version}/{media-id} → where to download it (a short-lived URL) and what it is."""
        if handler.headers.get("Authorization") != f"Bearer {self.access_token}":
            return self._error(401, 190, "Invalid OAuth access token - Cannot parse access token")
        if media_id not in self.media:
            return self._error(400, 100, "Unsupported get request. Object with ID does not exist")
        data, content_type = self.media[media_id]
        import hashlib
        return 200, {"messaging_product": "whatsapp", "id": media_id, "mime_type": content_type,
                     "sha256": hashlib.sha256(data).hexdigest(), "file_size": str(len(data)),
                     "url": f"{self.url}/whatsapp_business/attachments/?mid={media_id}&ext=1764000000"}, None

    def _download(self, handler, parsed):
        media_id = (parse_qs(parsed.query).get("mid") or [""])[0]
        with self.lock:
            self.media_auth.append(handler.headers.get("Authorization"))
        if handler.headers.get("Authorization") != f"Bearer {self.access_token}":
            return 404, Raw(b"Not Found", "text/plain"), None
        failure = self._next_failure()
        if failure is not None:
            return failure[0], failure[1], None
        data, content_type = self.media[media_id]
        return 200, Raw(data, content_type), self._after_accept()

    def _upload(self, handler, phone_number_id: str, raw: bytes):
        """POST /{version}/{phone-number-id}/media (multipart file, type, messaging_product) → {"id"}."""
        if handler.headers.get("Authorization") != f"Bearer {self.access_token}":
            return self._error(401, 190, "Invalid OAuth access token - Cannot parse access token")
        from email.parser import BytesParser
        from email.policy import HTTP
        message = BytesParser(policy=HTTP).parsebytes(
            b"Content-Type: " + handler.headers.get("Content-Type", "").encode() + b"\r\n\r\n" + raw)
        parts = {part.get_param("name", header="content-disposition"): part for part in message.iter_parts()}
        if "file" not in parts or (parts.get("messaging_product") is None
                                   or parts["messaging_product"].get_content().strip() != "whatsapp"):
            return self._error(400, 100, "Invalid parameter", "messaging_product and file are required")
        media_id = str(uuid.uuid4().int)[:16]
        with self.lock:
            self.uploads[media_id] = {"phone_number_id": phone_number_id,
                                      "type": parts["type"].get_content().strip() if "type" in parts else None,
                                      "filename": parts["file"].get_filename(),
                                      "data": parts["file"].get_payload(decode=True)}
        return 200, {"id": media_id}, None

    def handle(self, handler, method, parsed, raw):
        if method == "GET" and parsed.path == "/whatsapp_business/attachments/":
            return self._download(handler, parsed)
        info = re.fullmatch(rf"/{re.escape(self.version)}/(\d+)", parsed.path)
        if method == "GET" and info:
            return self._media_info(handler, info.group(1))
        upload = re.fullmatch(rf"/{re.escape(self.version)}/(\d+)/media", parsed.path)
        if method == "POST" and upload:
            return self._upload(handler, upload.group(1), raw)
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
        if kind in ("image", "document") and (payload.get(kind) or {}).get("id") not in self.uploads:
            return self._error(400, 131053, "Media upload error", "unknown media id")
        if kind == "template":
            template = payload.get("template") or {}
            if not template.get("name") or not (template.get("language") or {}).get("code"):
                return self._error(400, 132000, "Number of parameters does not match the expected number of params")
        wamid = "wamid." + base64.b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        with self.lock:
            self.deliveries.append({"id": wamid, "phone_number_id": match.group(1), "payload": payload})
        return 200, {"messaging_product": "whatsapp", "contacts": [{"input": to, "wa_id": to}],
                     "messages": [{"id": wamid}]}, self._after_accept()
