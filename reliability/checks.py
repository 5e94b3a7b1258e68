"""The reliability checks. Each returns Result rows; a part whose feature is not on this
build says "not run: <reason>" instead of pretending."""
from __future__ import annotations

import json
import os
import random
import secrets
import subprocess
import sys
import threading
import time
from pathlib import Path

import requests

from reliability.harness import LOCAL_A, MARK_B, PHONE_A, Harness, Result, wait_until
from reliability.load import run_load

WA_TWILIO = "/webhook/whatsapp/twilio"
WA_META = "/webhook/whatsapp/meta"
CALL_STATUS = "/webhook/call_status"
INCOMING_CALL = "/webhook/incoming_call"
CUSTOMERS = "/api/crm/customers"


def _twilio_inbound(h: Harness, sid: str, body: str = "שלום, אפשר לקבוע תור?") -> dict:
    return {"MessageSid": sid, "SmsMessageSid": sid, "AccountSid": "AC" + "0" * 32, "From": f"whatsapp:{PHONE_A}",
            "To": "whatsapp:+97235550001", "Body": body, "NumMedia": "0", "ProfileName": "דנה כהן",
            "WaId": PHONE_A.lstrip("+")}


def _signed_post(http, h: Harness, url: str, form: dict, **kwargs):
    """A webhook as the provider sends it: signed (production refuses anything else)."""
    return http.post(url, data=form, headers=h.provider_headers(url, form), **kwargs)


def _wa_model():
    from server.models import WhatsAppMsg
    return WhatsAppMsg


# ---- load ------------------------------------------------------------------------------

def check_load(h: Harness, count: int = 600, concurrency: int = 12, cap: float = 40) -> list[Result]:
    results = []
    staff = h.sessions["a_staff"]
    cookie = staff.cookie

    def run(label, make, expect=(200,)):
        report = run_load(label, make, count, concurrency, cap, expect)
        status = "pass" if report.errors == 0 and not report.capped else "FAIL"
        note = "; ".join(report.error_samples) + (" (time cap hit)" if report.capped else "")
        results.append(Result(f"load: {label}", status, report.figures, note))
        return report

    run("GET /health", lambda i, s: s.get(h.base + "/health", timeout=10))
    if h.has_route(CUSTOMERS, "GET"):
        run("GET /api/crm/customers", lambda i, s: s.get(
            h.base + CUSTOMERS, params={"page": 1 + i % 8, "limit": 25, "q": "לוי" if i % 3 == 0 else ""},
            headers={"Cookie": cookie}, timeout=10))
    else:
        results.append(Result("load: GET /api/crm/customers", "not run", "", "CRM list (issue 4) not on main"))
    if h.has_route(WA_TWILIO):
        prefix = "SMload" + secrets.token_hex(4)
        before = h.count(_wa_model(), direction="inbound")
        report = run("POST /webhook/whatsapp/twilio", lambda i, s: _signed_post(
            s, h, h.base + WA_TWILIO, _twilio_inbound(h, f"{prefix}{i:06d}", f"הודעת עומס {i}"), timeout=10))
        stored = h.count(_wa_model(), direction="inbound") - before
        acked = report.sent - report.errors
        if stored != acked:
            results[-1].status = "FAIL"
            results[-1].note += f" stored {stored} of {acked} acknowledged"
        else:
            results[-1].figures += f", stored {stored}/{acked}"
    else:
        results.append(Result("load: POST /webhook/whatsapp/twilio", "not run", "", "WhatsApp (issue 6) not on main"))
    if h.has_route(CALL_STATUS):
        run("POST /webhook/call_status", lambda i, s: _signed_post(
            s, h, h.base + CALL_STATUS, {"CallSid": f"CAload{i:06d}", "CallStatus": "completed", "CallDuration": "7",
                                         "From": PHONE_A, "To": "+97235550001"}, timeout=10))
    else:
        results.append(Result("load: POST /webhook/call_status", "not run", "", "voice (issue 7) not on main"))
    return results


# ---- scale-out: an event made through one process reaches a socket on the other ----------

def _socket_client(h: Harness, session, web_index: int):
    import socketio
    events: list[tuple[str, object]] = []
    client = socketio.Client(reconnection=False)

    @client.on("*")
    def _any(event, *args):
        events.append((event, args[0] if args else None))

    client.connect(h.web_url(web_index), headers={"Cookie": session.cookie}, transports=["websocket"],
                   wait_timeout=10)
    return client, events


def _trigger_event(h: Harness, web_index: int, n: int):
    """Something a user does through web process `web_index` that publishes an event.
    Returns (label, trigger function) or (None, reason)."""
    staff = h.sessions["a_staff"]
    if h.has_route(WA_TWILIO):  # Twilio posts status callbacks to the same webhook
        return "WhatsApp status callback", lambda: _whatsapp_status(h, web_index, WA_TWILIO, n)
    if h.has_route(CUSTOMERS, "POST"):
        def create():
            r = staff.http.post(h.web_url(web_index, CUSTOMERS),
                                json={"name": f"לקוח אירוע {n}", "phone": f"0503{n:06d}"}, timeout=10)
            return r.status_code in (200, 201)
        return "customer created (POST /api/crm/customers)", create
    return None, "no endpoint on main publishes a Socket.IO event yet (WhatsApp status, CRM)"


