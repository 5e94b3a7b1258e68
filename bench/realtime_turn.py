"""Benchmark: a streamed phone turn, end of the caller's speech → first agent audio frame.

    .venv/bin/python bench/realtime_turn.py                 # 12 turns offline + 12 with the fake cloud
    .venv/bin/python bench/realtime_turn.py --turns 20 --modes offline

The app is served for real on 127.0.0.1 (Werkzeug, threaded: what `make run` runs); the
caller is bench's Twilio stand-in (server/tests/stream/media_client.py) in ANOTHER process,
streaming espeak-ng Hebrew as 8 kHz μ-law in real time over the Media Streams protocol and
"playing" what comes back like Twilio does. Per turn it prints:
  client  — caller's last speech frame sent → first agent media frame received (what a caller feels)
  server  — the server's own measure of the same span, and its parts:
            wait (end-of-turn silence policy), asr, reply (to the first sentence), tts (first
            sentence), own = everything else (VAD, DB, CRM context, encoding, threads, socket)
Modes:
  offline — local Whisper (short context) → offline responder → espeak-ng
  cloud   — a fake OpenAI on 127.0.0.1 with fixed latencies: /audio/transcriptions answers after
            --cloud-asr-ms; /chat/completions streams SSE, first token after --cloud-ttft-ms then a
            chunk every --cloud-token-ms; espeak-ng speaks
Also: barge-in (--barge-ins): the caller talks over the agent; caller speech onset → `clear`.
No pass/fail: the figures are the output. Goal: p50 < 1.5 s offline, server's own share < 100 ms.
"""
from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import statistics
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from _stats import percentile  # bench/ is on sys.path when a bench runs as a script

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

PHRASES = ["מה שעות הפתיחה שלכם", "מה הסטטוס של ההזמנה שלי", "מה עם החשבונית שלי", "מתי אתם פתוחים",
           "תחזרו אליי בבקשה", "מה שעות הפתיחה"]
REPLY_CHUNKS = ["שלום", " דנה", "!", " שעות", " הפעילות", " שלנו", " ראשון", " עד", " חמישי", ",",
                " תשע", " עד", " חמש", ".", " אפשר", " לעזור", " במשהו", " נוסף", "?"]


# ---- the caller (its own process, so it never competes with the server for the GIL) -------

def caller(url: str, turns: int, barge_ins: int, out: mp.Queue) -> None:
    from server.tests.stream.media_client import MediaStreamClient, hebrew_speech
    results = {"turns": [], "barge_ins": []}
    speech = {p: hebrew_speech(p) for p in PHRASES}
    client = MediaStreamClient(url)
    client.begin({"From": "+972502345678", "To": "+97235551234"})
    client.wait_for(lambda: client.messages("mark"), timeout=60)
    client.wait_quiet(60)
    for i in range(turns):
        if client.closed:
            break  # the agent ended the call (turn limit, farewell)
        phrase = PHRASES[i % len(PHRASES)]
        before = len(client.messages("mark"))
        client.say(speech[phrase])
        ended = client.speech_ended_at
        ok = client.wait_for(lambda: len(client.messages("mark")) > before, timeout=30)
        first = client.first_media_after(ended) if ok else None
        results["turns"].append({"phrase": phrase, "client_ms": (first - ended) * 1000 if first else None})
        client.wait_quiet(60)
    for i in range(barge_ins):
        if client.closed:
            break
        before = len(client.messages("media"))
        clears = len(client.clears)
        client.say(speech["מה שעות הפתיחה שלכם"])
        client.wait_for(lambda: len(client.messages("media")) > before + 25, timeout=30)
        client.say(speech["מה הסטטוס של ההזמנה שלי"], wait=False)
        while client.speech_started_at is None:
            time.sleep(0.002)
        onset = client.speech_started_at
        got = client.wait_for(lambda: len(client.clears) > clears, timeout=10)
        results["barge_ins"].append((client.clears[clears] - onset) * 1000 if got else None)
        marks = len(client.messages("mark"))
        client.say(b"", wait=True)
        client.wait_for(lambda: len(client.messages("mark")) > marks, timeout=30)  # the answer to it
        client.wait_quiet(60)
    client.stop()
    time.sleep(0.5)
    client.hang_up()
    out.put(results)


# ---- a fake OpenAI with fixed latencies ----------------------------------------------------

