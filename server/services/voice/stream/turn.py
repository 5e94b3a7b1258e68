"""One streamed agent turn: transcript → reply (streamed when the provider can) → sentence by
sentence speech → the caller, and the turn kept on the CallLog.

`run_turn` is the single entry point (the streamed twin of turns.handle_recording): the same
responder, CRM context, callback actions and conversation policy as the record path; a
fallback at each step is logged and kept on the turn.
"""
from __future__ import annotations

import logging
import re
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field

from sqlalchemy import select

from server.config import typed
from server.extensions import db
from server.models import CallLog, CallTurn
from server.providers import phone_audio as audio
from server.providers.errors import ProviderError
from server.schemas.settings import BusinessSettings
from server.services.voice import context, policy
from server.services.voice.policy import Directive
from server.services.voice.prompts import REPLY_FALLBACK, SAY_NOT_HEARD, SAY_TRANSFER

log = logging.getLogger(__name__)


class StreamGone(Exception):
    """The caller hung up (or the socket broke) while the agent was speaking."""


class Cancelled(Exception):
    """The caller spoke over the agent: stop this turn."""


@dataclass
class Job:
    """What the agent is saying now: a turn, or the opening lines (index None)."""
    key: str
    index: int | None
    transcript: str | None = None
    asr_provider: str | None = None
    reply_provider: str | None = None
    tts_provider: str | None = None
    reply: str = ""
    intents: list = field(default_factory=list)
    tool_calls: list = field(default_factory=list)
    fallbacks: list = field(default_factory=list)
    times: dict = field(default_factory=dict)        # wall-clock perf_counter stamps
    latencies: dict = field(default_factory=dict)    # provider times in ms
    cancel: threading.Event = field(default_factory=threading.Event)
    marks_sent: list = field(default_factory=list)
    marks_played: list = field(default_factory=list)
    all_sent: bool = False
    status: str | None = None                        # final: played | cut | failed
    directive: Directive | None = None               # the policy's answer: hang up or transfer
    result: object = None                            # the ReplyResult, once the reply is done
    finalized: bool = False

    def fallback(self, stage: str, reason: str) -> None:
        self.fallbacks.append({"stage": stage, "reason": reason})
        log.warning("stream turn %s: %s fell back (%s)", self.key, stage, reason)

    @property
    def speaking(self) -> bool:
        return not self.finalized and not self.cancel.is_set() and (
            not self.all_sent or len(self.marks_played) < len(self.marks_sent))


# ---- sentences -------------------------------------------------------------------------

_SENTENCE_END = re.compile(r"([.!?…]+)(\s+|$)")


class SentenceSplitter:
    """Text as it streams in → whole sentences. The first may end at a comma after a few words,
    so the caller hears something sooner."""

    def __init__(self, first_comma_words: int = 5):
        self.buffer = ""
        self.emitted = 0
        self.first_comma_words = first_comma_words

    def feed(self, text: str) -> list[str]:
        self.buffer += text
        out = []
        while True:
            if self.emitted + len(out) == 0:
                head = self._early_comma()
                if head:
                    out.append(head)
                    continue
            match = _SENTENCE_END.search(self.buffer)
            if match is None:
                break
            if not match.group(2) and match.group(1) == "." and self.buffer[match.start() - 1:match.start()].isdigit():
                break  # "9." may yet become "9.5": wait for the next piece
            out.append(self.buffer[:match.end(1)].strip())
            self.buffer = self.buffer[match.end():]
        out = [s for s in out if s]
        self.emitted += len(out)
        return out

    def _early_comma(self) -> str | None:
        end = _SENTENCE_END.search(self.buffer)
        limit = end.start() if end else len(self.buffer)
        comma = self.buffer.find(",", 0, limit)
        if comma < 0 or len(self.buffer[:comma].split()) < self.first_comma_words:
            return None
        if not self.buffer[comma + 1:].strip():
            return None  # nothing after it yet: it may be the end of a number or a list
        head, self.buffer = self.buffer[:comma + 1].strip(), self.buffer[comma + 1:]
        return head

    def flush(self) -> list[str]:
        rest, self.buffer = self.buffer.strip(), ""
        if rest:
            self.emitted += 1
            return [rest]
        return []


def split_sentences(text: str) -> list[str]:
    splitter = SentenceSplitter()
    return splitter.feed(text) + splitter.flush()


# ---- speech ----------------------------------------------------------------------------

_cache: OrderedDict = OrderedDict()
_cache_lock = threading.Lock()


