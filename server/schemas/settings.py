"""A business's settings (Business.settings, a JSON column) as one typed model.

Every key, its rule and its ONE default live here; code reads `business_settings(b).turn_limit`,
never `settings.get("turn_limit") or 10`.

- Reading (`BusinessSettings.from_stored`, `business_settings`, `as_settings`): a stored row
  always loads. A key this model does not know (a legacy key) or a value that no longer passes
  its rule is ignored (logged) and its default applies; inside an object (retention,
  stream_tuning, ...) only the offending part is dropped. A stored null is "not set".
- Writing (`BusinessSettingsUpdate`, the PUT bodies): only the keys sent change, null removes
  a key (back to its default), an unknown key is refused ("unknown setting"). The field
  messages, codes and params are those of the hand-written checks this model replaced
  (validators raise ValueError(FieldError(...)); validation._coded keeps the code).
- `turn_limit` None means "the deployment's" (config VOICE_TURN_LIMIT), resolved in
  `BusinessSettings.resolved_turn_limit`; `providers.*` None likewise (pipeline.provider_names).
- `stored()` is the JSON kept in the column and shown to admins: exactly what was set.
"""
from __future__ import annotations

import logging
import re
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, WithJsonSchema, WrapValidator,
                      model_validator)

from server.error_codes import ErrorCode
from server.errors import FieldError
from server.phones import InvalidPhone, normalize_phone
from server.services.voice.prompts import RECORDING_NOTICE

log = logging.getLogger(__name__)

DEFAULT_TURN_LIMIT = 10  # when neither the business nor the deployment (VOICE_TURN_LIMIT) sets one
DEFAULT_TRANSFER_TIMEOUT = 20
MAX_RETENTION_DAYS = 36500
DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
WHATSAPP_PROVIDERS = ("dev", "twilio", "meta")
# Which voice providers a business may choose (the deployment's keys decide which work).
VOICE_PROVIDERS = {"asr": ("local", "openai"), "reply": ("offline", "openai"), "tts": ("espeak", "google", "openai")}
PROTECTED = ("invoices", "contracts", "tasks")
LANGUAGES = ("he", "he-IL", "en", "ar")

WhatsAppProviderName = Literal["dev", "twilio", "meta"]
AsrProviderName = Literal["local", "openai"]
ReplyProviderName = Literal["offline", "openai"]
TtsProviderName = Literal["espeak", "google", "openai"]
VoiceMode = Literal["record", "stream"]
# Whether the agent answers WhatsApp: never, always, or only while the business is closed.
WhatsAppAgentMode = Literal["off", "always", "outside_hours"]
LanguageCode = Literal["he", "he-IL", "en", "ar"]


def _fail(code: ErrorCode, text: str, **params: Any):
    raise ValueError(FieldError(code, text, **params))


# ---- one rule per kind of value ---------------------------------------------------------

def _text_rule(max_len: int):
    def check(value: Any) -> str | None:
        if value is None:
            return None
        if not isinstance(value, str):
            _fail(ErrorCode.NOT_TEXT, "must be text")
        value = value.strip()
        if len(value) > max_len:
            _fail(ErrorCode.TOO_LONG, f"at most {max_len} characters", max=max_len)
        return value
    return check


def _text(max_len: int, description: str | None = None) -> Any:
    return Annotated[Annotated[str, Field(max_length=max_len)] | None, BeforeValidator(_text_rule(max_len)),
                     Field(description=description)]


def _whole_rule(low: int, high: int, code: ErrorCode, text: str):
    def check(value: Any) -> int | None:
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            _fail(code, text, min=low, max=high)
        return value
    return check


def _choice_rule(choices: tuple[str, ...], text: str, nullable: bool = True):
    def check(value: Any) -> Any:
        if value is None and nullable:
            return None
        if value not in choices:
            _fail(ErrorCode.ONE_OF, text, choices=list(choices))
        return value
    return check


def _phone(value: Any) -> str | None:
    if value is None:
        return None
    try:
        return normalize_phone(value if isinstance(value, str) else None)
    except InvalidPhone as exc:
        raise ValueError(exc.args[0]) from None


