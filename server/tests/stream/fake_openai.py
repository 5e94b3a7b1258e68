"""A local server speaking OpenAI's streaming chat-completions wire format (SSE chunks)."""
from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FakeOpenAI:
    def __init__(self, pieces: list[str], pause_after: int | None = None, pause_s: float = 0.0,
                 status: int = 200, raw_lines: list[bytes] | None = None):
        self.pieces, self.pause_after, self.pause_s = pieces, pause_after, pause_s
        self.status, self.raw_lines = status, raw_lines
        self.requests: list[dict] = []
        self.finished_at: float | None = None
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
                fake.requests.append({"path": self.path, "body": body,
                                      "authorization": self.headers.get("Authorization")})
                if fake.status != 200:
                    payload = b'{"error":{"message":"overloaded","type":"server_error"}}'
                    self.send_response(fake.status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                    return
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()

                def chunk(data: bytes):
                    self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
                    self.wfile.flush()
                try:
                    lines = fake.raw_lines
                    if lines is None:
                        lines = []
                        for piece in fake.pieces:
                            event = {"id": "chatcmpl-1", "object": "chat.completion.chunk", "model": "gpt-4o-mini",
                                     "choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}]}
                            lines.append(b"data: " + json.dumps(event, ensure_ascii=False).encode() + b"\n\n")
                        lines.append(b"data: [DONE]\n\n")
                    for i, line in enumerate(lines):
                        if fake.pause_after is not None and i == fake.pause_after:
                            time.sleep(fake.pause_s)
                        chunk(line)
                    chunk(b"")
                except (BrokenPipeError, ConnectionResetError):
                    pass
                fake.finished_at = time.perf_counter()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def close(self):
        self.server.shutdown()
        self.server.server_close()
