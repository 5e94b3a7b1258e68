"""A local stand-in for Twilio's side of a bidirectional Media Stream, over a real websocket.

It sends what Twilio sends (connected, start, a media frame every 20 ms — silence when the
caller is quiet —, dtmf, stop) in real time, and plays what the server sends like Twilio does:
media is queued and "played" at 8 kHz, a mark is echoed once the audio before it has played,
and `clear` drops the queued audio and echoes the pending marks. Shared by the tests and
bench/realtime_turn.py.
"""
from __future__ import annotations

import base64
import json
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass, field

FRAME = 160          # bytes of μ-law: 20 ms
SILENCE = b"\xff" * FRAME

_speech_cache: dict[str, bytes] = {}


def hebrew_speech(text: str, rate: int | None = None) -> bytes:
    """The project's own TTS (espeak-ng) saying `text`, as 8 kHz μ-law like a phone line."""
    key = f"{rate}:{text}"
    if key not in _speech_cache:
        from server.providers.tts.espeak import EspeakTTS
        from server.providers import phone_audio as audio
        pcm, sr = audio.wav_to_pcm(EspeakTTS.from_config({"ESPEAK_RATE": rate} if rate else {}).wav(text))
        _speech_cache[key] = audio.to_phone(trim_silence(pcm, sr), sr)
    return _speech_cache[key]


def trim_silence(pcm, rate: int, threshold: float = 0.01):
    """espeak pads its clips with silence; a caller's speech ends where the voice ends, and
    that is where end-of-speech latency is measured from."""
    import numpy as np
    loud = np.flatnonzero(np.abs(pcm) > threshold)
    if len(loud) == 0:
        return pcm
    pad = int(0.02 * rate)
    return pcm[max(0, loud[0] - pad): loud[-1] + pad]


@dataclass
class Received:
    at: float
    message: dict