def _recording_notice(value: Any) -> bool | str | None:
    # A flag (play the standard notice) or the notice's own Hebrew text.
    return value if value is None or isinstance(value, bool) else _text_rule(1000)(value)


TurnLimit = Annotated[int | None,
                      BeforeValidator(_whole_rule(1, 50, ErrorCode.WHOLE_NUMBER_RANGE, "a whole number from 1 to 50")),
                      WithJsonSchema({"type": "integer", "minimum": 1, "maximum": 50, "nullable": True,
                                      "description": "turns before the agent ends the call; "
                                                     "unset: the deployment's (VOICE_TURN_LIMIT)"})]
TransferTimeout = Annotated[int | None,
                            BeforeValidator(_whole_rule(5, 60, ErrorCode.SECONDS_RANGE,
                                                        "seconds, a whole number from 5 to 60")),
                            WithJsonSchema({"type": "integer", "minimum": 5, "maximum": 60, "nullable": True,
                                            "description": "seconds a transfer rings"})]
RecordingNotice = Annotated[bool | Annotated[str, Field(max_length=1000)] | None, BeforeValidator(_recording_notice),
                            Field(description="true: the standard notice, false: none, text: this notice")]
TransferNumber = Annotated[str | None, BeforeValidator(_phone),
                           Field(description="an Israeli phone number (stored as E.164)")]
VoiceModeSetting = Annotated[VoiceMode | None, BeforeValidator(_choice_rule(("record", "stream"), "record or stream"))]
WhatsAppAgentSetting = Annotated[WhatsAppAgentMode | None, BeforeValidator(_choice_rule(
    ("off", "always", "outside_hours"), "off, always or outside_hours"))]
LanguageSetting = Annotated[LanguageCode | None, BeforeValidator(_choice_rule(LANGUAGES, "one of he, he-IL, en, ar"))]


# ---- objects inside the settings ---------------------------------------------------------

def _refuse(code: ErrorCode, text: str, **params: Any):
    def check(value: Any) -> Any:
        _fail(code, text, **params)
    return check


def _unknown_setting(value: Any) -> Any:
    _fail(ErrorCode.UNKNOWN_SETTING, "unknown setting")


def _part_schema(schema: dict, cls: type) -> None:
    """No other keys; and a part reads the same in a request and an answer (the OpenAPI
    document has one component per name): an unset key is absent, not a null default."""
    schema["additionalProperties"] = False
    for prop in schema.get("properties", {}).values():
        if prop.get("default", ...) is None:
            del prop["default"]


class _Part(BaseModel):
    """A settings object: its own keys only; any other key is refused by name (the extras'
    validator), so a PUT names each bad key and a stored legacy key is dropped on read."""
    model_config = ConfigDict(extra="allow", json_schema_extra=_part_schema)
    not_object: ClassVar[FieldError] = FieldError(ErrorCode.NOT_OBJECT, "must be an object")
    allow_empty: ClassVar[bool] = True

    @model_validator(mode="before")
    @classmethod
    def _an_object(cls, data: Any) -> Any:
        if isinstance(data, cls):
            return data
        if not isinstance(data, dict) or (not data and not cls.allow_empty):
            raise ValueError(cls.not_object)
        return data

    def stored(self) -> dict:
        return self.model_dump(mode="json", exclude_unset=True)


def _span(value: Any) -> str | None:
    if value is None:
        return None
    if not (isinstance(value, str) and _SPAN.match(value.strip())):
        _fail(ErrorCode.HOURS_SPAN, "HH:MM-HH:MM or null")
    return value.strip()


_SPAN = re.compile(r"^([01]?\d|2[0-3]):[0-5]\d-([01]?\d|2[0-3]):[0-5]\d$")
Span = Annotated[Annotated[str, Field(pattern=_SPAN.pattern)] | None, BeforeValidator(_span)]
_unknown_day = _refuse(ErrorCode.ONE_OF, f"one of {', '.join(DAYS)}", choices=list(DAYS))


class OpeningHours(_Part):
    """{"sun": "09:00-17:00", ..., "sat": null}: the agent says them and knows when it is open."""
    __pydantic_extra__: dict[str, Annotated[Any, BeforeValidator(_unknown_day)]] = Field(init=False)

    sun: Span = None
    mon: Span = None
    tue: Span = None
    wed: Span = None
    thu: Span = None
    fri: Span = None
    sat: Span = None