def _whatsapp_status(h: Harness, web_index: int, route: str, n: int) -> bool:
    from server.extensions import db
    WhatsAppMsg = _wa_model()
    sid = f"SMstatus{n:04d}{secrets.token_hex(4)}"
    with h.app.app_context():
        db.session.add(WhatsAppMsg(business_id=h.ids["business_a"], customer_id=h.ids["customer_a"],
                                   direction="outbound", status="sent", provider="twilio", provider_message_id=sid,
                                   to_number=PHONE_A, body="תזכורת לתור מחר"))
        db.session.commit()
    r = _signed_post(requests, h, h.web_url(web_index, route), {"MessageSid": sid, "MessageStatus": "delivered",
                                                                 "To": f"whatsapp:{PHONE_A}"}, timeout=10)
    return r.status_code == 200


def check_scaleout(h: Harness, rounds: int = 5, wait: float = 5.0) -> list[Result]:
    name = "scale-out: event via web 1 → socket on web 2"
    if len(h.stack.config.web_ports) < 2:
        return [Result(name, "not run", "", "one web process")]
    label, trigger = _trigger_event(h, 0, 0)
    if label is None:
        return [Result(name, "not run", "", trigger)]
    sio = h.app.extensions.get("socketio")
    handlers = getattr(getattr(sio, "server", None), "handlers", None) or {}
    if "connect" not in handlers.get("/", {}):
        return [Result(name, "not run", "", "no Socket.IO connect handler puts a browser in its business room "
                                            "yet (web app, issue 9)")]
    staff = h.sessions["a_staff"]
    try:
        same_client, same_events = _socket_client(h, staff, 0)
        other_client, other_events = _socket_client(h, staff, 1)
        # Business B's browser, on the same process as A's listener: it must hear nothing of A.
        b_client, b_events = _socket_client(h, h.sessions["b_staff"], 1)
    except Exception as exc:  # noqa: BLE001
        return [Result(name, "FAIL", "", f"socket connect failed: {exc}")]
    try:
        delivered_other, delivered_same, latencies = 0, 0, []
        for n in range(rounds):
            _, trig = _trigger_event(h, 0, n + 1)
            before_other, before_same = len(other_events), len(same_events)
            t0 = time.perf_counter()
            if not trig():
                return [Result(name, "FAIL", "", f"trigger '{label}' was refused")]
            if wait_until(lambda: len(other_events) > before_other, wait, 0.02):
                delivered_other += 1
                latencies.append((time.perf_counter() - t0) * 1000)
            if wait_until(lambda: len(same_events) > before_same, wait / 5, 0.02):
                delivered_same += 1
        if delivered_same == 0 and delivered_other == 0:
            # The trigger worked and the sockets connected: silence on both is a broken
            # event path (publish, rooms, message queue), not a missing feature.
            return [Result(name, "FAIL", f"0/{rounds} events on either process ({label})",
                           "no browser socket received the event, not even on the process that published it")]
        lat = sorted(latencies)
        figures = (f"{delivered_other}/{rounds} delivered cross-process"
                   + (f", median {lat[len(lat) // 2]:.0f} ms" if lat else "") + f" ({label}); "
                   f"business B's socket got {len(b_events)}")
        ok = delivered_other == rounds and not b_events
        return [Result(name, "pass" if ok else "FAIL", figures,
                       f"events seen: {sorted({e for e, _ in other_events})}"
                       + (f"; B heard {b_events[:2]}" if b_events else ""))]
    finally:
        for client in (same_client, other_client, b_client):
            client.disconnect()


# ---- proxy trust: exactly one proxy ---------------------------------------------------

def check_proxy_trust(h: Harness) -> list[Result]:
    """Failed logins through nginx with a different forged X-Forwarded-For each time: the
    per-IP limit (5/min) must still apply, because ProxyFix trusts only nginx's entry."""
    codes = []
    for i in range(7):
        r = requests.post(h.base + "/api/auth/login", json={"email": f"nobody{i}@rel.test", "password": "wrong-pw"},
                          headers={"X-Forwarded-For": f"203.0.113.{i + 1}"}, timeout=10)
        codes.append(r.status_code)
    limited = codes[-1] == 429
    return [Result("proxy: forged X-Forwarded-For ignored", "pass" if limited else "FAIL",
                   f"statuses {codes}", "" if limited else "a forged header escaped the per-IP login limit")]


# ---- faults ---------------------------------------------------------------------------

