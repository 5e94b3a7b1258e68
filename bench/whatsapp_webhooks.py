"""How fast do the WhatsApp webhooks answer? (The goal: well under 250 ms median.)

Starts the app on 127.0.0.1 (a real HTTP server, threaded like the dev server) over a
throwaway SQLite database — or DATABASE_URL when given — and posts signed webhooks the
way Twilio and Meta send them: new inbound messages (each from a new sender, so each
creates a lead), repeats of a message already stored, and status callbacks. Prints the
median, p95 and max per kind and the median's share of the 250 ms budget.

    .venv/bin/python bench/whatsapp_webhooks.py [-n 200] [--concurrency 4]
"""
from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

TMP = tempfile.mkdtemp(prefix="kesher-bench-wa-")
os.environ.setdefault("HUEY_SQLITE_PATH", os.path.join(TMP, "huey.db"))
os.environ.pop("REDIS_URL", None)

import requests  # noqa: E402
from twilio.request_validator import RequestValidator  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402

BUDGET_MS = 250.0
TWILIO_TOKEN = "bench-twilio-token-000000"
META_SECRET = "bench-meta-secret-000000"
TWILIO_NUMBER, META_NUMBER, META_PHONE_ID = "+97235551234", "+97235557777", "106540352242922"


def start_server():
    from server.app_factory import create_app
    from server.db_migrate import upgrade_database
    from server.extensions import db
    from server.models import Business

    app = create_app({
        "SQLALCHEMY_DATABASE_URI": os.environ.get("DATABASE_URL") or f"sqlite:///{os.path.join(TMP, 'bench.db')}",
        "SECRET_KEY": "bench-secret-key-not-for-production", "LOG_DIR": os.path.join(TMP, "logs"),
        "LOG_LEVEL": "WARNING", "REDIS_URL": None,
        "RATELIMIT_STORAGE_URI": "memory://", "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
        "TWILIO_AUTH_TOKEN": TWILIO_TOKEN, "META_APP_SECRET": META_SECRET})
    with app.app_context():
        upgrade_database()
        db.session.add(Business(name="בנצ'מרק טוויליו", whatsapp_number=TWILIO_NUMBER, whatsapp_provider="twilio"))
        db.session.add(Business(name="בנצ'מרק מטא", whatsapp_number=META_NUMBER, whatsapp_provider="meta",
                                whatsapp_config={"phone_number_id": META_PHONE_ID}))
        db.session.commit()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    host = f"http://127.0.0.1:{server.server_port}"
    app.config["HOST"] = host  # Twilio signs the public URL
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return host, server


def sender(i: int) -> str:
    return f"+97254{5000000 + i:07d}"


def twilio_request(host, form):
    url = host + "/webhook/whatsapp/twilio"
    signature = RequestValidator(TWILIO_TOKEN).compute_signature(url, form)
    return "post", url, {"data": form, "headers": {"X-Twilio-Signature": signature}}


def meta_request(host, payload):
    raw = json.dumps(payload, ensure_ascii=False).encode()
    signature = "sha256=" + hmac.new(META_SECRET.encode(), raw, hashlib.sha256).hexdigest()
    return "post", host + "/webhook/whatsapp/meta", {
        "data": raw, "headers": {"Content-Type": "application/json", "X-Hub-Signature-256": signature}}


def twilio_inbound(host, i):
    sid = f"SM{i:032x}"
    return twilio_request(host, {"MessageSid": sid, "SmsMessageSid": sid, "From": f"whatsapp:{sender(i)}",
                                 "To": f"whatsapp:{TWILIO_NUMBER}", "Body": f"שלום, הודעה מספר {i}",
                                 "ProfileName": f"לקוח {i}", "SmsStatus": "received", "NumMedia": "0"})


def twilio_status(host, i, status):
    sid = f"SM{i:032x}"
    return twilio_request(host, {"MessageSid": sid, "MessageStatus": status, "SmsStatus": status,
                                 "From": f"whatsapp:{TWILIO_NUMBER}", "To": f"whatsapp:{sender(i)}"})


