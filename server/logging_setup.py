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
# Phone numbers (E.164 or Israeli local) keep only their last 3 digits: enough to debug.
# Shapes: +972501234567 (any E.164), 972501234567, 050-123-4567, 0501234567, 03-123-4567.
_PHONE = re.compile(r"(?<![\w:.\-+])(\+\d{8,15}|972\d{8,9}|0\d{1,2}-?\d{3}-?\d{4})(?![\w:])")


def _mask_phone(match: re.Match) -> str:
    raw = match.group(1)
    digits = re.sub(r"\D", "", raw)
    if len(digits) < 9:
        return raw
    return ("+" if raw.startswith("+") else "") + MASK + digits[-3:]


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