def speak(tts, text: str) -> bytes:
    """Hebrew text → 8 kHz μ-law with the configured TTS provider (espeak: its WAV, no MP3 step)."""
    if hasattr(tts, "wav"):
        pcm, rate = audio.wav_to_pcm(tts.wav(text))
    else:
        spoken = tts.synthesize(text)
        pcm, rate = audio.wav_to_pcm(spoken.data) if spoken.ext == "wav" else audio.decode_any(spoken.data)
    return audio.to_phone(pcm, rate)


def speak_cached(tts, text: str) -> bytes:
    """Fixed lines (greeting, notices) are synthesized once per process."""
    key = (tts.name, text)
    with _cache_lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
    data = speak(tts, text)
    with _cache_lock:
        _cache[key] = data
        while len(_cache) > 32:
            _cache.popitem(last=False)
    return data


def _speak_with_fallback(config, job: Job, text: str, tts_name: str | None = None) -> bytes:
    from server.providers.tts import get_tts
    started = time.perf_counter()
    try:
        tts = get_tts(config, tts_name)
        job.tts_provider = tts.name
        data = speak(tts, text)
    except (ProviderError, ValueError, OSError) as exc:
        reason = exc.reason if isinstance(exc, ProviderError) else exc.__class__.__name__
        job.fallback("tts", reason)
        if job.tts_provider == "espeak":
            raise
        tts = get_tts(config, "espeak")
        job.tts_provider = "espeak"
        data = speak(tts, text)
    job.latencies["tts_ms"] = job.latencies.get("tts_ms", 0) + _ms(started)
    return data


def _ms(started: float) -> int:
    return int(round((time.perf_counter() - started) * 1000))


# ---- the turn --------------------------------------------------------------------------

def _reply_sentences(config, job: Job, ctx, transcript: str, reply_name: str | None = None):
    """Yields sentences as the reply provider produces them; sets job.reply_provider and the
    reply result (job.result) once done. Cloud errors fall back to the offline responder."""
    from server.providers.reply import get_reply

    from server.services.reception import answer_offline, wants_desk

    name = reply_name or typed(config).agent.reply_provider
    started = time.perf_counter()
    # A booking or a price is the desk's: its tools need the one-shot reply, not the stream.
    if name == "openai" and not wants_desk(transcript, ctx):
        from server.providers.reply.openai_stream import OpenAIStreamingReply
        generator = OpenAIStreamingReply.from_config(config)
        job.reply_provider = "openai"
        splitter = SentenceSplitter()
        text = ""
        try:
            for delta in generator.stream(transcript, ctx):
                text += delta
                for sentence in splitter.feed(delta):
                    job.latencies.setdefault("reply_first_ms", _ms(started))
                    yield sentence
            for sentence in splitter.flush():
                job.latencies.setdefault("reply_first_ms", _ms(started))
                yield sentence
            job.result = generator.result(transcript, ctx, text)
            job.latencies["reply_ms"] = _ms(started)
            return
        except ProviderError as exc:
            job.fallback("reply", exc.reason)
            if text.strip():
                # Part of the answer was already spoken: finish there rather than start over.
                job.result = generator.result(transcript, ctx, text)
                job.latencies["reply_ms"] = _ms(started)
                return
    result = None
    try:
        generator = get_reply(config, "offline" if name == "openai" and not wants_desk(transcript, ctx) else name)
        job.reply_provider = generator.name
        result = answer_offline(transcript, ctx) if generator.name == "offline" else generator.reply(transcript, ctx)
    except ProviderError as exc:
        job.fallback("reply", exc.reason)
        try:
            result = answer_offline(transcript, ctx)
            job.reply_provider = "offline"
        except Exception as inner:  # noqa: BLE001
            job.fallback("reply", f"offline: {inner.__class__.__name__}")
    if result is None:
        from server.providers.reply import ReplyResult
        result = ReplyResult(text=REPLY_FALLBACK, provider="fixed")
        job.reply_provider = "fixed"
    job.latencies["reply_first_ms"] = job.latencies["reply_ms"] = _ms(started)
    job.result = result
    yield from split_sentences(result.text)


