"""One agent turn's stages — transcribe → answer → speak — shared by phone calls, the
try-the-agent API and `flask agent`. No request, no ORM writes: the caller builds the
CallerContext and decides what to do with the result.

Every stage that fails is logged and kept in `fallbacks`; the turn always ends with
something to say (the seed's Hebrew sentences are the last resorts).
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

from server.config import KesherConfig, typed
from server.providers.errors import ProviderError
from server.providers.reply import CallerContext
from server.schemas.settings import BusinessSettings, as_settings
from server.services.voice import policy
from server.services.voice.prompts import REPLY_FALLBACK, SAY_LAST_RESORT, SAY_NOT_UNDERSTOOD, SAY_TRANSFER

log = logging.getLogger(__name__)


@dataclass
class TurnResult:
    transcript: str | None = None
    reply: str | None = None
    audio_url: str | None = None
    say: str | None = None              # what <Say> speaks when there is no audio to <Play>
    providers: dict = field(default_factory=lambda: {"asr": None, "reply": None, "tts": None})
    latencies: dict = field(default_factory=dict)
    fallbacks: list = field(default_factory=list)
    intents: list = field(default_factory=list)
    actions: list = field(default_factory=list)
    tool_calls: list = field(default_factory=list)
    failed: bool = False

    def to_dict(self) -> dict:
        return {"transcript": self.transcript, "reply": self.reply, "audio_url": self.audio_url,
                "providers": dict(self.providers), "latencies": dict(self.latencies),
                "fallbacks": list(self.fallbacks), "intents": list(self.intents),
                "tool_calls": list(self.tool_calls)}


def ms(started: float) -> int:
    return int(round((time.perf_counter() - started) * 1000))


def add_fallback(result: TurnResult, stage: str, reason: str, label: str | None = None) -> None:
    result.fallbacks.append({"stage": stage, "reason": reason})
    log.warning("%s: %s fell back (%s)", label or "turn", stage, reason)


def provider_names(config: KesherConfig | dict, settings: BusinessSettings | dict | None) -> dict:
    """The business's choice (settings.providers) over the deployment's defaults."""
    chosen = as_settings(settings).providers
    agent = typed(config).agent
    return {"asr": chosen.asr or agent.asr_provider,
            "reply": chosen.reply or agent.reply_provider,
            "tts": chosen.tts or agent.tts_provider}


def transcribe(config: dict, audio: bytes, result: TurnResult, names: dict, filename: str = "recording.mp3",
               label: str | None = None) -> bool:
    from server.providers.asr import get_asr
    t = time.perf_counter()
    try:
        asr = get_asr(config, names["asr"])
        result.providers["asr"] = asr.name
        text = asr.transcribe(audio, filename=filename).text
        if not text.strip():
            raise ProviderError(asr.name, "nothing intelligible")
    except ProviderError as exc:
        result.latencies["asr_ms"] = ms(t)
        add_fallback(result, "asr", exc.reason, label)
        result.failed = True
        result.say = SAY_NOT_UNDERSTOOD
        return False
    result.latencies["asr_ms"] = ms(t)
    result.transcript = text
    return True


def fixed_reply(result: TurnResult) -> None:
    """No provider could answer: the seed's sentence is the reply."""
    result.reply = REPLY_FALLBACK
    result.providers["reply"] = "fixed"


def answer(config: dict, transcript: str, ctx: CallerContext, result: TurnResult, names: dict,
           label: str | None = None) -> None:
    """The reply text: the chosen provider, else the offline responder, else the seed's sentence."""
    from server.providers.reply import get_reply
    from server.services.reception import answer_offline

    t = time.perf_counter()
    reply = None
    try:
        generator = get_reply(config, names["reply"])
        result.providers["reply"] = generator.name
        # Offline, the receptionist (appointments, prices, knowledge) comes before the CRM rules.
        reply = answer_offline(transcript, ctx) if generator.name == "offline" else generator.reply(transcript, ctx)
    except Exception as exc:  # noqa: BLE001 - a responder bug or a database error must not silence the turn
        if isinstance(exc, ProviderError):
            add_fallback(result, "reply", exc.reason, label)
        else:
            log.exception("%s: reply provider %s crashed", label or "turn", names["reply"])
            add_fallback(result, "reply", f"{names['reply']}: {exc.__class__.__name__}", label)
        if result.providers["reply"] != "offline":
            # The offline responder needs no network: it answers when the cloud cannot.
            try:
                reply = answer_offline(transcript, ctx)
                result.providers["reply"] = "offline"
            except Exception as inner:  # noqa: BLE001
                log.exception("%s: offline responder crashed", label or "turn")
                add_fallback(result, "reply", f"offline: {inner.__class__.__name__}", label)
    result.latencies["reply_ms"] = ms(t)
    if reply is None:
        fixed_reply(result)
        return
    result.reply = reply.text
    result.intents = list(reply.intents)
    result.actions = list(reply.actions)
    result.tool_calls = list(reply.tool_calls)


def speak(config: dict, text: str, result: TurnResult, names: dict, base_url: str, label: str | None = None) -> None:
    from server.providers.storage import save_audio, storage_reason
    from server.providers.tts import get_tts

    t = time.perf_counter()
    try:
        tts = get_tts(config, names["tts"])
        result.providers["tts"] = tts.name
        spoken = tts.synthesize(text)
        stored = save_audio(config, spoken.data, spoken.ext, base_url)
        result.audio_url = stored.url
    except Exception as exc:  # noqa: BLE001 - whatever breaks, Twilio's <Say> still speaks the reply
        if isinstance(exc, ProviderError):
            reason = exc.reason
        elif isinstance(exc, OSError):
            reason = storage_reason(exc)  # save_audio logged it at error level
        else:
            reason = f"{result.providers['tts'] or names['tts']}: {exc.__class__.__name__}"
            log.exception("%s: speech synthesis crashed", label or "turn")
        add_fallback(result, "tts", reason, label)
        # Twilio's own <Say> speaks the reply; the seed's sentence only if there is none.
        result.say = text or SAY_LAST_RESORT
    result.latencies["tts_ms"] = ms(t)


def respond(config: dict, transcript: str, ctx: CallerContext, settings: BusinessSettings | dict | None,
            result: TurnResult, names: dict, base_url: str, label: str | None = None, apply=None) -> None:
    """From the transcript to what the caller hears. Asking for a person (נציג, בן אדם) when
    the business has a transfer number is a transfer, not a reply; `apply` carries out the
    reply's actions (a callback task) and its results are kept as tool calls."""
    from server.providers.reply.offline import detect_intents

    intents = detect_intents(transcript)
    if policy.asks_for_person(intents, settings):
        result.intents = intents + ["transfer"]
        result.reply = result.say = SAY_TRANSFER
        return
    answer(config, transcript, ctx, result, names, label)
    if apply is not None and result.actions:
        result.tool_calls = result.tool_calls + [{"name": "create_callback_task", "result": done}
                                                 for done in apply(result.actions)]
    speak(config, result.reply, result, names, base_url, label)