def _hours(value: Any, handler) -> OpeningHours | str | None:
    """An object of days (checked day by day) or free Hebrew text."""
    if isinstance(value, (dict, OpeningHours)):
        return OpeningHours.model_validate(value)
    return _text_rule(1000)(value)


HoursSetting = Annotated[OpeningHours | str | None, WrapValidator(_hours),
                         Field(description='free text, or e.g. {"sun": "09:00-17:00", "fri": null}')]

_unknown_kind = _refuse(ErrorCode.UNKNOWN_PROVIDER_KIND, "unknown provider kind")


class ProviderChoice(_Part):
    """{"asr": "local", "reply": "openai", "tts": "espeak"}: any subset; the rest (and null) follow the deployment."""
    __pydantic_extra__: dict[str, Annotated[Any, BeforeValidator(_unknown_kind)]] = Field(init=False)

    asr: Annotated[AsrProviderName | None, BeforeValidator(_choice_rule(
        VOICE_PROVIDERS["asr"], f"one of {', '.join(VOICE_PROVIDERS['asr'])}"))] = None
    reply: Annotated[ReplyProviderName | None, BeforeValidator(_choice_rule(
        VOICE_PROVIDERS["reply"], f"one of {', '.join(VOICE_PROVIDERS['reply'])}"))] = None
    tts: Annotated[TtsProviderName | None, BeforeValidator(_choice_rule(
        VOICE_PROVIDERS["tts"], f"one of {', '.join(VOICE_PROVIDERS['tts'])}"))] = None

    def stored(self) -> dict:
        return self.model_dump(mode="json", exclude_unset=True, exclude_none=True)


