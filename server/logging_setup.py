"""Rotating file + console logging with a filter that masks secrets and personal data."""
from __future__ import annotations

import logging
import os
import re
from logging.handlers import RotatingFileHandler

MASK = "***"

# Key/value shapes that carry secrets in URLs, form bodies, JSON and headers.
_SECRET_PATTERNS = [
    re.compile(r"(?i)(authorization\s*[:=]\s*)(basic|bearer)?\s*[^\s,'\"}]+"),
    re.compile(r"(?i)((?:password|passwd|secret|token|api[_-]?key|auth[_-]?token|access[_-]?token)"
               r"[\"']?\s*[:=]\s*[\"']?)([^\s&,'\"}]+)"),
    re.compile(r"\bsk-[A-Za-z0-9_\-]{8,}"),
]
# Search terms in request lines (werkzeug's access log): a customer's name is personal data.
_SEARCH_QUERY = re.compile(r"(?i)([?&](?:q|search|query)=)[^&\s\"']+")
# Phone numbers keep only their last 3 digits: enough to debug. Shapes, also after a
# scheme or key (`whatsapp:`, `tel:`, `to:`) and URL-encoded (`%2B972…`):
#   +972545551234, +972 54-555-1234, +972 54 555 1234 (any E.164, spaces or hyphens inside)
#   972545551234 (WhatsApp ids), 054-555-1234, 054 555 1234, 0545551234, 03-123-4567.
# Not phones: an Israeli number never starts 00 or 0 alone, so invoice numbers, ids,
# amounts, dates and times (2026-11-25 10:00:00) stay readable. A match must not be
# inside a longer token: no letter, digit, '.', '-' or '+' right before it (but `%3A`,
# an encoded ':', and a Hebrew prefix like `ל-` are fine), no letter, digit or ':' right
# after, nor '.'/'-' followed by a digit (a decimal, a longer id).
_PHONE = re.compile(
    r"(?:(?<![\w.\-+%])|(?<=%3[Aa])|(?<=[\u0590-\u05ff]-))"
    r"((?:\+|%2[Bb])(?:\d{8,15}|\d{1,3}(?:[ \-]\d{1,4}){2,5})"
    r"|972\d{8,9}"
    r"|0[1-9]\d?[ \-]?\d{3}[ \-]?\d{4})"
    r"(?![\w:]|[.\-]\d)")
_PLUS = re.compile(r"^(\+|%2[Bb])")


def _mask_phone(match: re.Match) -> str:
    raw = match.group(1)
    plus = _PLUS.match(raw)
    digits = re.sub(r"\D", "", raw[plus.end():] if plus else raw)
    if len(digits) < 9:
        return raw
    return (plus.group(1) if plus else "") + MASK + digits[-3:]


def mask_text(text: str, secrets: list[str] | tuple[str, ...] = ()) -> str:
    for value in secrets:
        if value:
            text = text.replace(value, MASK)
    for pattern in _SECRET_PATTERNS:
        if pattern.groups >= 2:
            text = pattern.sub(lambda m: m.group(1) + MASK, text)
        else:
            text = pattern.sub(MASK, text)
    text = _SEARCH_QUERY.sub(lambda m: m.group(1) + MASK, text)
    return _PHONE.sub(_mask_phone, text)


class MaskingFilter(logging.Filter):
    """Rewrites each record's final message so no handler ever sees a secret."""

    def __init__(self, secrets: list[str] | None = None):
        super().__init__()
        self.secrets = list(secrets or [])

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed log call must not kill the request
            message = str(record.msg)
        record.msg = mask_text(message, self.secrets)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_text(record.exc_text, self.secrets)
        return True


FORMAT = "%(asctime)s %(levelname)s [%(name)s] %(message)s"


def setup_logging(log_dir: str, level: str = "INFO", secrets: list[str] | None = None) -> logging.Logger:
    """Configure the root logger once per process; calling again refreshes the secrets."""
    root = logging.getLogger()
    root.setLevel(level)
    masking = MaskingFilter(secrets)
    for handler in list(root.handlers):
        if getattr(handler, "_kesher", False):
            root.removeHandler(handler)
            handler.close()
    formatter = logging.Formatter(FORMAT)
    handlers: list[logging.Handler] = [logging.StreamHandler()]
    try:
        os.makedirs(log_dir, exist_ok=True)
        handlers.append(RotatingFileHandler(os.path.join(log_dir, "kesher.log"), maxBytes=5 * 1024 * 1024,
                                            backupCount=5, encoding="utf-8"))
    except OSError as exc:  # a read-only disk still gets console logs
        logging.getLogger(__name__).warning("file logging disabled: %s", exc)
    for handler in handlers:
        handler._kesher = True  # type: ignore[attr-defined]
        handler.setFormatter(formatter)
        handler.addFilter(masking)
        root.addHandler(handler)
    return root