def meta_inbound(host, i):
    wa_id = sender(10_000 + i).lstrip("+")
    return meta_request(host, {"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [{
        "field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": META_NUMBER.lstrip("+"), "phone_number_id": META_PHONE_ID},
            "contacts": [{"profile": {"name": f"לקוחה {i}"}, "wa_id": wa_id}],
            "messages": [{"from": wa_id, "id": f"wamid.in{i}", "timestamp": str(1764000000 + i), "type": "text",
                          "text": {"body": f"היי, שאלה מספר {i}"}}]}}]}]})


def meta_status(host, i, status):
    return meta_request(host, {"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [{
        "field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": META_NUMBER.lstrip("+"), "phone_number_id": META_PHONE_ID},
            "statuses": [{"id": f"wamid.out{i}", "status": status, "timestamp": str(1764000100 + i),
                          "recipient_id": "972545551234"}]}}]}]})


def run(label, session, requests_, concurrency):
    timings = []

    def one(req):
        method, url, kwargs = req
        started = time.perf_counter()
        r = session.request(method, url, timeout=10, **kwargs)
        elapsed = (time.perf_counter() - started) * 1000
        if r.status_code != 200:
            raise SystemExit(f"{label}: HTTP {r.status_code} {r.text[:200]}")
        return elapsed

    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        timings = list(pool.map(one, requests_))
    timings.sort()
    median = statistics.median(timings)
    p95 = timings[max(0, int(len(timings) * 0.95) - 1)]
    print(f"{label:<34} n={len(timings):<4} median {median:7.1f} ms   p95 {p95:7.1f} ms   "
          f"max {timings[-1]:7.1f} ms   median/budget {median / BUDGET_MS:5.2f}")
    return median


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-n", type=int, default=200, help="requests per kind")
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args()
    host, server = start_server()
    from server.extensions import db
    from server.models import Business, WhatsAppMsg

    app = server.app
    with app.app_context():
        twilio_b = db.session.query(Business).filter_by(whatsapp_number=TWILIO_NUMBER).one()
        meta_b = db.session.query(Business).filter_by(whatsapp_number=META_NUMBER).one()
        for i in range(args.n):
            for business, pid in ((twilio_b, f"SM{50_000 + i:032x}"), (meta_b, f"wamid.out{i}")):
                db.session.add(WhatsAppMsg(business_id=business.id, direction="outbound", status="sent",
                                           provider=business.whatsapp_provider, provider_message_id=pid,
                                           to_number=sender(i), body="שלום", flags={}))
        db.session.commit()

    session = requests.Session()
    session.mount("http://", requests.adapters.HTTPAdapter(pool_maxsize=args.concurrency))
    n, c = args.n, args.concurrency
    print(f"WhatsApp webhooks on {app.config['SQLALCHEMY_DATABASE_URI'].split(':', 1)[0]}: {n} requests per kind, "
          f"{c} concurrent clients, budget {BUDGET_MS:.0f} ms median")
    medians = [
        run("twilio inbound (new lead each)", session, [twilio_inbound(host, i) for i in range(n)], c),
        run("twilio inbound repeated (dedup)", session, [twilio_inbound(host, i % 10) for i in range(n)], c),
        run("twilio status callbacks", session,
            [twilio_status(host, 50_000 + i, "delivered") for i in range(n)], c),
        run("meta inbound (new lead each)", session, [meta_inbound(host, i) for i in range(n)], c),
        run("meta statuses", session, [meta_status(host, i, "read") for i in range(n)], c),
    ]
    with app.app_context():
        stored = db.session.query(WhatsAppMsg).filter_by(direction="inbound").count()
    print(f"inbound rows stored: {stored} (expected {2 * n}); worst median/budget ratio "
          f"{max(medians) / BUDGET_MS:.2f}")
    server.shutdown()


if __name__ == "__main__":
    main()
