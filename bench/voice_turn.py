"""Benchmark: N phone turns through the webhooks with the offline providers.

    .venv/bin/python bench/voice_turn.py                 # 20 turns: local Whisper, offline responder, espeak
    .venv/bin/python bench/voice_turn.py --turns 50 --calls 10

A real Hebrew question (spoken by espeak-ng, 8 kHz WAV) is served by an HTTP server on
127.0.0.1 as the Twilio recording. Each turn is POST /webhook/handle_recording through
the Flask test client, the way Twilio calls it (the call's first turns greet, later
ones do not; every few turns a new call starts). Printed, in milliseconds, p50/p95:
each stage as the turn recorded it (download, asr, reply, tts), the webhook's total
wall time, and the server's own overhead = total − (download + asr + reply + tts):
the database, the call lookup, the turn's thread hand-off and TwiML. The overhead is
also printed as a share of the total. Goal: overhead < 100 ms a turn.
"""
from __future__ import annotations

import argparse
import http.server
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

QUESTION = "מה שעות הפתיחה שלכם?"


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def serve(audio: bytes) -> tuple[http.server.ThreadingHTTPServer, str]:
    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "audio/wav")
            self.send_header("Content-Length", str(len(audio)))
            self.end_headers()
            self.wfile.write(audio)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/Recordings/RE0001.wav"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--turns", type=int, default=20)
    parser.add_argument("--calls", type=int, default=4, help="the turns are spread over this many calls")
    parser.add_argument("--espeak-mode", default="raw", choices=("raw", "g2p"))
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="kesher-bench-"))
    os.environ.setdefault("HUEY_SQLITE_PATH", str(tmp / "huey.db"))
    os.environ.pop("REDIS_URL", None)
    from server.app_factory import create_app
    from server.extensions import db, huey
    huey.immediate = True
    app = create_app({"TESTING": True, "APP_ENV": "testing", "SECRET_KEY": "bench-secret-key-not-for-production",
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp / 'bench.db'}", "LOG_DIR": str(tmp / "logs"),
                      "MEDIA_DIR": str(tmp / "media"), "RATELIMIT_STORAGE_URI": "memory://", "REDIS_URL": None,
                      "LOG_LEVEL": "WARNING", "RECORDING_HOSTS": "127.0.0.1", "ASR_PROVIDER": "local",
                      "REPLY_PROVIDER": "offline", "TTS_PROVIDER": "espeak", "ESPEAK_MODE": args.espeak_mode,
                      "VOICE_TURN_DEADLINE": 60, "HOST": "https://bench.kesher.test"})
    logging.disable(logging.WARNING)

    # The caller's question in the project's own Hebrew voice (espeak-ng through the niqqud
    # G2P), which Whisper understands, so the turn measured is a real answered question.
    from server.providers.tts.espeak import EspeakTTS
    wav = EspeakTTS({"ESPEAK_MODE": "g2p", "ESPEAK_RATE": 130}).wav(QUESTION)
    wav8k = subprocess.run(["ffmpeg", "-loglevel", "error", "-i", "pipe:0", "-ar", "8000", "-ac", "1", "-f", "wav",
                            "pipe:1"], input=wav, capture_output=True, check=True).stdout
    server, recording_url = serve(wav8k)

    with app.app_context():
        from server.db_migrate import upgrade_database
        from server.models import Business, CallTurn, Customer
        upgrade_database()
        business = Business(name="מספרת מדידה", voice_number="+97235551234",
                            settings={"turn_limit": 50, "hours": {"sun": "09:00-17:00", "mon": "09:00-17:00"}})
        db.session.add(business)
        db.session.flush()
        db.session.add(Customer(business_id=business.id, name="דנה כהן", phone="+972502345678"))
        db.session.commit()
        from server.providers.asr import get_asr
        get_asr(app.config)  # load the model once, outside the measurement

    client = app.test_client()
    stages = {"download_ms": [], "asr_ms": [], "reply_ms": [], "tts_ms": []}
    totals, overheads, transcripts = [], [], []
    per_call = max(1, -(-args.turns // args.calls))
    for i in range(args.turns):
        sid = f"CAbench{i // per_call:04d}"
        form = {"CallSid": sid, "From": "+972502345678", "To": "+97235551234", "AccountSid": "AC0"}
        if i % per_call == 0:
            client.post("/webhook/incoming_call", data=form)
        t = time.perf_counter()
        response = client.post("/webhook/handle_recording", data={**form, "RecordingUrl": recording_url})
        total = (time.perf_counter() - t) * 1000
        assert response.status_code == 200 and b"<Play>" in response.data, response.data
        with app.app_context():
            from sqlalchemy import select
            turn = db.session.scalars(select(CallTurn).order_by(CallTurn.id.desc()).limit(1)).one()
            lat = dict(turn.latencies)
            transcripts.append(turn.transcript)
        provider = sum(lat.get(k, 0) for k in stages)
        for key in stages:
            stages[key].append(lat.get(key, 0))
        totals.append(total)
        overheads.append(total - provider)
    server.shutdown()

    print(f"{args.turns} turns over {args.calls} calls; offline providers (local Whisper, responder, "
          f"espeak {args.espeak_mode}); question: {QUESTION!r}; heard as e.g. {transcripts[0]!r}")
    print(f"{'stage':<12}{'p50 ms':>10}{'p95 ms':>10}")
    for key, values in stages.items():
        print(f"{key[:-3]:<12}{pct(values, .5):>10.0f}{pct(values, .95):>10.0f}")
    print(f"{'total':<12}{pct(totals, .5):>10.0f}{pct(totals, .95):>10.0f}")
    print(f"{'overhead':<12}{pct(overheads, .5):>10.1f}{pct(overheads, .95):>10.1f}")
    ratio = [o / t for o, t in zip(overheads, totals)]
    print(f"server overhead / total: p50 {pct(ratio, .5):.1%}, p95 {pct(ratio, .95):.1%}; "
          f"mean overhead {statistics.mean(overheads):.1f} ms a turn (goal < 100 ms): "
          f"{'met' if pct(overheads, .95) < 100 else 'NOT met'} at p95")


if __name__ == "__main__":
    main()
