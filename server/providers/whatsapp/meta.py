"""Meta's WhatsApp Cloud API (Graph API), over REST against META_GRAPH_BASE.

  POST {base}/{version}/{phone-number-id}/messages        Authorization: Bearer <token>
       {"messaging_product": "whatsapp", "recipient_type": "individual", "to": "9725...",
        "type": "text", "text": {"preview_url": false, "body": "..."},
        "biz_opaque_callback_data": "<our idempotency key>"}
       or "type": "template", "template": {"name", "language": {"code": "he"},
                                           "components": [{"type": "body", "parameters": [...]}]}
  → 200 {"messaging_product": "whatsapp", "contacts": [...], "messages": [{"id": "wamid..."}]}
  → 4xx/5xx {"error": {"message", "type", "code", "error_data": {"details"}, "fbtrace_id"}}

The Cloud API has no way to ask "did you get this message?", but it echoes
`biz_opaque_callback_data` in every status webhook. An interrupted send is therefore
reconciled by waiting for that webhook (see services.whatsapp), never by guessing.
"""
from __future__ import annotations

import logging
from datetime import datetime, timezone

import requests

from server.phones import try_normalize_phone
from server.providers.whatsapp.base import (
    InboundMessage, Lookup, Outbound, SendResult, StatusUpdate, TransportError, WhatsAppTransport,
)
from server.providers.whatsapp.twilio import request_error

log = logging.getLogger(__name__)

# Meta error codes worth another try: transient failures and rate limits.
RETRYABLE_CODES = {"1", "2", "4", "17", "80007", "130429", "131000", "131016", "131048", "131056", "133004"}

STATUS_MAP = {"sent": "sent", "delivered": "delivered", "read": "read", "failed": "failed"}


def _digits(e164: str) -> str:
    return e164.lstrip("+")


def _error_from_response(resp: requests.Response) -> TransportError:
    try:
        data = resp.json()
    except ValueError:
        data = None
    error = data.get("error") if isinstance(data, dict) else None
    if not isinstance(error, dict):
        return TransportError(f"meta HTTP {resp.status_code}", code=str(resp.status_code),
                              retryable=resp.status_code >= 500 or resp.status_code == 429,
                              ambiguous=resp.status_code >= 500)
    code = str(error.get("code") or resp.status_code)
    details = (error.get("error_data") or {}).get("details") if isinstance(error.get("error_data"), dict) else None
    text = str(error.get("message") or f"HTTP {resp.status_code}") + (f": {details}" if details else "")
    retryable = code in RETRYABLE_CODES or resp.status_code >= 500 or resp.status_code == 429
    return TransportError(text, code=code, retryable=retryable, ambiguous=False)


class MetaTransport(WhatsAppTransport):
    name = "meta"
    real = True
    can_lookup = False

    def __init__(self, access_token: str, graph_base: str, version: str, timeout: float = 15.0):
        self._token = access_token
        self.base = graph_base.rstrip("/")
        self.version = version.strip("/")
        self.timeout = timeout

    def payload(self, message: Outbound) -> dict:
        body: dict = {"messaging_product": "whatsapp", "recipient_type": "individual",
                      "to": _digits(message.to), "biz_opaque_callback_data": message.key}
        template = message.template
        if template is None:
            body["type"] = "text"
            body["text"] = {"preview_url": False, "body": message.text}
            return body
        parameters = []
        for key, value in template.ordered_values():
            parameter = {"type": "text", "text": value}
            if not key.isdigit():
                parameter["parameter_name"] = key  # Meta's named-parameter templates
            parameters.append(parameter)
        body["type"] = "template"
        body["template"] = {"name": template.meta_template_name or template.name,
                            "language": {"code": template.language or "he"}}
        if parameters:
            body["template"]["components"] = [{"type": "body", "parameters": parameters}]
        return body

    def send(self, message: Outbound) -> SendResult:
        phone_number_id = (message.account or {}).get("phone_number_id")
        if not phone_number_id:
            raise TransportError("no Meta phone_number_id for this business", code="config", retryable=False)
        url = f"{self.base}/{self.version}/{phone_number_id}/messages"
        try:
            resp = requests.post(url, json=self.payload(message), timeout=self.timeout,
                                 headers={"Authorization": f"Bearer {self._token}"})
        except requests.RequestException as exc:
            raise request_error("meta", exc) from None
        if resp.status_code >= 300:
            raise _error_from_response(resp)
        try:
            wamid = resp.json()["messages"][0]["id"]
        except (ValueError, KeyError, IndexError, TypeError):
            raise TransportError("meta answered without a message id", code="protocol",
                                 retryable=True, ambiguous=True) from None
        return SendResult(provider_message_id=str(wamid), status="sent")

    def lookup(self, message: Outbound) -> Lookup:
        return Lookup(found=None)