def run_turn(app, call_id: int | None, job: Job, history: list[dict], sink, settings: BusinessSettings | None = None,
             names: dict | None = None) -> None:
    """Answer `job.transcript` out loud through `sink.send_sentence(job, ulaw)`.

    Raises nothing: Cancelled / StreamGone end the turn early (the session records it as cut).
    """
    from server.providers.reply import CallerContext
    from server.providers.reply.offline import detect_intents

    config = app.config
    job.result = None
    with app.app_context():
        try:
            call = db.session.get(CallLog, call_id) if call_id else None
            ctx = (context.build_context(call, history, job.transcript) if call is not None
                   else CallerContext(first_turn=not history))
            names = names or {}
            heard = detect_intents(job.transcript) if job.transcript else []
            handover = policy.asks_for_person(heard, settings) if job.transcript else None
            if job.transcript is None:
                sentences = iter([SAY_NOT_HEARD])
                job.reply_provider = "fixed"
            elif handover is not None:
                sentences = iter([SAY_TRANSFER])
                job.reply_provider = "fixed"
                job.intents = heard + ["transfer"]
                job.directive = handover
            else:
                sentences = _reply_sentences(config, job, ctx, job.transcript, names.get("reply"))
            spoken = []
            for sentence in sentences:
                if job.cancel.is_set():
                    raise Cancelled()
                t = time.perf_counter()
                ulaw = _speak_with_fallback(config, job, sentence, names.get("tts"))
                job.latencies.setdefault("tts_first_ms", _ms(t))
                spoken.append(sentence)
                job.reply = " ".join(spoken)
                sink.send_sentence(job, ulaw)
            result = job.result
            if result is not None:
                job.reply = result.text
                job.intents = list(result.intents or [])
                job.tool_calls = list(result.tool_calls or [])
                if call is not None and result.actions:
                    job.tool_calls += [{"name": "create_callback_task", "result": done}
                                       for done in context.apply_actions(call, result.actions)]
                if call is not None:
                    context.keep_dialog(call, ctx)
                    db.session.commit()
                # The reply was spoken: a goodbye needs no second one.
                job.directive = policy.after_turn(
                    result.intents, (job.index or 0) + 1,
                    policy.turn_limit(settings, typed(config).voice.turn_limit))
            job.all_sent = True
            sink.sent_all(job)
        except (Cancelled, StreamGone):
            db.session.rollback()
        except Exception:  # noqa: BLE001 - a broken turn must not take the call down
            log.exception("stream turn %s failed", job.key)
            db.session.rollback()
            job.fallback("server", "internal error")
            job.status = "failed"
            sink.sent_all(job)


def turn_latencies(job: Job) -> dict:
    """Stage times in ms, and the server's own share of end-of-speech → first audio."""
    t = job.times
    out = dict(job.latencies)
    for key, (a, b) in {"eot_wait_ms": ("speech_end", "committed"),
                        "first_audio_ms": ("speech_end", "first_frame"),
                        "asr_start_wait_ms": ("speech_end", "asr_started")}.items():
        if a in t and b in t:
            out[key] = int(round((t[b] - t[a]) * 1000))
    if "first_audio_ms" in out:
        policy = out.get("asr_start_wait_ms", 0)
        if "asr_done" in t and "committed" in t:
            policy += max(0, int(round((t["committed"] - t["asr_done"]) * 1000)))
        providers = out.get("asr_ms", 0) + out.get("reply_first_ms", 0) + out.get("tts_first_ms", 0)
        out["server_ms"] = max(0, out["first_audio_ms"] - policy - providers)
    if "speech_ms" in t:
        out["speech_ms"] = int(t["speech_ms"])
    return out


def save_turn(app, call_id: int | None, job: Job) -> int | None:
    """Keep the finished turn on the call (status played | cut | failed)."""
    if call_id is None or job.index is None:
        return None
    with app.app_context():
        try:
            call = db.session.get(CallLog, call_id)
            if call is None:
                return None
            exists = db.session.scalar(select(CallTurn.id).where(CallTurn.call_id == call_id,
                                                                 CallTurn.index == job.index))
            if exists:
                return exists
            latencies = turn_latencies(job)
            latencies["sentences_sent"] = len(job.marks_sent)
            latencies["sentences_played"] = len(job.marks_played)
            turn = CallTurn(call_id=call_id, index=job.index, status=job.status or "failed",
                            transcript=job.transcript, reply=job.reply or None, asr_provider=job.asr_provider,
                            reply_provider=job.reply_provider, tts_provider=job.tts_provider,
                            latencies=latencies, fallbacks=list(job.fallbacks), intents=list(job.intents),
                            tool_calls=list(job.tool_calls))
            db.session.add(turn)
            db.session.commit()
            from server.services.realtime import publish
            publish(call.business_id, "call.updated", call.to_dict())
            return turn.id
        except Exception:  # noqa: BLE001 - losing a turn's row must not end the call
            log.exception("could not save stream turn %s of call %s", job.key, call_id)
            db.session.rollback()
            return None
