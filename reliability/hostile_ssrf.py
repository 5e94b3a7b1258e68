"""Hostile input: recording URLs planted to reach the server's own network (SSRF).

Calls of business A carry RecordingUrl forms a lenient parser reads as api.twilio.com
(the default RECORDING_HOSTS) while the connection would go to an "internal" service on a
loopback port. A's admin plays each through nginx → gunicorn. Pass: the internal service
never sees a connection, every answer is the same 502, and no role's calls list carries
the provider's URL.
"""
from __future__ import annotations

import socket
import threading

from reliability.harness import Harness, Result

FORMS = (
    "http://127.0.0.1:{port}\\@api.twilio.com/x",
    "http://127.0.0.1:{port}\\.api.twilio.com/x",
    "http://api.twilio.com@127.0.0.1:{port}/x",
    "http://api.twilio.com:pw@127.0.0.1:{port}/x",
    "http://127.0.0.1:{port}#@api.twilio.com/x",
    "http://127.0.0.1:{port}?@api.twilio.com/x",
    "http://api.twilio.com\t@127.0.0.1:{port}/x",
    "http://2130706433:{port}/x",
    "http://[::ffff:127.0.0.1]:{port}/x",
    "gopher://127.0.0.1:{port}/x",
)


class _Internal:
    """A loopback service that counts every connection it is offered."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.accepted = 0
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.accepted += 1
            body = b'{"internal":"metadata-secret"}'
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: audio/mpeg\r\nContent-Length: "
                         + str(len(body)).encode() + b"\r\n\r\n" + body)
            conn.close()

    def close(self):
        self.sock.close()


def check_ssrf(h: Harness) -> list[Result]:
    name = "hostile: planted recording URLs (SSRF forms)"
    if not h.has_route("/api/calls/<int:call_id>/recording", "GET"):
        return [Result(name, "not run", "", "no GET /api/calls/<id>/recording on this build")]
    from server.extensions import db
    from server.models import CallLog

    internal = _Internal()
    call_ids = []
    try:
        with h.app.app_context():
            for n, form in enumerate(FORMS):
                call = CallLog(business_id=h.ids["business_a"], call_sid=f"CA-ssrf-rel-{n}", status="completed",
                               from_number="+972547000001", recording_url=form.format(port=internal.port))
                db.session.add(call)
                db.session.flush()
                call_ids.append(call.id)
            db.session.commit()
        admin = h.sessions["a_admin"]
        answers = {}
        for call_id in call_ids:
            r = admin.http.get(f"{h.base}/api/calls/{call_id}/recording", timeout=20)
            answers.setdefault((r.status_code, r.text.strip()), []).append(call_id)
        leaks = [role for role in ("a_admin", "a_staff", "a_viewer")
                 if any(s in h.sessions[role].http.get(f"{h.base}/api/calls?limit=100", timeout=20).text
                        for s in ("recording_url", f":{internal.port}"))]
    finally:
        internal.close()
        with h.app.app_context():
            db.session.query(CallLog).filter(CallLog.id.in_(call_ids)).delete(synchronize_session=False)
            db.session.commit()
    problems = []
    if internal.accepted:
        problems.append(f"the internal port got {internal.accepted} connections")
    if len(answers) != 1 or next(iter(answers))[0] != 502:
        problems.append(f"answers differ or are not 502: {sorted((s, len(v)) for (s, _), v in answers.items())}")
    if leaks:
        problems.append(f"calls list carries the provider's URL for {leaks}")
    return [Result(name, "FAIL" if problems else "pass",
                   f"{len(FORMS)} forms, internal connections {internal.accepted}, "
                   f"statuses {sorted({s for s, _ in answers})}", "; ".join(problems))]