def check_redis_down(h: Harness) -> list[Result]:
    staff = h.sessions["a_staff"]
    urls = [h.base + "/health", h.base + "/api/auth/me"]
    if h.has_route(CUSTOMERS, "GET"):
        urls.append(h.base + CUSTOMERS + "?page=1&limit=10")
    h.redis.stop()
    codes: dict[int, int] = {}
    login_codes: list[int] = []
    send_result = None
    try:
        t_end = time.monotonic() + 4
        while time.monotonic() < t_end:
            for url in urls:
                try:
                    code = staff.http.get(url, timeout=10).status_code
                except requests.RequestException:
                    code = -1
                codes[code] = codes.get(code, 0) + 1
        # The login limiter counts in Redis: with Redis gone a login must still be judged
        # (limits fall back to process memory), never a 500.
        for _ in range(3):
            try:
                login_codes.append(requests.post(h.base + "/api/auth/login", timeout=10, json={
                    "email": "redis-down@rel.test", "password": "סיסמה-שגויה"}).status_code)
            except requests.RequestException:
                login_codes.append(-1)
        if h.has_route("/api/whatsapp/send"):
            r = staff.http.post(h.base + "/api/whatsapp/send", json={"to": LOCAL_A, "text": "נשלח בזמן תקלה"},
                                timeout=15)
            send_result = (r.status_code, r.json() if r.headers.get("content-type", "").startswith("application/json")
                           else r.text[:100])
    finally:
        h.redis.start()
    answering = set(codes) == {200}
    rows = [Result("fault: Redis stopped → web answers", "pass" if answering else "FAIL",
                   f"{sum(codes.values())} requests, statuses {codes}", "")]
    judged = bool(login_codes) and all(code in (401, 429) for code in login_codes)
    rows.append(Result("fault: Redis stopped → failed login is 401/429", "pass" if judged else "FAIL",
                       f"statuses {login_codes}", "" if judged else "the rate limiter's storage error reached the user"))
    if send_result is None:
        rows.append(Result("fault: Redis stopped → jobs resume", "not run", "", "WhatsApp send (issue 6) not on main"))
    else:
        code, body = send_result
        msg_id = body.get("id") if isinstance(body, dict) else None
        if code != 200 or msg_id is None:
            rows.append(Result("fault: Redis stopped → jobs resume", "FAIL", f"send answered {code}", str(body)[:100]))
        else:
            back = time.monotonic()
            wait_until(lambda: _msg_status(h, msg_id) not in ("queued", "sending", None), 75, 0.5)
            final = _msg_status(h, msg_id)
            rows.append(Result("fault: Redis stopped → jobs resume", "pass" if final in ("sent", "delivered") else "FAIL",
                               f"message accepted while Redis was down, {final} {time.monotonic() - back:.0f} s "
                               "after Redis came back", ""))
    return rows


def _msg_status(h: Harness, msg_id: int):
    from server.extensions import db
    with h.app.app_context():
        msg = db.session.get(_wa_model(), msg_id)
        status = msg.status if msg else None
        db.session.rollback()
        return status


def check_pg_restart(h: Harness) -> list[Result]:
    name = "fault: PostgreSQL restart during inbound webhooks"
    if not h.has_route(WA_TWILIO):
        return [Result(name, "not run", "", "WhatsApp inbound webhook (issue 6) not on main")]
    prefix = "SMpg" + secrets.token_hex(4)
    acked, other = [], {}
    stop = threading.Event()
    lock = threading.Lock()

    def sender(worker: int):
        http = requests.Session()
        i = 0
        while not stop.is_set():
            sid = f"{prefix}{worker:02d}{i:05d}"
            i += 1
            try:
                r = _signed_post(http, h, h.base + WA_TWILIO, _twilio_inbound(h, sid, f"בזמן אתחול {sid}"), timeout=15)
                code = r.status_code
            except requests.RequestException:
                code = -1
            with lock:
                if code == 200:
                    acked.append(sid)
                else:
                    other[code] = other.get(code, 0) + 1
            time.sleep(0.005)

    threads = [threading.Thread(target=sender, args=(w,), daemon=True) for w in range(6)]
    for t in threads:
        t.start()
    time.sleep(1.5)
    t0 = time.monotonic()
    h.pg.restart("fast")
    downtime = time.monotonic() - t0
    time.sleep(2.5)
    stop.set()
    for t in threads:
        t.join(timeout=20)
    from sqlalchemy import select
    from server.extensions import db
    with h.app.app_context():
        db.engine.dispose()  # our own pool saw the restart too
        stored = set(db.session.scalars(select(_wa_model().provider_message_id)
                                        .where(_wa_model().provider_message_id.like(prefix + "%"))))
        db.session.rollback()
    lost = [sid for sid in acked if sid not in stored]
    # While the database is away the only honest answer is a retryable 503 (Retry-After):
    # Twilio retries it. A 500 or a dropped connection would be a fault of ours.
    unexpected = {code: n for code, n in other.items() if code != 503}
    figures = (f"{len(acked)} acknowledged, {len(lost)} lost, other answers {other or 'none'}, "
               f"restart {downtime:.1f} s")
    ok = acked and not lost and not unexpected
    return [Result(name, "pass" if ok else "FAIL", figures,
                   f"unexpected answers {unexpected}" if unexpected
                   else "the 503s (Retry-After) are retried by the provider" if other else "")]


# ---- bad input ------------------------------------------------------------------------