def fake_openai(asr_ms: int, ttft_ms: int, token_ms: int):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if self.path.endswith("/audio/transcriptions"):
                time.sleep(asr_ms / 1000)
                payload = json.dumps({"text": "מה שעות הפתיחה שלכם?"}, ensure_ascii=False).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
                return
            assert json.loads(body).get("stream") is True
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            time.sleep(ttft_ms / 1000)

            def chunk(data: bytes):
                self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
                self.wfile.flush()
            try:
                for i, piece in enumerate(REPLY_CHUNKS):
                    if i:
                        time.sleep(token_ms / 1000)
                    event = {"id": "chatcmpl-1", "object": "chat.completion.chunk", "model": "gpt-4o-mini",
                             "choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}]}
                    chunk(b"data: " + json.dumps(event, ensure_ascii=False).encode() + b"\n\n")
                chunk(b"data: [DONE]\n\n")
                chunk(b"")
            except (BrokenPipeError, ConnectionResetError):
                pass  # the caller interrupted: the server dropped the stream

    class QuietServer(ThreadingHTTPServer):
        daemon_threads = True

        def handle_error(self, request, client_address):
            # A keep-alive connection the client dropped between runs is not news.
            if not isinstance(sys.exc_info()[1], ConnectionError):
                super().handle_error(request, client_address)

    server = QuietServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/v1"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--turns", type=int, default=12)
    parser.add_argument("--barge-ins", type=int, default=3)
    parser.add_argument("--modes", default="offline,cloud")
    parser.add_argument("--cloud-asr-ms", type=int, default=300)
    parser.add_argument("--cloud-ttft-ms", type=int, default=400)
    parser.add_argument("--cloud-token-ms", type=int, default=30)
    parser.add_argument("--espeak-mode", default="g2p")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="kesher-bench-"))
    os.environ.setdefault("HUEY_SQLITE_PATH", str(tmp / "huey.db"))
    os.environ.pop("REDIS_URL", None)
    import logging

    from werkzeug.serving import make_server

    from server.app_factory import create_app
    from server.extensions import db
    app = create_app({"TESTING": True, "APP_ENV": "testing", "SECRET_KEY": "bench-secret-key-not-for-production",
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp / 'bench.db'}", "LOG_DIR": str(tmp / "logs"),
                      "MEDIA_DIR": str(tmp / "media"), "RATELIMIT_STORAGE_URI": "memory://", "REDIS_URL": None,
                      "LOG_LEVEL": "WARNING", "TWILIO_AUTH_TOKEN": None, "HOST": "", "OPENAI_API_KEY": None,
                      "ASR_PROVIDER": "local", "REPLY_PROVIDER": "offline", "TTS_PROVIDER": "espeak",
                      "ESPEAK_MODE": args.espeak_mode})
    logging.disable(logging.WARNING)
    from server.models import Business, CallLog, Customer
    with app.app_context():
        from server.db_migrate import upgrade_database
        upgrade_database()
        business = Business(name="מספרת רותי", voice_number="+97235551234", settings={
            "voice_mode": "stream", "greeting": "שלום, מספרת רותי.", "turn_limit": 50,
            "hours": {d: "09:00-17:00" for d in ("sun", "mon", "tue", "wed", "thu")}})
        db.session.add(business)
        db.session.flush()
        db.session.add(Customer(business_id=business.id, name="דנה כהן", phone="+972502345678"))
        db.session.commit()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    url = f"ws://127.0.0.1:{server.server_port}/webhook/media_stream"
    fake, fake_url = fake_openai(args.cloud_asr_ms, args.cloud_ttft_ms, args.cloud_token_ms)
    ctx = mp.get_context("spawn")
    print(f"cores: {os.cpu_count()}, load average: {os.getloadavg()[0]:.2f}; {args.turns} turns a mode; "
          f"espeak mode {args.espeak_mode}")

    for mode in [m.strip() for m in args.modes.split(",") if m.strip()]:
        if mode == "cloud":
            app.config.update(ASR_PROVIDER="openai", REPLY_PROVIDER="openai", OPENAI_API_KEY="sk-bench-fake",
                              OPENAI_BASE_URL=fake_url)
        else:
            app.config.update(ASR_PROVIDER="local", REPLY_PROVIDER="offline", OPENAI_API_KEY=None)
        queue = ctx.Queue()
        proc = ctx.Process(target=caller, args=(url, args.turns, args.barge_ins, queue))
        proc.start()
        results = queue.get(timeout=600)
        proc.join(30)
        time.sleep(1.0)
        with app.app_context():
            call = db.session.query(CallLog).order_by(CallLog.id.desc()).first()
            turns = [t for t in call.turns][: args.turns]
            cut = [t for t in call.turns if t.status == "cut"]
        print(f"\n== {mode}"
              + (f" (fake cloud: asr {args.cloud_asr_ms} ms, first token {args.cloud_ttft_ms} ms, "
                 f"+{args.cloud_token_ms} ms a chunk)" if mode == "cloud" else ""))
        print(f"{'turn':>4} {'client':>7} {'server':>7} {'wait':>5} {'asr':>5} {'reply':>5} {'tts':>5} {'own':>4}  "
              f"status  transcript")
        client_ms, server_own = [], []
        for i, (row, turn) in enumerate(zip(results["turns"], turns)):
            lat = turn.latencies or {}
            wait = lat.get("asr_start_wait_ms", 0) + max(0, lat.get("eot_wait_ms", 0) - lat.get("asr_start_wait_ms", 0)
                                                           - lat.get("asr_ms", 0))
            c = row["client_ms"]
            if c is not None:
                client_ms.append(c)
            if "server_ms" in lat:
                server_own.append(lat["server_ms"])
            print(f"{i:>4} {c if c is None else round(c):>7} {lat.get('first_audio_ms', '-'):>7} {wait:>5} "
                  f"{lat.get('asr_ms', '-'):>5} {lat.get('reply_first_ms', '-'):>5} {lat.get('tts_first_ms', '-'):>5} "
                  f"{lat.get('server_ms', '-'):>4}  {turn.status:<7} {turn.transcript}")
        if client_ms:
            print(f"end of speech → first agent audio (caller side): p50 {statistics.median(client_ms):.0f} ms, "
                  f"p95 {percentile(client_ms, 0.95):.0f} ms over {len(client_ms)} turns")
        if server_own:
            print(f"server's own share: p50 {statistics.median(server_own):.0f} ms, "
                  f"p95 {percentile(server_own, 0.95):.0f} ms")
        barge = [b for b in results["barge_ins"] if b is not None]
        if results["barge_ins"]:
            print(f"barge-in: caller speech onset → clear: {', '.join(f'{b:.0f}' for b in barge)} ms "
                  f"({len(barge)}/{len(results['barge_ins'])} cleared; {len(cut)} turns kept as cut)")
    server.shutdown()
    fake.shutdown()


if __name__ == "__main__":
    main()