def _days_rule(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_RETENTION_DAYS:
        _fail(ErrorCode.WHOLE_NUMBER_RANGE, f"a whole number from 1 to {MAX_RETENTION_DAYS}",
              min=1, max=MAX_RETENTION_DAYS)
    return value


Days = Annotated[int, BeforeValidator(_days_rule), Field(ge=1, le=MAX_RETENTION_DAYS)]


class RetentionDays(_Part):
    """How long each kind of content is kept, in days (privacy/retention.py purges the rest)."""
    __pydantic_extra__: dict[str, Annotated[Any, BeforeValidator(_unknown_setting)]] = Field(init=False)
    allow_empty: ClassVar[bool] = False

    recordings_days: Days = 90
    transcripts_days: Days = 365
    messages_days: Days = 365
    calls_days: Days = 730


RETENTION_KEYS = tuple(RetentionDays.model_fields)
_RETENTION_ERROR = FieldError(ErrorCode.RETENTION,
                              f"days (1..{MAX_RETENTION_DAYS}) or an object of {', '.join(RETENTION_KEYS)} in days",
                              min=1, max=MAX_RETENTION_DAYS, keys=list(RETENTION_KEYS))


def _retention(value: Any, handler) -> int | RetentionDays | None:
    """One period in days for everything kept, or an object of periods."""
    if value is None:
        return None
    if isinstance(value, (dict, RetentionDays)):
        return RetentionDays.model_validate(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(_RETENTION_ERROR)
    return _days_rule(value)


def _retention_whole(value: Any) -> Any:
    """A PUT's retention: one message for any fault (the form shows it under the one field)."""
    if value is None:
        return None
    try:
        _retention(value, None)
    except (ValueError, ValidationError):
        raise ValueError(_RETENTION_ERROR) from None
    return value


RetentionSetting = Annotated[int | RetentionDays | None, WrapValidator(_retention),
                             Field(description="days for everything, or an object of days per kind")]


def _tuning_rule(low: float, high: float):
    def check(value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
            _fail(ErrorCode.NUMBER_RANGE, f"a number from {low:g} to {high:g}", min=low, max=high)
        return value
    return check


def _tuning(low: float, high: float, description: str) -> Any:
    return Annotated[float, BeforeValidator(_tuning_rule(low, high)), Field(ge=low, le=high, description=description)]


TUNING_KEYS = ("vad_threshold", "min_speech_ms", "asr_start_ms", "eot_short_ms", "eot_silence_ms", "eot_long_ms",
               "barge_in_ms", "max_utterance_ms")


class StreamTuning(_Part):
    """A streamed call's turn taking (voice/stream/turn_taking.py), in ms unless said otherwise."""
    __pydantic_extra__: dict[str, Annotated[Any, BeforeValidator(_unknown_setting)]] = Field(init=False)
    not_object: ClassVar[FieldError] = FieldError(ErrorCode.NOT_OBJECT, "an object of " + ", ".join(TUNING_KEYS))

    vad_threshold: _tuning(0.1, 0.95, "speech probability that starts speech") = 0.5
    min_speech_ms: _tuning(40, 1000, "voiced audio needed before it counts as speech") = 100
    asr_start_ms: _tuning(60, 2000, "pause before the speculative transcription starts") = 160
    eot_short_ms: _tuning(100, 3000, "silence that ends a turn that sounds complete") = 300
    eot_silence_ms: _tuning(200, 5000, "... one that sounds neither complete nor cut off") = 650
    eot_long_ms: _tuning(300, 8000, '... one that ends on "and", "of", "umm"') = 1300
    barge_in_ms: _tuning(60, 1500, "caller speech over the agent that stops the agent") = 160
    max_utterance_ms: _tuning(2000, 60000, "a turn never listens longer than this") = 20000

    def values(self) -> dict[str, float]:
        """Every threshold, the business's or the default, as numbers."""
        return {key: float(getattr(self, key)) for key in TUNING_KEYS}


# (limits, defaults) of the stream tuning, for code that shows or checks them
TUNING_LIMITS = {key: (next(m.ge for m in f.metadata if getattr(m, "ge", None) is not None),
                       next(m.le for m in f.metadata if getattr(m, "le", None) is not None))
                 for key, f in StreamTuning.model_fields.items()}


def _true_or_false(value: Any) -> bool:
    if not isinstance(value, bool):
        _fail(ErrorCode.TRUE_OR_FALSE, "true or false")
    return value


Protected = Annotated[bool, BeforeValidator(_true_or_false)]
_unknown_record_kind = _refuse(ErrorCode.ONE_OF, f"one of {', '.join(PROTECTED)}", choices=list(PROTECTED))


class CallerVerification(_Part):
    """Which records the agent reads only after the caller said the last 4 digits of their ID
    (services/caller_verification.py): money by default, tasks by the business's choice."""
    __pydantic_extra__: dict[str, Annotated[Any, BeforeValidator(_unknown_record_kind)]] = Field(init=False)
    not_object: ClassVar[FieldError] = FieldError(ErrorCode.NOT_OBJECT,
                                                  f"an object of {', '.join(PROTECTED)} (true or false)")
    allow_empty: ClassVar[bool] = False

    invoices: Protected = True
    contracts: Protected = True
    tasks: Protected = False

    def protected(self) -> list[str]:
        return [kind for kind in PROTECTED if getattr(self, kind)]


# ---- the settings ------------------------------------------------------------------------

class BusinessSettings(BaseModel):
    """Every setting of a business with its one default (see the module docstring)."""
    model_config = ConfigDict(extra="allow", json_schema_extra={"additionalProperties": False})
    __pydantic_extra__: dict[str, Annotated[Any, BeforeValidator(_unknown_setting)]] = Field(init=False)

    greeting: _text(1000, "the agent's first words (else the default greeting)") = None
    hours: HoursSetting = None
    agent_name: _text(80) = None
    agent_instructions: _text(8000, "instructions for the reply provider") = None
    turn_limit: TurnLimit = None
    recording_notice: RecordingNotice = True
    recording_notice_text: _text(1000, "the standard notice's text (else the shipped one)") = None
    transfer_number: TransferNumber = None
    transfer_timeout: TransferTimeout = DEFAULT_TRANSFER_TIMEOUT
    providers: ProviderChoice = Field(default_factory=ProviderChoice.model_construct)
    voice_mode: VoiceModeSetting = "record"
    retention: RetentionSetting = None
    language: LanguageSetting = None
    stream_tuning: StreamTuning = Field(default_factory=StreamTuning.model_construct)
    caller_verification: CallerVerification = Field(default_factory=CallerVerification.model_construct)
    whatsapp_agent: WhatsAppAgentSetting = "off"

    @classmethod
    def from_stored(cls, raw: Any) -> "BusinessSettings":
        """The settings of a stored row; what does not pass is ignored (logged), never fatal."""
        data = {k: v for k, v in raw.items() if v is not None} if isinstance(raw, dict) else {}
        for _ in range(100):
            try:
                return cls.model_validate(data)
            except ValidationError as exc:
                for err in exc.errors():
                    log.warning("settings: ignoring stored %s=%r (%s)", ".".join(map(str, err["loc"])),
                                err.get("input"), err["msg"])
                    data = _without(data, err["loc"])
        return cls()

    def stored(self) -> dict:
        """The JSON kept in Business.settings: only what was set."""
        out = {}
        for key in sorted(self.model_fields_set, key=list(type(self).model_fields).index):
            value = getattr(self, key)
            out[key] = value.stored() if isinstance(value, _Part) else value
        return out

    # ---- resolved values (one place each)
    def resolved_turn_limit(self, deployment_default: int | None = None) -> int:
        """The business's turn limit, else the deployment's (VOICE_TURN_LIMIT), else 10."""
        return int(self.turn_limit or deployment_default or DEFAULT_TURN_LIMIT)

    @property
    def notice_text(self) -> str:
        """The standard recording notice: the business's wording or the shipped one."""
        return (self.recording_notice_text or "").strip() or RECORDING_NOTICE

    @property
    def spoken_notice(self) -> str | None:
        """What is said before the caller speaks: none, the business's own notice, or the standard one."""
        if self.recording_notice is False:
            return None
        if isinstance(self.recording_notice, str) and self.recording_notice.strip():
            return self.recording_notice.strip()
        return self.notice_text

    @property
    def hours_value(self) -> dict | str | None:
        """The hours as stored: free text or {day: span}."""
        return self.hours.stored() if isinstance(self.hours, OpeningHours) else self.hours

    @property
    def retention_days(self) -> dict[str, int]:
        if isinstance(self.retention, int):
            return {key: self.retention for key in RETENTION_KEYS}
        return (self.retention or RetentionDays.model_construct()).model_dump(include=set(RETENTION_KEYS))


def _without(data: dict, loc: tuple) -> dict:
    """`data` without the value at `loc` (the deepest part of it that is a key)."""
    data = dict(data)
    parent, path = data, [part for part in loc]
    while path:
        key = path.pop(0)
        if not isinstance(parent, dict) or key not in parent:
            return data
        if not path or not isinstance(parent[key], dict) or path[0] not in parent[key]:
            parent.pop(key, None)
            return data
        parent[key] = dict(parent[key])
        parent = parent[key]
    return data


class SettingsChanges:
    def changes(self) -> dict:
        """{key: JSON value or None (remove)} for the keys the request sent."""
        out = {}
        for key in self.model_fields_set:
            value = getattr(self, key)
            out[key] = value.stored() if isinstance(value, _Part) else value
        return out


def no_defaults(schema: dict, cls: type | None = None) -> None:
    """An update's keys have no default: one that is not sent stays as it is."""
    schema["additionalProperties"] = False
    for prop in schema.get("properties", {}).values():
        prop.pop("default", None)


class BusinessSettingsUpdate(SettingsChanges, BusinessSettings):
    """A PUT's settings: only the keys sent change; null removes one; another key is refused."""
    model_config = ConfigDict(json_schema_extra=no_defaults)

    retention: Annotated[RetentionSetting, BeforeValidator(_retention_whole)] = None


def as_settings(settings: BusinessSettings | dict | None) -> BusinessSettings:
    """The typed settings of whatever a caller holds (the model, a stored dict, nothing)."""
    if isinstance(settings, BusinessSettings):
        return settings
    return BusinessSettings.from_stored(settings)


def business_settings(business) -> BusinessSettings:
    """The typed settings of a Business row (or of no business: every default)."""
    return BusinessSettings.from_stored(getattr(business, "settings", None) if business is not None else None)