def _fuzz_bodies(rng: random.Random) -> list[tuple[str, bytes, str]]:
    """(label, body, content type) — malformed, huge, non-UTF-8, wrong shapes."""
    form = "application/x-www-form-urlencoded"
    cases = [
        ("empty", b"", form),
        ("empty json", b"", "application/json"),
        ("not json", b"{not json", "application/json"),
        ("json array", b"[1,2,3]", "application/json"),
        ("json null", b"null", "application/json"),
        ("json string", b'"\xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d"', "application/json"),
        ("deep json", b"[" * 5000 + b"]" * 5000, "application/json"),
        ("meta wrong types", json.dumps({"object": 5, "entry": "x"}).encode(), "application/json"),
        ("meta entry junk", json.dumps({"object": "whatsapp_business_account",
                                        "entry": [{"changes": [{"value": {"messages": [{"from": None}]}}]}]}).encode(),
         "application/json"),
        ("meta huge text", json.dumps({"object": "whatsapp_business_account", "entry": [{"changes": [
            {"value": {"metadata": {"display_phone_number": "97235559999"},
                       "messages": [{"from": "972501234567", "id": "wamid.X", "type": "text",
                                     "text": {"body": "א" * 400_000}}]}}]}]}).encode(), "application/json"),
        ("non-utf8 form", b"From=%FF%FE%FD&Body=%C3%28&MessageSid=\xff\xfe", form),
        ("non-utf8 raw", bytes(range(256)) * 8, form),
        ("form no sid", b"From=whatsapp%3A%2B972501234567&Body=hi", form),
        ("form bad phone", b"MessageSid=SMx&From=whatsapp%3Anot-a-phone&To=whatsapp%3A%2B1&Body=x", form),
        ("form huge", b"Body=" + b"A" * 900_000, form),
        ("too big for nginx", b"x" * (2 * 1024 * 1024), form),
        ("form repeated keys", b"&".join([b"MessageSid=SM1"] * 2000), form),
        ("xml", b"<?xml version='1.0'?><a>" + b"<b/>" * 1000 + b"</a>", "text/xml"),
        ("multipart junk", b"--x\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n\xff\r\n--x--", "multipart/form-data; boundary=x"),
        ("nul bytes", b"MessageSid=SM%00%00&Body=%00", form),
    ]
    cases += call_sid_cases()
    for n in range(12):
        cases.append((f"random {n}", rng.randbytes(rng.randint(1, 4096)), rng.choice([form, "application/json",
                                                                                      "application/octet-stream"])))
    return cases


# A caller no business knows: a stored call would also leave a new lead behind.
_FUZZ_CALLER = "From=%2B972541112233&To=%2B97235550001&AccountSid=AC" + "0" * 32


def call_sid_cases() -> list[tuple[str, bytes, str]]:
    """Voice webhook forms carrying a CallSid no Twilio call has: nothing may be stored
    (no call, no turn, no lead) and nothing may be fetched."""
    form = "application/x-www-form-urlencoded"
    caller = _FUZZ_CALLER.encode()
    return [
        ("CallSid non-UTF-8 (escaped)", b"CallSid=CA%FF%FE%FD&CallStatus=completed&" + caller, form),
        ("CallSid non-UTF-8 (raw)", b"CallSid=CA\xff\xfe\xfd&CallStatus=ringing&" + caller, form),
        ("CallSid 10 KB", b"CallSid=CA" + b"7" * 10_240 + b"&CallStatus=completed&" + caller, form),
        ("RecordingUrl file:// with CallSid", b"CallSid=CA%FF%FE&RecordingUrl=file%3A%2F%2F%2Fetc%2Fpasswd&"
         + caller, form),
        ("RecordingUrl file:// without CallSid", b"RecordingUrl=file%3A%2F%2F%2Fetc%2Fpasswd&Digits=1", form),
    ]


def _row_counts(h: Harness) -> dict[str, int]:
    from server import models
    counts = {}
    for name in ("Customer", "CallLog", "CallTurn", "WhatsAppMsg", "Task", "Business", "User"):
        model = getattr(models, name, None)
        if model is not None:
            counts[name] = h.count(model)
    return counts


def check_webhook_fuzz(h: Harness) -> list[Result]:
    name = "fuzz: webhook parsers (malformed, huge, non-UTF-8)"
    routes = sorted({r for r, m in h.routes() if r.startswith("/webhook/") and "<" not in r})
    if not routes:
        return [Result(name, "not run", "", "no /webhook routes on main yet (voice, WhatsApp)")]
    rng = random.Random(1109)
    cases = _fuzz_bodies(rng)
    before = _row_counts(h)
    fivexx, sent, statuses = [], 0, {}
    for route in routes:
        methods = next(m for r, m in h.routes() if r == route)
        for label, body, ctype in cases:
            for method in sorted(methods & {"POST", "GET"}):
                try:
                    # Signed as the provider signs, so the parsers behind the signature check are
                    # what gets fuzzed (check_unsigned_webhooks: the unsigned ones are refused).
                    if method == "GET":
                        url = requests.Request("GET", h.base + route, params={
                            "hub.mode": "subscribe", "hub.challenge": body[:50],
                            "hub.verify_token": body[:20]}).prepare().url
                        r = requests.get(url, headers=h.provider_headers(url, method="GET"), timeout=20)
                    else:
                        url = h.base + route
                        r = requests.post(url, data=body, timeout=20, headers={
                            "Content-Type": ctype, **h.provider_headers(url, body, ctype)})
                    code = r.status_code
                except requests.RequestException as exc:
                    code = -1
                    label = f"{label} ({exc.__class__.__name__})"
                sent += 1
                statuses[code] = statuses.get(code, 0) + 1
                if code >= 500 or code == -1:
                    fivexx.append(f"{method} {route} [{label}] → {code}")
    after = _row_counts(h)
    changed = {k: after[k] - before.get(k, 0) for k in after if after[k] != before.get(k, 0)}
    ok = not fivexx and not changed
    note = "; ".join(fivexx[:4]) + (f" stored: {changed}" if changed else "")
    return [Result(name, "pass" if ok else "FAIL",
                   f"{sent} requests on {len(routes)} routes, {len(fivexx)} 5xx, rows added {changed or 0}, "
                   f"statuses {dict(sorted(statuses.items()))}", note)]