def _phone(wa_id: str | None) -> str | None:
    if not wa_id:
        return None
    digits = "".join(ch for ch in str(wa_id) if ch.isdigit())
    return try_normalize_phone("+" + digits) or ("+" + digits if digits else None)


def _time(ts) -> datetime:
    try:
        return datetime.fromtimestamp(int(ts), tz=timezone.utc)
    except (TypeError, ValueError, OverflowError):
        return datetime.now(timezone.utc)


def _text_of(message: dict) -> str:
    kind = message.get("type")
    if kind == "text":
        return (message.get("text") or {}).get("body") or ""
    if kind in ("image", "video", "document", "sticker", "audio"):
        caption = (message.get(kind) or {}).get("caption")
        return f"[{kind}]" + (f" {caption}" if caption else "")
    if kind == "button":
        return (message.get("button") or {}).get("text") or "[button]"
    if kind == "interactive":
        reply = message.get("interactive") or {}
        chosen = reply.get("button_reply") or reply.get("list_reply") or {}
        return chosen.get("title") or "[interactive]"
    if kind == "location":
        loc = message.get("location") or {}
        return f"[location] {loc.get('latitude')},{loc.get('longitude')}"
    return f"[{kind or 'unknown'}]"


def parse_webhook(payload: dict) -> list:
    """A Cloud API webhook body → InboundMessage / StatusUpdate events, in order."""
    events: list = []
    if not isinstance(payload, dict):
        return events
    for entry in payload.get("entry") or []:
        for change in (entry or {}).get("changes") or []:
            value = (change or {}).get("value") or {}
            metadata = value.get("metadata") or {}
            business_number = _phone(metadata.get("display_phone_number"))
            phone_number_id = metadata.get("phone_number_id")
            names = {c.get("wa_id"): (c.get("profile") or {}).get("name") for c in value.get("contacts") or []}
            for message in value.get("messages") or []:
                if not message.get("id"):
                    continue
                sender = message.get("from")
                events.append(InboundMessage(
                    provider="meta", provider_message_id=message["id"], from_number=_phone(sender) or "",
                    to_number=business_number, text=_text_of(message), profile_name=names.get(sender),
                    account_id=phone_number_id, at=_time(message.get("timestamp"))))
            for status in value.get("statuses") or []:
                mapped = STATUS_MAP.get(str(status.get("status") or ""))
                if not status.get("id") or mapped is None:
                    continue
                errors = status.get("errors") or []
                first = errors[0] if errors and isinstance(errors[0], dict) else {}
                details = (first.get("error_data") or {}).get("details") if first else None
                events.append(StatusUpdate(
                    provider="meta", provider_message_id=status["id"], status=mapped,
                    key=status.get("biz_opaque_callback_data") or None,
                    error_code=str(first["code"]) if first.get("code") is not None else None,
                    error=" — ".join(x for x in (first.get("title"), details or first.get("message")) if x) or None,
                    at=_time(status.get("timestamp"))))
    return events
