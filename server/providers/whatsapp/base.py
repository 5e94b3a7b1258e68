"""The WhatsApp transport interface: send, look a send up, parse a webhook.

Providers speak plain dataclasses, never models: the service turns rows into an
`Outbound` and webhook bodies come back as `InboundMessage` / `StatusUpdate`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

# Our status ladder. A status only ever moves up it, so callbacks that arrive in any
# order end in the same place. `failed` sits between `sent` and `delivered`: a message
# the phone has received cannot fail afterwards, and a late `sent` cannot undo a failure.
STATUS_RANK = {"queued": 0, "sending": 1, "sent": 2, "failed": 3, "delivered": 4, "read": 5}

PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z0-9_]+)\s*\}\}")


@dataclass(frozen=True)
class Template:
    name: str
    language: str
    body: str
    variables: dict[str, str]
    twilio_content_sid: str | None = None
    meta_template_name: str | None = None

    def ordered_values(self) -> list[tuple[str, str]]:
        """Placeholders in body order (each once), with their values."""
        seen: list[str] = []
        for key in PLACEHOLDER.findall(self.body):
            if key not in seen:
                seen.append(key)
        return [(key, self.variables.get(key, "")) for key in seen]


@dataclass(frozen=True)
class MediaRef:
    """One attachment as a webhook names it. `source`: where the provider keeps the bytes
    (Twilio's MediaUrl, Meta's media id); None for what has no file (location, contacts)."""
    kind: str                    # audio | image | video | document | sticker | location | contacts
    source: str | None = None
    content_type: str | None = None
    filename: str | None = None
    sha256: str | None = None
    details: dict = field(default_factory=dict)   # caption, voice, latitude/longitude, contacts


@dataclass(frozen=True)
class OutboundMedia:
    """A file staff send: its bytes on this server (`path`) and, for a provider that fetches
    it (Twilio), a short-lived signed public `url`."""
    kind: str                    # image | document
    content_type: str
    filename: str
    path: str
    url: str | None = None


@dataclass(frozen=True)
class Downloaded:
    data: bytes
    content_type: str | None


class MediaError(Exception):
    """A media download that did not work; `retryable` False: trying again cannot help."""

    def __init__(self, reason: str, *, retryable: bool = True):
        super().__init__(reason)
        self.reason = reason[:200]
        self.retryable = retryable


def media_kind(content_type: str | None) -> str:
    """What a MIME type is to the inbox: audio, image, video, or (anything else) document."""
    base = (content_type or "").split(";", 1)[0].strip().lower()
    if base in ("text/vcard", "text/x-vcard"):
        return "contacts"
    major = base.split("/", 1)[0]
    return major if major in ("audio", "image", "video") else "document"


@dataclass(frozen=True)
class Outbound:
    """One message to hand to a provider. `key` is our idempotency key for it."""
    key: str
    to: str                      # E.164
    sender: str | None           # E.164 (Twilio) — Meta sends from the phone-number id
    text: str                    # the text as the customer will read it (template rendered)
    template: Template | None = None
    status_callback: str | None = None
    account: dict = field(default_factory=dict)   # non-secret per-business ids (phone_number_id...)
    created_at: datetime | None = None
    # Provider ids already recorded for our other messages to this recipient: a lookup
    # must never mistake one of those for this message (same text sent twice).
    known_ids: frozenset = frozenset()
    media: tuple = ()            # OutboundMedia: an image or a document (text is its caption)


@dataclass(frozen=True)
class SendResult:
    provider_message_id: str
    status: str = "sent"
    flags: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Lookup:
    """What a provider knows about an earlier attempt whose outcome we never learnt."""
    found: bool | None           # True: it has the message; False: it has not; None: cannot tell
    provider_message_id: str | None = None
    status: str | None = None


class TransportError(Exception):
    """A send that did not go through.

    retryable: worth trying again later (timeouts, 5xx, rate limits).
    ambiguous: the request may have reached the provider (timeout, dropped connection),
               so the next attempt must reconcile before sending again.
    """

    def __init__(self, text: str, *, code: str | None = None, retryable: bool = True, ambiguous: bool = False):
        super().__init__(text)
        self.text = text[:500]
        self.code = code
        self.retryable = retryable
        self.ambiguous = ambiguous


@dataclass(frozen=True)
class InboundMessage:
    provider: str
    provider_message_id: str
    from_number: str             # sender, E.164 (or the provider's raw id when unparsable)
    to_number: str | None        # the business number it was sent to
    text: str
    profile_name: str | None = None
    account_id: str | None = None  # Meta phone_number_id
    at: datetime | None = None
    media: list = field(default_factory=list)


@dataclass(frozen=True)
class StatusUpdate:
    provider: str
    provider_message_id: str
    status: str                  # already mapped onto STATUS_RANK
    key: str | None = None       # our idempotency key when the provider echoes it
    error_code: str | None = None
    error: str | None = None
    at: datetime | None = None


class WhatsAppTransport:
    """A WhatsApp transport. `real` is False for the development transport.

    Sending needs an instance (built with the provider's credentials by the registry);
    what the class itself says — how to read the provider's webhooks, what a template
    needs — holds without them.
    """

    name = "base"
    real = True
    # Can `lookup` say whether an earlier, interrupted send reached the provider?
    can_lookup = False
    # Does a template need the provider's own content id (Twilio's ContentSid) to be sent?
    needs_content_sid = False

    def send(self, message: Outbound) -> SendResult:  # pragma: no cover - interface
        raise NotImplementedError

    def lookup(self, message: Outbound) -> Lookup:
        return Lookup(found=None)

    def fetch_media(self, ref: MediaRef, limits: "MediaLimits") -> Downloaded:
        """The bytes of one inbound attachment, through the outbound policy; MediaError."""
        raise MediaError(f"{self.name} has no media to fetch", retryable=False)

    @classmethod
    def parse_webhook(cls, payload: dict, args: dict) -> list:
        """One verified webhook body (and its URL's query) → InboundMessage / StatusUpdate
        events, in order; empty when it says neither. Never raises on a malformed body."""
        return []  # a transport no provider calls back


@dataclass(frozen=True)
class MediaLimits:
    hosts: tuple                 # the allow-list (safe_http): literal hosts and *.domain wildcards
    max_bytes: int
    timeout: float


def render_template(body: str, variables: dict[str, str]) -> str:
    return PLACEHOLDER.sub(lambda m: str(variables.get(m.group(1), m.group(0))), body)


def missing_variables(body: str, variables: dict[str, str]) -> list[str]:
    return sorted({key for key in PLACEHOLDER.findall(body) if not str(variables.get(key, "")).strip()})