def check_unsigned_webhooks(h: Harness) -> list[Result]:
    """Production accepts no webhook without the provider's signature (issue 16): a forged
    call, message or lead is refused before anything is parsed or stored."""
    name = "hostile: unsigned or forged webhooks refused"
    routes = sorted({(r, method) for r, m in h.routes() if r.startswith("/webhook/") and "<" not in r
                     for method in m & {"POST"}})
    if not routes:
        return [Result(name, "not run", "", "no /webhook routes on main yet (voice, WhatsApp)")]
    before = _row_counts(h)
    form = {**_twilio_inbound(h, "SMforged" + secrets.token_hex(4)), "CallSid": "CAforged" + secrets.token_hex(8),
            "CallStatus": "ringing"}
    accepted = []
    for route, _ in routes:
        for label, headers in (("unsigned", {}), ("forged", {"X-Twilio-Signature": "Zm9yZ2Vk",
                                                             "X-Hub-Signature-256": "sha256=" + "0" * 64})):
            r = requests.post(h.base + route, data=form, headers=headers, timeout=20)
            if r.status_code != 403:
                accepted.append(f"{label} POST {route} → {r.status_code}")
    after = _row_counts(h)
    changed = {k: after[k] - before.get(k, 0) for k in after if after[k] != before.get(k, 0)}
    ok = not accepted and not changed
    return [Result(name, "pass" if ok else "FAIL", f"{2 * len(routes)} requests on {len(routes)} routes, "
                   f"{len(accepted)} not refused, rows added {changed or 0}", "; ".join(accepted[:4]))]


def _b_snapshot(h: Harness) -> str:
    """Every row of business B (and B's users), serialised: unchanged means untouched."""
    from sqlalchemy import select
    from server import models
    from server.extensions import db
    parts = []
    with h.app.app_context():
        for model in db.Model.registry.mappers:
            cls = model.class_
            table = cls.__table__
            if "business_id" in table.c:
                rows = db.session.execute(select(table).where(table.c.business_id == h.ids["business_b"])
                                          .order_by(*table.primary_key.columns)).all()
            elif cls is models.Business:
                rows = db.session.execute(select(table).where(table.c.id == h.ids["business_b"])).all()
            else:
                continue
            parts.append(f"{table.name}:{[tuple(map(str, r)) for r in rows]}")
        db.session.rollback()
    return "\n".join(sorted(parts))


def check_isolation(h: Harness) -> list[Result]:
    """For every /api route, users of business A ask for business B's ids (in the path, the
    query and the body): no answer may carry B's data, and B's rows must stay unchanged."""
    b_ids = h.ids["b_ids"]
    b_business = h.ids["business_b"]
    skip = {"/api/auth/login", "/api/auth/logout", "/api/openapi.json"}
    routes = [(r, m) for r, m in h.routes() if r.startswith("/api/") and r not in skip]
    before = _b_snapshot(h)
    leaks, sent, statuses = [], 0, {}
    params = {"business_id": b_business, "customer_id": h.ids["customer_b"], "q": MARK_B}
    body = {"business_id": b_business, "customer_id": h.ids["customer_b"], "name": "ניסיון חדירה",
            "to": "0502220002", "text": "ניסיון", "title": "ניסיון", "phone": "0502220002"}
    for actor in ("a_staff", "a_viewer", "a_admin"):
        session = h.sessions[actor]
        for rule, methods in routes:
            args = [part.split(">")[0].split(":")[-1] for part in rule.split("<")[1:]]
            # B's id in every position, and mixed with A's own customer id (A's parent, B's child).
            combos = [[]]
            for _ in args:
                combos = [c + [v] for c in combos for v in (*b_ids, h.ids["customer_a"])][:400]
            combos = [c for c in combos if any(v in b_ids for v in c)] or [[]]
            for combo in combos:
                path = rule
                for arg, value in zip(args, combo):
                    path = path.split("<", 1)[0] + str(value) + path.split(">", 1)[1]
                for method in sorted(methods):
                    kwargs = {"params": params, "timeout": 15}
                    if method in ("POST", "PUT", "PATCH"):
                        kwargs["json"] = body
                    try:
                        r = session.http.request(method, h.base + path, **kwargs)
                    except requests.RequestException as exc:
                        leaks.append(f"{actor} {method} {path}: {exc.__class__.__name__}")
                        continue
                    sent += 1
                    statuses[r.status_code] = statuses.get(r.status_code, 0) + 1
                    if MARK_B in r.text or "secret@b.test" in r.text:
                        leaks.append(f"{actor} {method} {path} → {r.status_code} carries B's data")
    changed = _b_snapshot(h) != before
    if changed:
        leaks.append("business B's rows changed")
    return [Result("isolation: A's users probe B's ids on every /api route", "pass" if not leaks else "FAIL",
                   f"{len(routes)} routes, {sent} requests, {len(leaks)} leaks, statuses {dict(sorted(statuses.items()))}",
                   "; ".join(leaks[:4]))]


