"""One Twilio bidirectional Media Stream: the websocket conversation of one call.

Inbound (Twilio → us): connected, start, media (base64 μ-law 8 kHz, 20 ms), dtmf, mark, stop.
Outbound (us → Twilio): media {payload}, mark {name} after each spoken sentence, clear.

The receive loop is the only place that decides anything about turns: it runs voice activity
detection on each frame, starts the speculative transcription after a short pause, ends the
turn by the Hebrew rule (turn_taking), and stops the agent (`clear`) when the caller speaks
over it. The turn itself (reply + speech) runs in a worker thread so the loop keeps listening.

Robustness: malformed JSON, unknown events, media before `start`, repeated or late frames are
counted and skipped; a socket that closes without `stop`, or goes silent, ends the call's
stream cleanly; a hang-up mid-reply ends that turn as cut.
"""
from __future__ import annotations

import base64
import binascii
import json
import logging
import threading
import time
from collections import deque

import numpy as np

from server.config import typed
from server.json_input import loads as loads_untrusted, unstorable_fields
from server.providers import phone_audio as audio
from server.schemas.settings import BusinessSettings, as_settings
from server.services.voice import policy
from server.services.voice.policy import Action, Directive
from server.services.voice.stream.binding import begin_call, call_for, end_call
from server.services.voice.stream.turn import Cancelled, Job, StreamGone, run_turn, save_turn, speak_cached
from server.services.voice.stream.turn_taking import classify, silence_needed, tuning_for
from server.services.voice.twiml import TOKEN_PARAMETER

log = logging.getLogger(__name__)

MAX_MALFORMED = 500          # a client sending only garbage is cut off after this many
SEQUENCE_WINDOW = 500        # how far back a sequence number counts as late rather than renumbered
PREROLL_MS = 300             # audio kept from before speech onset (VAD needs a moment)


