"""The hostile-input lane: what an attacker on the network, or a careless operator, tries
against the production stack (issue 16). Each row names the promise it checks; the unit
tests prove the same promises in-process, this proves them through nginx and gunicorn."""
from __future__ import annotations

import http.server
import json
import secrets
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import requests

from reliability import hostile_ssrf
from reliability.harness import PASSWORD, PHONE_A, Harness, Result

HANDLE_RECORDING = "/webhook/handle_recording"
CUSTOMERS = "/api/crm/customers"
# Secrets that were published in this repository at some time: none may sign anything.
PUBLISHED_SECRETS = ("dev-insecure-secret", "change-me", "")


class _Canary:
    """A loopback HTTP server no request of the product may ever reach."""

    def __init__(self):
        parent = self
        self.hits: list[str] = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _answer(self):
                parent.hits.append(f"{self.command} {self.path} auth={'Authorization' in self.headers}")
                body = b"ID3 canary: an internal service's secret"
                self.send_response(200)
                self.send_header("Content-Type", "audio/mpeg")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_DELETE = _answer

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def ssrf_forms(port: int) -> list[str]:
    """Recording URLs that name Twilio's host to a naive check but lead to loopback."""
    return [form.format(port=port) for form in hostile_ssrf.FORMS] + [
        f"http://localhost:{port}/Recordings/RE1",
        f"HTTP://127.0.0.1:{port}/Recordings/RE1",
        "file:///etc/passwd",
    ]


def _ssrf_through_the_agent(h: Harness) -> list[Result]:
    """The same forms arriving in the voice webhook: the agent's own fetch of the caller's
    recording (a turn) must not reach the canary either, and playback answers alike."""
    name = "hostile: SSRF forms of RecordingUrl through the voice webhook"
    canary = _Canary()
    try:
        admin = h.sessions["a_admin"]
        statuses, leaks = {}, []
        for n, url in enumerate(ssrf_forms(canary.port)):
            sid = "CAssrf" + secrets.token_hex(13)
            form = {"CallSid": sid, "From": PHONE_A, "To": "+97235550001", "AccountSid": "AC" + "0" * 32,
                    "RecordingUrl": url, "RecordingDuration": "3"}
            r = requests.post(h.base + HANDLE_RECORDING, data=form, timeout=30,
                              headers=h.provider_headers(h.base + HANDLE_RECORDING, form))
            if r.status_code >= 500:
                leaks.append(f"webhook [{n}] → {r.status_code}")
            calls = admin.http.get(h.base + "/api/calls", params={"limit": 100}, timeout=15).json()
            items = calls.get("items", calls) if isinstance(calls, dict) else calls
            call = next((c for c in items if c.get("call_sid") == sid), None)
            if call is None:
                continue
            if "127.0.0.1" in json.dumps(call) or "recording_url" in call:
                leaks.append(f"[{n}] the call's JSON carries the provider URL")
            got = admin.http.get(h.base + f"/api/calls/{call['id']}/recording", timeout=30)
            statuses[got.status_code] = statuses.get(got.status_code, 0) + 1
            if b"canary" in got.content:
                leaks.append(f"[{n}] the canary's body reached the admin")
        time.sleep(1.0)  # a worker that fetches late would hit the canary now
        if canary.hits:
            leaks.append(f"canary reached {len(canary.hits)}×: {canary.hits[:2]}")
        if len(statuses) > 1:
            leaks.append(f"the answers differ by target ({statuses}): a port oracle")
        return [Result(name, "pass" if not leaks else "FAIL",
                       f"{len(ssrf_forms(canary.port))} forms, canary hits {len(canary.hits)}, "
                       f"recording answers {dict(sorted(statuses.items()))}", "; ".join(leaks[:4]))]
    finally:
        canary.close()


def _deep_json_and_surrogates(h: Harness) -> list[Result]:
    from server.models import Customer
    staff = h.sessions["a_staff"]
    before = h.count(Customer)
    cases = {
        "JSON nested 100,000 deep": b'{"name":' + b"[" * 100_000 + b"]" * 100_000 + b"}",
        'lone surrogate "\\ud800" in a name': b'{"name": "\\ud800 \xd7\x93\xd7\xa0\xd7\x94", "phone": "0501112233"}',
        "lone low surrogate in a phone": b'{"name": "\xd7\x93\xd7\xa0\xd7\x94", "phone": "050\\udc00"}',
    }
    rows, bad = [], []
    for label, body in cases.items():
        r = staff.http.post(h.base + CUSTOMERS, data=body, headers={"Content-Type": "application/json"}, timeout=30)
        is_json = r.headers.get("Content-Type", "").startswith("application/json")
        if not (400 <= r.status_code < 500 and is_json):
            bad.append(f"{label} → {r.status_code} {r.text[:80]}")
        rows.append(f"{label} → {r.status_code}")
    healthy = requests.get(h.base + "/health", timeout=10).status_code == 200
    added = h.count(Customer) - before
    ok = not bad and healthy and added == 0
    return [Result("hostile: deep JSON and lone surrogates on /api", "pass" if ok else "FAIL",
                   "; ".join(rows) + f"; customers added {added}; healthy after {healthy}", "; ".join(bad[:3]))]