def check_schemathesis(h: Harness, max_time: int = 45) -> list[Result]:
    binary = Path(sys.executable).parent / "schemathesis"
    if not binary.exists():
        return [Result("schemathesis", "not run", "", "schemathesis not installed (make reliability installs it)")]
    results = []
    for actor in ("a_viewer", "admin"):
        session = h.sessions[actor]
        report = h.base_dir / f"schemathesis-{actor}.xml"
        cmd = [str(binary), "run", h.base + "/api/openapi.json", "--url", h.base,
               "-H", f"Cookie: {session.cookie}", "-H", f"X-CSRF-Token: {session.csrf}",
               "--checks", "not_a_server_error,response_schema_conformance",
               "--exclude-path", "/api/auth/logout", "--exclude-path", "/api/auth/login",
               "--max-time", str(max_time), "--max-examples", "30", "--seed", "1109", "--no-shrink",
               "--generation-database", "none", "--workers", "4", "--request-timeout", "15",
               "--report", "junit", "--report-junit-path", str(report), "--no-color"]
        t0 = time.monotonic()
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=max_time + 120, cwd=h.base_dir)
        (h.base_dir / f"schemathesis-{actor}.out").write_text(proc.stdout + proc.stderr)
        summary = _schemathesis_summary(report)
        label = f"schemathesis ({actor.replace('a_', '')} session)"
        if summary is None:
            tail = " ".join(proc.stdout.strip().splitlines()[-3:])
            results.append(Result(label, "FAIL", "no report", tail[:300]))
            continue
        ops, server_errors, schema, other, tool_errors, names = summary
        # A tool error (schemathesis/hypothesis failing to generate) tested nothing: it is
        # shown, and fails the check only when it hides a large part of the API.
        ok = not (server_errors or schema or other) and tool_errors * 4 < max(ops, 1)
        figures = (f"{ops} operations, {server_errors} with 5xx, {schema} with schema violations"
                   + (f", {other} other failures" if other else "")
                   + (f", {tool_errors} not generated (tool error)" if tool_errors else "")
                   + f", {time.monotonic() - t0:.0f} s")
        results.append(Result(label, "pass" if ok else "FAIL", figures, names))
    return results


def _schemathesis_summary(report: Path):
    import xml.etree.ElementTree as ET
    try:
        root = ET.parse(report).getroot()
    except (OSError, ET.ParseError):
        return None
    cases = root.findall(".//testcase")
    server_errors = schema = other = tool_errors = 0
    names = []
    for case in cases:
        failures = [f for f in case if f.tag == "failure"]
        if any(f.tag == "error" for f in case):
            tool_errors += 1
            names.append(f"{case.get('name')} (tool error)")
        if not failures:
            continue
        text = " ".join((f.get("message") or "") + " " + (f.text or "") for f in failures)
        server_errors += "Server error" in text
        schema += "violates schema" in text
        other += "Server error" not in text and "violates schema" not in text
        names.append(f"{case.get('name')}: {' '.join(text.split())[:160]}")
    return len(cases), server_errors, schema, other, tool_errors, "; ".join(names[:3])


__all__ = [name for name in dict(globals()) if name.startswith("check_")] + ["os"]


# ---- recordings storage read-only / full ----------------------------------------------

class _FakeProviders:
    """A recording host (Twilio's media URL) and OpenAI's transcription endpoint on loopback."""

    TRANSCRIPT = "מה שעות הפתיחה שלכם?"

    def __init__(self):
        import http.server

        parent = self
        self.hits = {"recording": 0, "asr": 0}

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _send(self, status, body, ctype):
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):
                parent.hits["recording"] += 1
                self._send(200, b"ID3" + b"\x00" * 2048, "audio/mpeg")

            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                parent.hits["asr"] += 1
                self._send(200, json.dumps({"text": parent.TRANSCRIPT}).encode(), "application/json")

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def _broken_media_dirs(h: Harness) -> list[tuple[str, Path, bool]]:
    """(label, MEDIA_DIR, mounted): a read-only tmpfs and a full one when mounting is allowed,
    else a path under a regular file (no directory can be made there)."""
    dirs = []
    ro, full = h.base_dir / "media-ro", h.base_dir / "media-full"
    ro.mkdir(exist_ok=True)
    full.mkdir(exist_ok=True)
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m,ro", "tmpfs", str(ro)], capture_output=True).returncode == 0:
        dirs.append(("read-only", ro, True))
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(full)], capture_output=True).returncode == 0:
        (full / "voice").mkdir()
        with open(full / "filler", "wb") as handle:  # fill it: the next write gets ENOSPC
            try:
                handle.write(b"\0" * 128 * 1024)
            except OSError:
                pass
        dirs.append(("disk full", full, True))
    if not dirs:
        blocker = h.base_dir / "not-a-dir"
        blocker.write_text("x")
        dirs.append(("unwritable (no mount permission here)", blocker / "media", False))
    return dirs


