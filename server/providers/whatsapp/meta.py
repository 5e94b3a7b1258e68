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
    Downloaded, InboundMessage, Lookup, MediaError, MediaLimits, MediaRef, Outbound, SendResult, StatusUpdate,
    TransportError, WhatsAppTransport,
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
        if template is None and message.media:
            return body  # send() adds the uploaded file's id (media_payload)
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
        body = self.payload(message)
        if message.media and message.template is None:
            item = message.media[0]
            media_id = self.upload(phone_number_id, item)
            attachment: dict = {"id": media_id}
            if message.text:
                attachment["caption"] = message.text
            if item.kind == "document":
                attachment["filename"] = item.filename
            body["type"] = item.kind
            body[item.kind] = attachment
        try:
            resp = requests.post(url, json=body, timeout=self.timeout,
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

    def upload(self, phone_number_id: str, item) -> str:
        """POST /{phone-number-id}/media (multipart: file, type, messaging_product) → the media id.
        An upload repeated after a failure only leaves an unused copy at Meta (kept 30 days)."""
        url = f"{self.base}/{self.version}/{phone_number_id}/media"
        try:
            with open(item.path, "rb") as handle:
                resp = requests.post(url, headers={"Authorization": f"Bearer {self._token}"}, timeout=self.timeout,
                                     data={"messaging_product": "whatsapp", "type": item.content_type},
                                     files={"file": (item.filename, handle, item.content_type)})
        except OSError:
            raise TransportError("the file to send is gone", code="media", retryable=False) from None
        except requests.RequestException as exc:
            error = request_error("meta", exc)
            error.ambiguous = False  # an upload alone sends nothing to anyone
            raise error from None
        if resp.status_code >= 300:
            raise _error_from_response(resp)
        try:
            return str(resp.json()["id"])
        except (ValueError, KeyError, TypeError):
            raise TransportError("meta answered an upload without an id", code="protocol") from None

    def fetch_media(self, ref: MediaRef, limits: MediaLimits) -> Downloaded:
        """GET /{media-id} (bearer) → {"url", "mime_type", "sha256", "file_size"}; then GET the url,
        which is only valid for minutes, with the same bearer token."""
        from server.providers.whatsapp.media import download
        if not ref.source or not ref.source.isdigit():
            raise MediaError("no media id", retryable=False)
        try:
            resp = requests.get(f"{self.base}/{self.version}/{ref.source}", timeout=limits.timeout,
                                headers={"Authorization": f"Bearer {self._token}"})
        except requests.RequestException as exc:
            raise MediaError(f"meta unreachable: {exc.__class__.__name__}") from None
        if resp.status_code >= 300:
            error = _error_from_response(resp)
            # Meta forgets a media id after 30 days, or a wrong token: no retry fixes those.
            raise MediaError(f"meta media lookup: {error.text}"[:200], retryable=error.retryable)
        try:
            info = resp.json()
            url = info["url"]
        except (ValueError, KeyError, TypeError):
            raise MediaError("meta media lookup answered without a url") from None
        declared = str(info.get("file_size") or "")
        if declared.isdigit() and int(declared) > limits.max_bytes:
            raise MediaError("too large", retryable=False)
        return download(str(url), limits, bearer=self._token)

    @classmethod
    def parse_webhook(cls, payload: dict, args: dict) -> list:
        """A Cloud API webhook body → InboundMessage / StatusUpdate events, in order.

        Any other shape (a field of the wrong type, a missing id) is skipped, never a crash.
        """
        events: list = []
        for entry in _dicts(_obj(payload).get("entry")):
            for change in _dicts(entry.get("changes")):
                value = _obj(change.get("value"))
                metadata = _obj(value.get("metadata"))
                business_number = _phone(metadata.get("display_phone_number"))
                phone_number_id = metadata.get("phone_number_id")
                names = {c.get("wa_id"): _obj(c.get("profile")).get("name") for c in _dicts(value.get("contacts"))}
                for message in _dicts(value.get("messages")):
                    if not isinstance(message.get("id"), str) or not message["id"]:
                        continue
                    sender = message.get("from")
                    name = names.get(sender)
                    events.append(InboundMessage(
                        provider="meta", provider_message_id=message["id"][:128], from_number=_phone(sender) or "",
                        to_number=business_number, text=_text_of(message),
                        profile_name=name if isinstance(name, str) else None,
                        account_id=str(phone_number_id) if phone_number_id is not None else None,
                        at=_time(message.get("timestamp")), media=_media_of(message)))
                for status in _dicts(value.get("statuses")):
                    mapped = STATUS_MAP.get(str(status.get("status") or ""))
                    if not isinstance(status.get("id"), str) or not status["id"] or mapped is None:
                        continue
                    first = (_dicts(status.get("errors")) or [{}])[0]
                    details = _obj(first.get("error_data")).get("details")
                    key = status.get("biz_opaque_callback_data")
                    events.append(StatusUpdate(
                        provider="meta", provider_message_id=status["id"][:128], status=mapped,
                        key=key if isinstance(key, str) and key else None,
                        error_code=str(first["code"])[:32] if first.get("code") is not None else None,
                        error=" — ".join(str(x) for x in (first.get("title"), details or first.get("message"))
                                         if x) or None,
                        at=_time(status.get("timestamp"))))
        return events


def _phone(wa_id) -> str | None:
    if not isinstance(wa_id, (str, int)) or not wa_id:
        return None
    digits = "".join(ch for ch in str(wa_id) if ch in "0123456789")
    return try_normalize_phone("+" + digits) or ("+" + digits if digits else None)


def _time(ts) -> datetime:
    try:
        return datetime.fromtimestamp(int(ts), tz=timezone.utc)
    except (TypeError, ValueError, OverflowError):
        return datetime.now(timezone.utc)


def _text_of(message: dict) -> str:
    kind = message.get("type")
    if kind == "text":
        body = _obj(message.get("text")).get("body")
        return body if isinstance(body, str) else ""
    if kind in ("image", "video", "document", "sticker", "audio"):
        caption = _obj(message.get(kind)).get("caption")
        return f"[{kind}]" + (f" {caption}" if caption else "")
    if kind == "button":
        return str(_obj(message.get("button")).get("text") or "[button]")
    if kind == "interactive":
        reply = _obj(message.get("interactive"))
        chosen = _obj(reply.get("button_reply") or reply.get("list_reply"))
        return str(chosen.get("title") or "[interactive]")
    if kind == "location":
        loc = _obj(message.get("location"))
        return f"[location] {loc.get('latitude')},{loc.get('longitude')}"
    if kind == "contacts":
        names = [str(_obj(c.get("name")).get("formatted_name") or "") for c in _dicts(message.get("contacts"))]
        return "[contacts]" + (" " + ", ".join(n for n in names if n)[:200] if any(names) else "")
    return f"[{str(kind or 'unknown')[:32]}]"


FILE_KINDS = ("audio", "image", "video", "document", "sticker")


def _short(value, limit: int = 1024) -> str | None:
    return value[:limit] if isinstance(value, str) and value else None


def _media_of(message: dict) -> list[MediaRef]:
    """A message's attachment: {"type": "audio", "audio": {"id", "mime_type", "sha256", "voice"}},
    image/video/sticker alike (+ caption), document (+ filename), location {latitude, longitude,
    name, address}, contacts [{name: {formatted_name}, phones: [{phone, wa_id}]}]."""
    kind = message.get("type")
    if kind in FILE_KINDS:
        item = _obj(message.get(kind))
        media_id = item.get("id")
        if not isinstance(media_id, (str, int)) or not str(media_id).isdigit():
            return []
        details = {key: item[key] for key in ("caption", "voice", "animated")
                   if isinstance(item.get(key), (str, bool))}
        return [MediaRef(kind=kind, source=str(media_id)[:64], content_type=_short(item.get("mime_type"), 128),
                         filename=_short(item.get("filename"), 255), sha256=_short(item.get("sha256"), 128),
                         details=details)]
    if kind == "location":
        loc = _obj(message.get("location"))
        details = {key: loc[key] for key in ("latitude", "longitude") if isinstance(loc.get(key), (int, float))}
        details.update({key: loc[key][:300] for key in ("name", "address", "url") if isinstance(loc.get(key), str)})
        return [MediaRef(kind="location", details=details)]
    if kind == "contacts":
        people = []
        for contact in _dicts(message.get("contacts"))[:10]:
            name = _short(_obj(contact.get("name")).get("formatted_name"), 200)
            phones = [_short(p.get("phone"), 40) for p in _dicts(contact.get("phones"))[:5]]
            people.append({"name": name, "phones": [p for p in phones if p]})
        return [MediaRef(kind="contacts", details={"contacts": people})]
    return []


def _dicts(value) -> list[dict]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _obj(value) -> dict:
    return value if isinstance(value, dict) else {}