def _meta_surrogate(h: Harness) -> list[Result]:
    """One delivery, three messages, the middle one carrying a lone surrogate: the good ones
    are stored at once and Meta is told 200, so it stops retrying the delivery."""
    from server.models import WhatsAppMsg
    name = "hostile: Meta delivery with a lone surrogate"
    if not h.has_route("/webhook/whatsapp/meta"):
        return [Result(name, "not run", "", "no Meta webhook on main")]
    tag = secrets.token_hex(4)
    ids = [f"wamid.hostile{tag}{n}" for n in range(3)]

    def message(n: int, text: str) -> str:
        return ('{"from": "972547000001", "id": "%s", "timestamp": "%d", "type": "text", "text": {"body": "%s"}}'
                % (ids[n], int(time.time()), text))
    # Written by hand: json.dumps would escape the surrogate into something harmless.
    body = ('{"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [{"field": "messages", '
            '"value": {"messaging_product": "whatsapp", "metadata": {"display_phone_number": "97235550001", '
            '"phone_number_id": "111"}, "contacts": [{"wa_id": "972547000001", "profile": {"name": "דנה"}}], '
            '"messages": [' + ", ".join([message(0, "שלום ראשון " + tag), message(1, "שבור \\ud800 " + tag),
                                         message(2, "שלום שלישי " + tag)]) + ']}}]}]}').encode()
    url = h.base + "/webhook/whatsapp/meta"
    headers = {"Content-Type": "application/json", **h.provider_headers(url, body)}
    codes = [requests.post(url, data=body, headers=headers, timeout=15).status_code
             for _ in range(2)]  # and Meta's retry
    stored = sorted(m for m in ids if h.count(WhatsAppMsg, provider_message_id=m))
    ok = all(c == 200 for c in codes) and stored == [ids[0], ids[2]]
    return [Result(name, "pass" if ok else "FAIL", f"answers {codes}, stored {len(stored)} of 3 (expected 2)",
                   "" if ok else f"stored {stored}")]


def _forged_secrets(h: Harness) -> list[Result]:
    """A session cookie and a relay event signed with every secret this repo ever published."""
    from flask import Flask
    from flask.sessions import SecureCookieSessionInterface
    from server.models import User
    from server.services.realtime import RELAY_PATH, RELAY_SIGNATURE_HEADER, relay_signature

    admin_id = h.ids["users"]["admin"][0]
    payload = {"user": {"id": admin_id, "email": "admin@rel.test", "role": "admin", "business_id": None},
               "csrf": "forged-csrf"}
    users_before = h.count(User)
    answers, bad = [], []
    for secret in PUBLISHED_SECRETS:
        if secret:
            forger = Flask("forger")
            forger.secret_key = secret
            serializer = SecureCookieSessionInterface().get_signing_serializer(forger)
            cookie = serializer.dumps(payload)
            http = requests.Session()
            http.headers.update({"Cookie": f"kesher_session={cookie}", "X-CSRF-Token": "forged-csrf"})
            me = http.get(h.base + "/api/auth/me", timeout=10).status_code
            made = http.post(h.base + "/api/users", json={"email": f"evil-{secret[:4]}@rel.test", "role": "admin",
                                                          "password": "Evil-pass-123456"}, timeout=10).status_code
            answers.append(f"cookie({secret}) me {me}, POST /api/users {made}")
            if me != 401 or made not in (401, 403):
                bad.append(f"cookie signed with {secret!r} accepted")
        event = json.dumps({"business_id": h.ids["business_a"], "event": "whatsapp.message",
                            "payload": {"body": "forged"}}).encode()
        relay = requests.post(h.base + RELAY_PATH, data=event, timeout=10, headers={
            "Content-Type": "application/json", RELAY_SIGNATURE_HEADER: relay_signature(secret, event)})
        answers.append(f"relay({secret or 'empty'}) {relay.status_code}")
        if relay.status_code not in (403, 404):
            bad.append(f"relay event signed with {secret!r} → {relay.status_code}")
    if h.count(User) != users_before:
        bad.append("a user was created")
    return [Result("hostile: cookies and relay events forged with published secrets", "pass" if not bad else "FAIL",
                   "; ".join(answers), "; ".join(bad[:3]))]