def check_readonly_storage(h: Harness) -> list[Result]:
    name = "fault: recordings storage {}"
    if not h.has_route("/webhook/handle_recording"):
        return [Result(name.format("read-only"), "not run", "", "voice (issue 7) not on main")]
    from sqlalchemy import select
    from deploy.stack import Stack, wait_http
    from server.extensions import db
    from server.models import CallLog, CallTurn

    fake = _FakeProviders()
    results, call_sids = [], []
    try:
        for label, media_dir, mounted in _broken_media_dirs(h):
            port = _free_port()
            env = h.stack.app_env(f"web-media-{port}")
            env.update({"KESHER_BIND": f"127.0.0.1:{port}", "KESHER_THREADS": "4", "MEDIA_DIR": str(media_dir),
                        "RECORDING_HOSTS": "127.0.0.1", "ASR_PROVIDER": "openai", "OPENAI_API_KEY": "sk-fake-rel-0000",
                        "OPENAI_BASE_URL": f"http://127.0.0.1:{fake.port}/v1", "REPLY_PROVIDER": "offline",
                        "TTS_PROVIDER": "espeak", "ESPEAK_MODE": "raw"})
            proc = h.stack._spawn(f"web-media-{port}", [sys.executable, "-m", "gunicorn", "-c",
                                                         str(_gunicorn_conf())], env)
            h.extra.append(proc)
            try:
                wait_http(f"http://127.0.0.1:{port}/health", 60, proc)
                call_sid = "CAro" + secrets.token_hex(15)
                call_sids.append(call_sid)
                form = {"CallSid": call_sid, "From": PHONE_A, "To": "+97235550001", "AccountSid": "AC" + "0" * 32,
                        "RecordingUrl": f"http://127.0.0.1:{fake.port}/Recordings/RE{secrets.token_hex(8)}",
                        "RecordingDuration": "3"}
                t0 = time.perf_counter()
                r = _signed_post(requests, h, f"http://127.0.0.1:{port}/webhook/handle_recording", form, timeout=30)
                ms = (time.perf_counter() - t0) * 1000
                with h.app.app_context():
                    turn = db.session.scalars(select(CallTurn).join(CallLog, CallTurn.call_id == CallLog.id)
                                              .where(CallLog.call_sid == call_sid)).first()
                    fallbacks = list(turn.fallbacks or []) if turn else []
                    db.session.rollback()
                spoken = '<Say language="he-IL">' in r.text and "<Play" not in r.text
                recorded = any(f.get("stage") == "tts" and "storage" in str(f.get("reason")) for f in fallbacks)
                ok = r.status_code == 200 and spoken and recorded and fake.hits["asr"] > 0
                results.append(Result(name.format(label), "pass" if ok else "FAIL",
                                      f"{r.status_code} in {ms:.0f} ms, spoken <Say> fallback: {spoken}, "
                                      f"recorded on the turn: {fallbacks if recorded else 'no'}",
                                      "" if ok else r.text[:200]))
            finally:
                Stack.signal_proc(proc)
                if mounted:
                    subprocess.run(["umount", "-l", str(media_dir)], capture_output=True)
    finally:
        fake.close()
        # These calls' recordings lived on the fake host, gone now: playing one is the honest
        # 502 of a provider that is down, which later checks (schemathesis' "no 5xx") would
        # meet by chance. They were this check's probes, not data: remove them (turns cascade).
        with h.app.app_context():
            db.session.query(CallLog).filter(CallLog.call_sid.in_(call_sids)).delete(synchronize_session=False)
            db.session.commit()
    return results


def _free_port() -> int:
    from deploy.stack import free_port
    return free_port()


def _gunicorn_conf() -> Path:
    from deploy.stack import DEPLOY_DIR
    return DEPLOY_DIR / "gunicorn.conf.py"


# ---- kill -9 the worker mid-send ------------------------------------------------------