@dataclass
class MediaStreamClient:
    url: str
    auth_token: str | None = None
    signature: str | None = None
    call_sid: str = field(default_factory=lambda: "CA" + uuid.uuid4().hex)
    stream_sid: str = field(default_factory=lambda: "MZ" + uuid.uuid4().hex)
    # Like Twilio: announce the call to /webhook/incoming_call first and present the one-time
    # token its <Stream> carries. False: open the stream without announcing (an attacker's view).
    announce: bool = True
    token: str | None = None

    def __post_init__(self):
        from simple_websocket import Client
        headers = {}
        if self.signature is not None:
            headers["X-Twilio-Signature"] = self.signature
        elif self.auth_token:
            from twilio.request_validator import RequestValidator
            headers["X-Twilio-Signature"] = RequestValidator(self.auth_token).compute_signature(self.url, {})
        self.ws = Client.connect(self.url, headers=headers)
        self.received: list[Received] = []
        self.events = threading.Condition()
        self.seq = 0
        self.chunk = 0
        self.send_lock = threading.Lock()
        self.speech: deque = deque()          # frames the caller is about to say
        self.speech_started_at: float | None = None
        self.speech_ended_at: float | None = None
        self.playback: deque = deque()        # ("audio", frame) | ("mark", name)
        self.play_lock = threading.Lock()
        self.clears: list[float] = []
        self.media_frames: list[float] = []   # arrival time of every agent audio frame
        self.closed = False
        self.sending = False
        threading.Thread(target=self._reader, daemon=True).start()
        threading.Thread(target=self._player, daemon=True).start()

    # ---- sending -------------------------------------------------------------------------

    def send(self, message) -> None:
        with self.send_lock:
            if isinstance(message, dict) and message.get("sequenceNumber") == "next":
                # Numbered as it leaves, so frames from several threads stay in order like Twilio's.
                message = {**message, "sequenceNumber": self._next_seq()}
            self.ws.send(message if isinstance(message, (str, bytes)) else json.dumps(message))

    def _next_seq(self) -> str:
        self.seq += 1
        return str(self.seq)

    def connected(self) -> None:
        self.send({"event": "connected", "protocol": "Call", "version": "1.0.0"})

    def announce_call(self, params: dict) -> str | None:
        """What Twilio does before it opens a stream: POST the (signed) incoming_call webhook and
        read the one-time token from the <Stream> it answers."""
        import urllib.parse
        import urllib.request
        import xml.etree.ElementTree as ET
        base = ("https" if self.url.startswith("wss") else "http") + "://" + self.url.split("://", 1)[1]
        url = base.split("/webhook/", 1)[0] + "/webhook/incoming_call"
        form = {"CallSid": self.call_sid, "From": params.get("From") or "", "To": params.get("To") or "",
                "CallStatus": "ringing", "Direction": "inbound"}
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        if self.auth_token:
            from twilio.request_validator import RequestValidator
            headers["X-Twilio-Signature"] = RequestValidator(self.auth_token).compute_signature(url, form)
        request = urllib.request.Request(url, data=urllib.parse.urlencode(form).encode(), headers=headers)
        with urllib.request.urlopen(request, timeout=10) as answer:
            stream = ET.fromstring(answer.read()).find("Connect/Stream")
        if stream is None:
            return None
        return {p.get("name"): p.get("value") for p in stream.findall("Parameter")}.get("token")

    def start(self, params: dict | None = None) -> None:
        params = dict(params or {})
        if "token" not in params and self.announce:
            if self.token is None:
                self.token = self.announce_call(params)
            params["token"] = self.token
        params = {k: v for k, v in params.items() if v is not None}
        self.send({"event": "start", "sequenceNumber": "next", "streamSid": self.stream_sid, "start": {
            "accountSid": "AC" + "0" * 32, "streamSid": self.stream_sid, "callSid": self.call_sid,
            "tracks": ["inbound"], "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1},
            "customParameters": {"CallSid": self.call_sid, **params}}})

    def media_message(self, frame: bytes) -> dict:
        self.chunk += 1
        return {"event": "media", "sequenceNumber": "next", "streamSid": self.stream_sid,
                "media": {"track": "inbound", "chunk": str(self.chunk), "timestamp": str(self.chunk * 20),
                          "payload": base64.b64encode(frame).decode()}}

    def begin(self, params: dict | None = None) -> None:
        """connected + start, then a frame every 20 ms for as long as the call lasts."""
        self.connected()
        self.start(params)
        self.sending = True
        threading.Thread(target=self._sender, daemon=True).start()

    def _sender(self) -> None:
        next_at = time.perf_counter()
        while self.sending and not self.closed:
            frame = self.speech.popleft() if self.speech else None
            if frame is not None and self.speech_started_at is None:
                self.speech_started_at = time.perf_counter()
            try:
                self.send(self.media_message(frame if frame is not None else SILENCE))
            except Exception:  # noqa: BLE001 - the server went away
                self.closed = True
                return
            if frame is not None and not self.speech:
                self.speech_ended_at = time.perf_counter()
            next_at += 0.02
            time.sleep(max(0.0, next_at - time.perf_counter()))

    def say(self, ulaw: bytes, wait: bool = True) -> None:
        self.speech_started_at = self.speech_ended_at = None
        self.speech.extend(ulaw[i:i + FRAME].ljust(FRAME, b"\xff") for i in range(0, len(ulaw), FRAME))
        if wait:
            while self.speech and not self.closed:
                time.sleep(0.005)
            time.sleep(0.025)

    def dtmf(self, digit: str) -> None:
        self.send({"event": "dtmf", "streamSid": self.stream_sid, "sequenceNumber": "next",
                   "dtmf": {"track": "inbound_track", "digit": digit}})

    def stop(self) -> None:
        self.sending = False
        time.sleep(0.03)
        self.send({"event": "stop", "sequenceNumber": "next", "streamSid": self.stream_sid,
                   "stop": {"accountSid": "AC" + "0" * 32, "callSid": self.call_sid}})

    def hang_up(self) -> None:
        """The caller is gone: the socket closes without a stop message."""
        self.sending = False
        self.closed = True
        try:
            self.ws.close()
        except Exception:  # noqa: BLE001
            pass

    # ---- receiving and "playing" ---------------------------------------------------------

    def _reader(self) -> None:
        while not self.closed:
            try:
                raw = self.ws.receive(timeout=0.2)
            except Exception:  # noqa: BLE001 - ConnectionClosed
                self.closed = True
                break
            if raw is None:
                continue
            now = time.perf_counter()
            message = json.loads(raw)
            event = message.get("event")
            with self.play_lock:
                if event == "media":
                    self.media_frames.append(now)
                    self.playback.append(("audio", base64.b64decode(message["media"]["payload"])))
                elif event == "mark":
                    self.playback.append(("mark", message["mark"]["name"]))
                elif event == "clear":
                    self.clears.append(now)
                    marks = [item[1] for item in self.playback if item[0] == "mark"]
                    self.playback.clear()
                    for name in marks:
                        self._echo_mark(name)
            with self.events:
                self.received.append(Received(now, message))
                self.events.notify_all()
        with self.events:
            self.events.notify_all()

    def _echo_mark(self, name: str) -> None:
        try:
            self.send({"event": "mark", "sequenceNumber": "next", "streamSid": self.stream_sid,
                       "mark": {"name": name}})
        except Exception:  # noqa: BLE001
            pass

    def _player(self) -> None:
        next_at = time.perf_counter()
        while not self.closed:
            with self.play_lock:
                item = self.playback.popleft() if self.playback else None
            if item is None:
                time.sleep(0.005)
                next_at = time.perf_counter()
                continue
            if item[0] == "mark":
                self._echo_mark(item[1])
                continue
            next_at += len(item[1]) / 8000
            time.sleep(max(0.0, next_at - time.perf_counter()))

    @property
    def playing(self) -> bool:
        with self.play_lock:
            return bool(self.playback)

    def messages(self, event: str | None = None) -> list[dict]:
        with self.events:
            return [r.message for r in self.received if event is None or r.message.get("event") == event]

    def wait_for(self, predicate, timeout: float = 20.0) -> bool:
        deadline = time.monotonic() + timeout
        with self.events:
            while not predicate():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self.events.wait(min(remaining, 0.1))
        return True

    def wait_quiet(self, timeout: float = 30.0) -> bool:
        """Until the agent has said everything it queued (its last mark has come back)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.playing and self.received and time.perf_counter() - self.received[-1].at > 0.5:
                return True
            time.sleep(0.02)
        return False

    def first_media_after(self, at: float) -> float | None:
        with self.events:
            return next((t for t in self.media_frames if t >= at), None)