def _headers(h: Harness) -> list[Result]:
    need = ("X-Content-Type-Options", "Content-Security-Policy", "X-Frame-Options", "Referrer-Policy")
    missing = []
    for path in ("/", "/login", "/api/auth/me", "/health"):
        r = requests.get(h.base + path, timeout=10)
        missing += [f"{path}: {k}" for k in need if k not in r.headers]
        csp = r.headers.get("Content-Security-Policy", "")
        if csp and "frame-ancestors 'none'" not in csp:
            missing.append(f"{path}: CSP without frame-ancestors 'none'")
    return [Result("hostile: secure headers through nginx", "pass" if not missing else "FAIL",
                   f"checked {', '.join(need)} on 4 paths", "; ".join(missing[:4]))]


def _revocation(h: Harness) -> list[Result]:
    """A cookie copied before logout is dead after it, on every web process."""
    name = "hostile: a copied cookie after logout"
    session = h.login(h.ids["users"]["a_revoked"][1])
    copied = {"Cookie": session.cookie, "X-CSRF-Token": session.csrf}
    alive = requests.get(h.base + "/api/auth/me", headers=copied, timeout=10).status_code
    session.http.post(h.base + "/api/auth/logout", timeout=10)
    answers = []
    for index in range(len(h.stack.config.web_ports)):
        me = requests.get(h.web_url(index, "/api/auth/me"), headers=copied, timeout=10).status_code
        made = requests.post(h.web_url(index, CUSTOMERS), headers=copied, timeout=10,
                             json={"name": "אחרי יציאה", "phone": "0509998877"}).status_code
        answers.append((me, made))
    ok = alive == 200 and all(me == 401 and made in (401, 403) for me, made in answers)
    return [Result(name, "pass" if ok else "FAIL", f"before logout {alive}; after, per web process {answers}")]


def _login_race(h: Harness, attempts: int = 30) -> list[Result]:
    """30 wrong passwords at once for one account: the limit (5/min) holds under concurrency."""
    email = h.ids["users"]["a_viewer"][1]

    def attempt(_):
        return requests.post(h.base + "/api/auth/login", json={"email": email, "password": "wrong-password"},
                             timeout=20).status_code

    with ThreadPoolExecutor(attempts) as pool:
        codes = list(pool.map(attempt, range(attempts)))
    real = codes.count(401)
    ok = real <= 5 and codes.count(429) == attempts - real
    return [Result("hostile: 30 concurrent wrong passwords", "pass" if ok else "FAIL",
                   f"{real} real 401, {codes.count(429)} × 429 (limit 5)",
                   "" if ok else f"statuses {sorted(set(codes))}")]


# The seeded accounts (reliability/harness.py _seed): role and business key.
_ACCOUNTS = {"admin": ("admin", None), "a_admin": ("admin", "business_a"), "a_staff": ("staff", "business_a"),
             "a_viewer": ("viewer", "business_a"), "b_staff": ("staff", "business_b"),
             "a_revoked": ("staff", "business_a")}


# The seeded businesses' numbers (reliability/harness.py _seed): the webhooks route by them.
_NUMBERS = {"business_a": "+97235550001", "business_b": "+97235550002"}


def _restore_accounts(h: Harness) -> None:
    """schemathesis, as the platform admin, may have deactivated or deleted a seeded business
    or changed a seeded user's password, role or state (which ends that user's sessions).
    Put them back and log in afresh."""
    from server.extensions import db
    from server.models import Business, User
    from server.services.auth import end_sessions, hash_password

    with h.app.app_context():
        for key, number in _NUMBERS.items():
            business = db.session.get(Business, h.ids[key])
            business.active, business.deleted_at = True, None
            business.voice_number = business.whatsapp_number = number
        hashed = hash_password(PASSWORD)
        for key, (role, business) in _ACCOUNTS.items():
            user = db.session.get(User, h.ids["users"][key][0])
            if user is None:
                continue
            user.role, user.business_id, user.active = role, h.ids.get(business), True
            user.email, user.password_hash = h.ids["users"][key][1], hashed
            end_sessions(user)  # the sessions made before are replaced below
        db.session.commit()
    for key in ("admin", "a_admin", "a_staff", "a_viewer", "b_staff"):
        h.sessions[key] = h.login(h.ids["users"][key][1])


def check_hostile(h: Harness) -> list[Result]:
    _restore_accounts(h)
    rows: list[Result] = []
    # The login race runs last: it spends the loopback address's login budget for a minute.
    for part in (_headers, _forged_secrets, _deep_json_and_surrogates, _meta_surrogate, hostile_ssrf.check_ssrf,
                 _ssrf_through_the_agent, _revocation, _login_race):
        try:
            rows += part(h)
        except Exception as exc:  # noqa: BLE001 — a crashed part is a failed part, the others still run
            rows.append(Result(f"hostile: {part.__name__.strip('_')}", "FAIL", "",
                               f"crashed: {exc.__class__.__name__}: {exc}"[:200]))
    return rows


__all__ = ["check_hostile", "ssrf_forms"]