class _FakeTwilio:
    """Twilio's Messages API on loopback: creating a message takes `delay` seconds (the
    window in which the worker is killed); the list answers what was created."""

    def __init__(self, account_sid: str, delay: float):
        import http.server
        from email.utils import format_datetime
        from urllib.parse import parse_qs, urlsplit

        parent = self
        self.created: list[dict] = []
        self.lock = threading.Lock()
        path = f"/2010-04-01/Accounts/{account_sid}/Messages.json"

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _send(self, status, payload):
                body = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                try:
                    self.wfile.write(body)
                except OSError:
                    pass  # the worker was killed while we were "sending"

            def do_POST(self):
                if urlsplit(self.path).path != path:
                    return self._send(404, {"code": 20404, "message": "not found", "status": 404})
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(int(self.headers.get("Content-Length") or 0))
                                                      .decode()).items()}
                item = {"sid": "SM" + secrets.token_hex(16), "to": form.get("To"), "from": form.get("From"),
                        "body": form.get("Body"), "status": "queued",
                        "date_created": format_datetime(__import__("datetime").datetime.now(
                            __import__("datetime").timezone.utc), usegmt=True)}
                with parent.lock:
                    parent.created.append(item)  # Twilio has it now, whatever happens to the caller
                time.sleep(parent.delay)
                self._send(201, item)

            def do_GET(self):
                query = {k: v[0] for k, v in parse_qs(urlsplit(self.path).query).items()}
                with parent.lock:
                    items = [m for m in parent.created if m["to"] == query.get("To", m["to"])
                             and m["from"] == query.get("From", m["from"])]
                self._send(200, {"messages": list(reversed(items)), "page": 0, "page_size": 50})

        self.delay = delay
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def _set_provider(h: Harness, business_id: int, provider: str) -> None:
    from server.extensions import db
    from server.models import Business
    with h.app.app_context():
        db.session.get(Business, business_id).whatsapp_provider = provider
        db.session.commit()


def check_worker_kill(h: Harness) -> list[Result]:
    name = "fault: kill -9 worker mid-send → one message"
    if not h.has_route("/api/whatsapp/send"):
        return [Result(name, "not run", "", "WhatsApp sending (issue 6) not on main")]
    from deploy.stack import Stack, wait_http
    from server.extensions import db

    sid = "AC" + secrets.token_hex(16)
    fake = _FakeTwilio(sid, delay=3)
    port = _free_port()
    env_extra = {"TWILIO_ACCOUNT_SID": sid, "TWILIO_AUTH_TOKEN": secrets.token_hex(16),
                 "TWILIO_API_BASE": f"http://127.0.0.1:{fake.port}", "WHATSAPP_HTTP_TIMEOUT": "6",
                 "WHATSAPP_SEND_LEASE_SECONDS": "8", "WHATSAPP_RETRY_BASE_SECONDS": "1"}

    def spawn(kind: str, argv: list[str], n: int):
        env = h.stack.app_env(f"{kind}-kill-{n}")
        env.update(env_extra)
        env["KESHER_BIND"] = f"127.0.0.1:{port}"
        env["KESHER_THREADS"] = "4"
        proc = h.stack._spawn(f"{kind}-kill-{n}", argv, env)
        h.extra.append(proc)
        return proc

    h.stack.kill_worker(2)  # SIGINT: the regular worker (no Twilio credentials) steps aside
    _set_provider(h, h.ids["business_a"], "twilio")
    web = worker = worker2 = None
    try:
        web = spawn("web", [sys.executable, "-m", "gunicorn", "-c", str(_gunicorn_conf())], 0)
        worker = spawn("worker", [sys.executable, "-m", "server.worker"], 1)
        wait_http(f"http://127.0.0.1:{port}/health", 60, web)
        text = f"התור שלך אושר למחר ב-10:00 ({secrets.token_hex(3)})"
        staff = h.sessions["a_staff"]
        r = staff.http.post(f"http://127.0.0.1:{port}/api/whatsapp/send", json={"to": LOCAL_A, "text": text},
                            timeout=15)
        if r.status_code != 200:
            return [Result(name, "FAIL", f"send answered {r.status_code}", r.text[:200])]
        msg_id = r.json()["id"]
        if not wait_until(lambda: any(m["body"] == text for m in fake.created), 30, 0.05):
            return [Result(name, "FAIL", "", "the worker never called the provider")]
        time.sleep(0.5)  # mid-send: Twilio has the message, the worker waits for the answer
        Stack.signal_proc(worker, 9)
        status_after_kill = _msg_status(h, msg_id)
        t0 = time.monotonic()
        worker2 = spawn("worker", [sys.executable, "-m", "server.worker"], 2)
        final = wait_until(lambda: (_msg_status(h, msg_id) if _msg_status(h, msg_id) not in ("queued", "sending")
                                    else None), 60, 0.5)
        recovered = time.monotonic() - t0
        deliveries = sum(1 for m in fake.created if m["body"] == text)
        with h.app.app_context():
            msg = db.session.get(_wa_model(), msg_id)
            provider_id, flags = msg.provider_message_id, dict(msg.flags or {})
            db.session.rollback()
        expected_sid = next(m["sid"] for m in fake.created if m["body"] == text)
        ok = deliveries == 1 and final == "sent" and provider_id == expected_sid
        return [Result(name, "pass" if ok else "FAIL",
                       f"{deliveries} delivered; row {status_after_kill} at kill → {final} in {recovered:.1f} s"
                       f"{' (reconciled with the provider)' if flags.get('reconciled') else ''}",
                       "" if ok else f"provider id {provider_id} vs {expected_sid}, flags {flags}")]
    finally:
        for proc in (worker2, worker, web):
            Stack.signal_proc(proc)
        _set_provider(h, h.ids["business_a"], "dev")
        h.stack.start_worker()
        fake.close()