class StreamSession:
    def __init__(self, ws, app):
        self.ws = ws
        self.app = app
        self.config = app.config
        stream = typed(self.config).stream
        self.idle_seconds = stream.idle_seconds
        self.asr_context_s = stream.asr_context_s
        self.send_lock = threading.Lock()
        self.lock = threading.RLock()
        self.closed = False
        self.end_reason: str | None = None
        self.stream_sid: str | None = None
        self.call_sid: str | None = None
        self.call_id: int | None = None
        self.settings = BusinessSettings()
        self.tuning = tuning_for(self.settings)
        self.stats = {"frames": 0, "malformed": 0, "out_of_order": 0, "ignored": 0, "barge_ins": 0, "dtmf": []}
        self.last_seq: int | None = None
        self.stream_ms = 0.0
        self.jobs: dict[str, Job] = {}
        self.threads: list[threading.Thread] = []
        self.history: list[dict] = []
        self.turn_index = 0
        self.directive: Directive | None = None
        self.names: dict = {"asr": None, "reply": None, "tts": None}  # the business's providers
        # voice activity / turn state
        from server.providers.vad import get_vad
        self.vad = get_vad(self.config)
        self.vad_stream = self.vad.stream()
        self.preroll: deque = deque(maxlen=PREROLL_MS // audio.FRAME_MS)
        self.utterance: list[np.ndarray] = []
        self.in_speech = False
        self.voiced_run_ms = 0.0
        self.onset_wall: float | None = None
        self.last_voiced_ms = 0.0
        self.last_voiced_wall = 0.0
        self.speech_start_ms = 0.0
        self.spec: dict | None = None     # the speculative transcription of the current pause
        self.spec_gen = 0
        self.asr_busy = threading.Event()  # one transcription at a time: a stale one is not queued behind

    # ---- the loop ------------------------------------------------------------------------

    def run(self) -> None:
        from simple_websocket import ConnectionClosed
        last_message = time.monotonic()
        try:
            while not self.closed:
                try:
                    raw = self.ws.receive(timeout=0.1)
                except ConnectionClosed:
                    self.end_reason = self.end_reason or "closed without stop"
                    break
                now = time.monotonic()
                if raw is None:
                    if now - last_message > self.idle_seconds:
                        self.end_reason = "idle"
                        break
                    self._maybe_commit()
                    continue
                last_message = now
                self.handle(raw)
        except Exception:  # noqa: BLE001 - whatever breaks, the call's record is closed properly
            log.exception("media stream %s failed", self.stream_sid)
            self.end_reason = self.end_reason or "server error"
        finally:
            self.finish()

    def handle(self, raw) -> None:
        if isinstance(raw, bytes):
            return self._malformed("binary frame")
        try:
            message = loads_untrusted(raw)  # a frame nested too deep is malformed, not a crash
        except ValueError:
            return self._malformed("not JSON")
        if unstorable_fields(message):  # a NUL or lone surrogate would fail the call's row later
            return self._malformed("unstorable text")
        if not isinstance(message, dict) or not isinstance(message.get("event"), str):
            return self._malformed("no event")
        event = message["event"]
        if event == "connected":
            return None
        if event == "start":
            return self._on_start(message)
        if event == "stop":
            self.end_reason = "stop"
            self.closed = True
            return None
        if self.stream_sid is None:
            self.stats["out_of_order"] += 1  # media/mark/dtmf before start: nothing to answer to
            return None
        sid = message.get("streamSid")
        if sid is not None and sid != self.stream_sid:
            return self._malformed("another stream's message")
        if not self._in_sequence(message):
            return None
        if event == "media":
            return self._on_media(message.get("media"))
        if event == "mark":
            mark = message.get("mark")
            name = mark.get("name") if isinstance(mark, dict) else None
            return self._on_mark(name) if isinstance(name, str) else self._malformed("mark without name")
        if event == "dtmf":
            dtmf = message.get("dtmf")
            digit = dtmf.get("digit") if isinstance(dtmf, dict) else None
            return self._on_dtmf(digit) if isinstance(digit, str) else self._malformed("dtmf without digit")
        self.stats["ignored"] += 1
        return None

    def _malformed(self, why: str) -> None:
        self.stats["malformed"] += 1
        if self.stats["malformed"] in (1, 10, 100):
            log.warning("media stream %s: malformed message (%s), %d so far", self.stream_sid, why,
                        self.stats["malformed"])
        if self.stats["malformed"] >= MAX_MALFORMED:
            self.end_reason = "too many malformed messages"
            self.closed = True

    def _in_sequence(self, message: dict) -> bool:
        """Twilio numbers its messages; a repeated or late one is dropped. A number far behind
        the last one is a renumbered stream, not a late frame: follow it rather than drop
        everything from then on."""
        try:
            seq = int(message.get("sequenceNumber"))
        except (TypeError, ValueError):
            return True
        if self.last_seq is not None and self.last_seq - SEQUENCE_WINDOW < seq <= self.last_seq:
            self.stats["out_of_order"] += 1
            return False
        self.last_seq = seq
        return True

    # ---- events --------------------------------------------------------------------------

    def _on_start(self, message: dict) -> None:
        start = message.get("start")
        if self.stream_sid is not None:
            self.stats["out_of_order"] += 1  # a second start on one socket
            return
        if not isinstance(start, dict):
            return self._malformed("start without start")
        sid = message.get("streamSid") or start.get("streamSid")
        if not isinstance(sid, str) or not sid:
            return self._malformed("start without streamSid")
        fmt = start.get("mediaFormat") or {}
        if isinstance(fmt, dict) and fmt.get("encoding") not in (None, "audio/x-mulaw"):
            log.warning("media stream %s: unexpected encoding %r", sid, fmt.get("encoding"))
        params = start.get("customParameters") if isinstance(start.get("customParameters"), dict) else {}
        # Twilio's own callSid is what the token must match; a customParameters CallSid is ours
        # (echoed back) and counts only when Twilio's is absent.
        call_sid = start.get("callSid") or params.get("CallSid")
        call_id, settings, turn_index = begin_call(self.app, call_sid, params.get(TOKEN_PARAMETER), sid, self.vad)
        if call_id is None:
            # Not a call Twilio announced to us (no token, forged, replayed, another call's):
            # no agent, no record, the socket is closed.
            self.end_reason = "refused: no valid stream token"
            self.closed = True
            return None
        self.stream_sid = sid
        self.call_sid = call_sid
        self.last_seq = None
        self.call_id, self.settings, self.turn_index = call_id, as_settings(settings), turn_index
        self.tuning = tuning_for(self.settings)
        from server.services.voice.pipeline import provider_names
        self.names = provider_names(self.config, self.settings)
        threading.Thread(target=self._warm_up, daemon=True, name="stream-warm-up").start()
        self._start_job(Job(key="greet", index=None), self._speak_opening)

    def _warm_up(self) -> None:
        """Load the speech model while the greeting plays, not when the caller has finished."""
        from server.providers.asr import get_asr
        from server.providers.asr.whisper_stream import warm_up
        try:
            warm_up(get_asr(self.config, self.names["asr"]))
        except Exception:  # noqa: BLE001 - the turn itself reports a broken model
            log.warning("media stream %s: speech model warm-up failed", self.stream_sid)

    def _on_media(self, media) -> None:
        if not isinstance(media, dict) or not isinstance(media.get("payload"), str):
            return self._malformed("media without payload")
        if media.get("track") not in (None, "inbound", "inbound_track"):
            self.stats["ignored"] += 1
            return None
        try:
            ulaw = base64.b64decode(media["payload"], validate=True)
        except (binascii.Error, ValueError):
            return self._malformed("payload not base64")
        if not ulaw or len(ulaw) > 8000:
            return self._malformed("payload size")
        self.stats["frames"] += 1
        pcm = audio.ulaw_decode(ulaw)
        frame_ms = len(pcm) / audio.RATE * 1000
        self.stream_ms += frame_ms
        if self.in_speech:
            self.utterance.append(pcm)
        else:
            self.preroll.append(pcm)
        for prob in self.vad_stream.push(audio.upsample_frame(pcm)):
            self._on_probability(prob)
        self._maybe_commit()
        return None

    def _on_probability(self, prob: float) -> None:
        tuning = self.tuning
        window_ms = 32.0
        voiced = prob >= (tuning["vad_threshold"] if not self.in_speech else tuning["vad_threshold"] - 0.15)
        now = time.perf_counter()
        if voiced:
            if self.voiced_run_ms == 0:
                self.onset_wall = now
            self.voiced_run_ms += window_ms
            self.last_voiced_ms = self.stream_ms
            self.last_voiced_wall = now
            if not self.in_speech and self.voiced_run_ms >= tuning["min_speech_ms"]:
                self.in_speech = True
                self.speech_start_ms = self.stream_ms - self.voiced_run_ms
                self.utterance = list(self.preroll)
                self.preroll.clear()
            if self.in_speech and self.spec is not None:
                self.spec = None  # the caller went on: that pause was not the end
                self.spec_gen += 1
            if self.in_speech and self.voiced_run_ms >= tuning["barge_in_ms"]:
                self._barge_in()
        else:
            self.voiced_run_ms = 0

    def _barge_in(self) -> None:
        with self.lock:
            speaking = [job for job in self.jobs.values() if job.speaking]
            if not speaking:
                return
            for job in speaking:
                job.cancel.set()
                job.times["barge_in"] = time.perf_counter()
                if self.onset_wall is not None:
                    job.latencies["barge_in_ms"] = int(round((time.perf_counter() - self.onset_wall) * 1000))
        self._send({"event": "clear", "streamSid": self.stream_sid})
        self.stats["barge_ins"] += 1
        for job in speaking:
            self._finalize(job, "cut")

    def _on_mark(self, name: str) -> None:
        key = name.split(":", 1)[0]
        with self.lock:
            job = self.jobs.get(key)
            if job is None or job.cancel.is_set() or job.finalized or name not in job.marks_sent:
                return
            if name not in job.marks_played:
                job.marks_played.append(name)
            done = job.all_sent and len(job.marks_played) >= len(job.marks_sent)
        if done:
            self._finalize(job, job.status or "played")
            if job.directive:
                self.directive = job.directive
                hangup = job.directive.action is Action.HANGUP
                self.end_reason = "agent ended the call" if hangup else "transfer"
                self.closed = True

    def _on_dtmf(self, digit: str) -> None:
        self.stats["dtmf"].append(digit[:1])
        directive = policy.on_key(digit[:1])
        if directive is not None:
            self.directive = directive
            self.end_reason = "dtmf"
            self.closed = True

    # ---- end of turn ---------------------------------------------------------------------

    def _maybe_commit(self) -> None:
        if not self.in_speech:
            return
        silence = self.stream_ms - self.last_voiced_ms
        speech_len = self.stream_ms - self.speech_start_ms
        tuning = self.tuning
        too_long = speech_len >= tuning["max_utterance_ms"]
        if self.spec is None and not self.asr_busy.is_set() and (silence >= tuning["asr_start_ms"] or too_long):
            self._start_transcription()
        spec = self.spec
        if spec is None or spec["status"] == "running":
            return
        needed = silence_needed(spec["kind"], tuning)
        if silence < needed and not too_long:
            return
        # The turn ends here.
        self.in_speech = False
        self.spec = None
        self.spec_gen += 1
        self.utterance = []
        self.voiced_run_ms = 0
        if spec["status"] == "empty":
            return  # a cough or a door: nothing was said
        spec["times"]["committed"] = time.perf_counter()
        job = Job(key=f"t{self.turn_index}", index=self.turn_index, transcript=spec.get("text"),
                  asr_provider=spec.get("provider"), times=spec["times"])
        job.latencies["asr_ms"] = spec["asr_ms"]
        job.times["speech_ms"] = spec["speech_ms"]
        job.latencies["end_rule"] = {"complete": 1, "unknown": 2, "incomplete": 3}[spec["kind"]]
        if spec.get("error"):
            job.fallback("asr", spec["error"])
        self.turn_index += 1
        self._start_job(job, self._answer)

    def _start_transcription(self) -> None:
        self.spec_gen += 1
        gen = self.spec_gen
        samples = np.concatenate(self.utterance) if self.utterance else np.zeros(0, dtype=np.int16)
        spec = {"gen": gen, "status": "running", "kind": "unknown",
                "speech_ms": len(samples) / audio.RATE * 1000,
                "times": {"speech_end": self.last_voiced_wall or time.perf_counter(),
                          "asr_started": time.perf_counter()}}
        self.spec = spec
        self.asr_busy.set()
        thread = threading.Thread(target=self._transcribe, args=(spec, samples), daemon=True,
                                  name=f"stream-asr-{self.stream_sid}")
        thread.start()

    def _transcribe(self, spec: dict, samples: np.ndarray) -> None:
        from server.providers.asr import get_asr
        from server.providers.asr.whisper_stream import transcribe_utterance
        from server.providers.errors import ProviderError
        started = time.perf_counter()
        try:
            asr = get_asr(self.config, self.names["asr"])
            spec["provider"] = asr.name
            x16 = audio.resample(samples.astype(np.float32) / 32768.0, audio.RATE, 16000)
            text = transcribe_utterance(asr, x16, self.asr_context_s).text.strip()
            spec["text"] = text
            spec["kind"] = classify(text)
            status = "done" if text else "empty"
        except ProviderError as exc:
            spec["error"] = exc.reason
            spec["text"] = None
            status = "done"  # the caller said something we could not hear: ask again
        except Exception as exc:  # noqa: BLE001
            log.exception("stream transcription failed")
            spec["error"] = exc.__class__.__name__
            spec["text"] = None
            status = "done"
        spec["asr_ms"] = int(round((time.perf_counter() - started) * 1000))
        spec["times"]["asr_done"] = time.perf_counter()
        spec["status"] = status
        self.asr_busy.clear()

    # ---- speaking ------------------------------------------------------------------------

    def _start_job(self, job: Job, target) -> None:
        with self.lock:
            self.jobs[job.key] = job
        thread = threading.Thread(target=target, args=(job,), daemon=True, name=f"stream-{job.key}")
        self.threads.append(thread)
        thread.start()

    def _speak_opening(self, job: Job) -> None:
        from server.providers.tts import get_tts
        try:
            call = call_for(self.app, self.call_id)
            lines = policy.opening_lines(self.settings, call is not None and call.business_id is not None)
            tts = get_tts(self.config, self.names["tts"])
            for line in lines:
                if job.cancel.is_set():
                    return
                self.send_sentence(job, speak_cached(tts, line))
            job.all_sent = True
            self.sent_all(job)
        except StreamGone:
            return
        except Exception:  # noqa: BLE001 - no greeting is better than no call
            log.exception("media stream %s: opening lines failed", self.stream_sid)
            job.all_sent = True
            self.sent_all(job)

    def _answer(self, job: Job) -> None:
        run_turn(self.app, self.call_id, job, list(self.history), self, self.settings, self.names)
        if job.reply and job.transcript:
            self.history.append({"caller": job.transcript, "agent": job.reply})

    def send_sentence(self, job: Job, ulaw: bytes) -> None:
        """All of a sentence's frames, then a mark Twilio echoes once it has been played."""
        with self.send_lock:
            if self.closed and self.end_reason != "agent ended the call":
                raise StreamGone()
            if job.cancel.is_set():
                raise Cancelled()
            name = f"{job.key}:{len(job.marks_sent)}"
            try:
                for i, frame in enumerate(audio.frames(ulaw)):
                    self.ws.send(json.dumps({"event": "media", "streamSid": self.stream_sid,
                                             "media": {"payload": base64.b64encode(frame).decode("ascii")}}))
                    if i == 0:
                        job.times.setdefault("first_frame", time.perf_counter())
                self.ws.send(json.dumps({"event": "mark", "streamSid": self.stream_sid, "mark": {"name": name}}))
            except Exception as exc:  # noqa: BLE001 - ConnectionClosed or a dead socket
                raise StreamGone() from exc
            job.marks_sent.append(name)

    def sent_all(self, job: Job) -> None:
        with self.lock:
            done = not job.marks_sent or len(job.marks_played) >= len(job.marks_sent)
        if done:  # nothing was spoken (or it all played already)
            self._finalize(job, job.status or ("played" if job.marks_sent else "failed"))

    def _send(self, message: dict) -> None:
        with self.send_lock:
            try:
                self.ws.send(json.dumps(message))
            except Exception:  # noqa: BLE001 - the receive loop notices the closed socket
                pass

    def _finalize(self, job: Job, status: str, reason: str | None = None) -> None:
        with self.lock:
            if job.finalized:
                return
            job.finalized = True
            job.status = status
            if reason:
                job.fallback("stream", reason)
        save_turn(self.app, self.call_id, job)

    # ---- the end -------------------------------------------------------------------------

    def finish(self) -> None:
        self.closed = True
        with self.lock:
            jobs = list(self.jobs.values())
            interrupted = [job for job in jobs if not job.finalized and job.speaking]
        for job in interrupted:
            job.cancel.set()
        for thread in self.threads:
            thread.join(timeout=15)
        for job in jobs:
            if job in interrupted:
                self._finalize(job, "cut", "stream stopped" if self.end_reason == "stop" else "caller hung up")
            elif not job.finalized:
                self._finalize(job, job.status or "played")
        end_call(self.app, self.call_id, self.stream_sid, self.end_reason or "stop", self.stats, self.directive)
        try:
            self.ws.close()
        except Exception:  # noqa: BLE001
            pass


def serve(ws, app) -> None:
    """The websocket at /webhook/media_stream: one call's conversation, to its end."""
    StreamSession(ws, app).run()
