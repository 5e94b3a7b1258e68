"""Twilio's Programmable Messaging API for WhatsApp, spoken directly over REST.

`requests` against TWILIO_API_BASE (not the SDK) so a local server can stand in for
api.twilio.com in tests. Wire format, from Twilio's Message resource docs:

  POST {base}/2010-04-01/Accounts/{AccountSid}/Messages.json   (HTTP Basic sid:token)
       To=whatsapp:+9725..., From=whatsapp:+..., Body=... | ContentSid=HX..&ContentVariables={json},
       StatusCallback=https://host/webhook/whatsapp/twilio?key=...
  → 201 {"sid": "SM...", "status": "queued", ...}
  → 4xx/5xx {"code": 21211, "message": "...", "more_info": "...", "status": 400}
  GET  {base}/2010-04-01/Accounts/{AccountSid}/Messages.json?To=..&From=..&PageSize=50
  → {"messages": [{"sid", "body", "date_created": RFC 2822, "status", ...}], ...}

Twilio has no idempotency key for creating a message, so an interrupted send is
reconciled by listing what Twilio holds for this sender/recipient pair since the
message was created and matching the text.
"""
from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime

import requests

from server.phones import try_normalize_phone
from server.providers.whatsapp.base import (
    Downloaded, InboundMessage, Lookup, MediaLimits, MediaRef, Outbound, SendResult, StatusUpdate, TransportError,
    WhatsAppTransport, media_kind,
)

log = logging.getLogger(__name__)

API_VERSION = "2010-04-01"

STATUS_MAP = {
    "accepted": "sent", "scheduled": "sent", "queued": "sent", "sending": "sent", "sent": "sent",
    "delivered": "delivered", "read": "read",
    "failed": "failed", "undelivered": "failed", "canceled": "failed",
}


def wa_address(e164: str) -> str:
    return e164 if e164.startswith("whatsapp:") else f"whatsapp:{e164}"


def request_error(provider: str, exc: requests.RequestException) -> TransportError:
    """A failure before the request left (refused, no route) is safe to resend; after, it may have landed."""
    return TransportError(f"{provider} unreachable: {exc.__class__.__name__}", code="network",
                          retryable=True, ambiguous=not never_left(exc))


def never_left(exc: requests.RequestException) -> bool:
    if isinstance(exc, requests.ConnectTimeout):
        return True
    if isinstance(exc, requests.ConnectionError):
        cause = exc.args[0] if exc.args else None
        reason = getattr(cause, "reason", None)
        from urllib3.exceptions import NewConnectionError
        return isinstance(reason, NewConnectionError) or isinstance(cause, NewConnectionError)
    return False


def _error_from_response(resp: requests.Response) -> TransportError:
    try:
        data = resp.json()
    except ValueError:
        data = None
    if not isinstance(data, dict):
        # A proxy's HTML page says nothing about whether Twilio created the message.
        return TransportError(f"twilio HTTP {resp.status_code}", code=str(resp.status_code),
                              retryable=resp.status_code >= 500 or resp.status_code == 429,
                              ambiguous=resp.status_code >= 500)
    code = str(data.get("code") or resp.status_code)
    text = str(data.get("message") or f"HTTP {resp.status_code}")
    retryable = resp.status_code >= 500 or resp.status_code in (408, 429)
    return TransportError(text, code=code, retryable=retryable, ambiguous=False)


class TwilioTransport(WhatsAppTransport):
    name = "twilio"
    real = True
    can_lookup = True
    needs_content_sid = True  # a template is sent as ContentSid + ContentVariables

    def __init__(self, account_sid: str, auth_token: str, api_base: str, timeout: float = 15.0):
        self.account_sid = account_sid
        self._auth = (account_sid, auth_token)
        self.base = api_base.rstrip("/")
        self.timeout = timeout

    @property
    def messages_url(self) -> str:
        return f"{self.base}/{API_VERSION}/Accounts/{self.account_sid}/Messages.json"

    def send(self, message: Outbound) -> SendResult:
        if not message.sender:
            raise TransportError("no Twilio WhatsApp sender number for this business", code="config", retryable=False)
        data = {"To": wa_address(message.to), "From": wa_address(message.sender)}
        if message.template is not None:
            if not message.template.twilio_content_sid:
                raise TransportError(f"template {message.template.name} has no Twilio ContentSid",
                                     code="template", retryable=False)
            data["ContentSid"] = message.template.twilio_content_sid
            data["ContentVariables"] = json.dumps(dict(message.template.ordered_values()), ensure_ascii=False)
        else:
            if message.text:
                data["Body"] = message.text
            if message.media:
                # Twilio fetches the file itself (GET and HEAD, checking its Content-Type).
                data["MediaUrl"] = [item.url for item in message.media]
                if not all(data["MediaUrl"]):
                    raise TransportError("no public link for the file (HOST is not set)", code="config",
                                         retryable=False)
        if message.status_callback:
            data["StatusCallback"] = message.status_callback
        try:
            resp = requests.post(self.messages_url, data=data, auth=self._auth, timeout=self.timeout)
        except requests.RequestException as exc:
            raise request_error("twilio", exc) from None
        if resp.status_code >= 300:
            raise _error_from_response(resp)
        try:
            sid = resp.json()["sid"]
        except (ValueError, KeyError, TypeError):
            raise TransportError("twilio answered without a message sid", code="protocol",
                                 retryable=True, ambiguous=True) from None
        return SendResult(provider_message_id=str(sid), status="sent")

    def lookup(self, message: Outbound) -> Lookup:
        if not message.sender:
            return Lookup(found=False)
        params = {"To": wa_address(message.to), "From": wa_address(message.sender), "PageSize": 50}
        try:
            resp = requests.get(self.messages_url, params=params, auth=self._auth, timeout=self.timeout)
        except requests.RequestException as exc:
            raise request_error("twilio", exc) from None
        if resp.status_code >= 300:
            raise _error_from_response(resp)
        try:
            items = resp.json().get("messages") or []
        except (ValueError, AttributeError):
            raise TransportError("twilio list answered garbage", code="protocol", ambiguous=True) from None
        since = (message.created_at or datetime.now(timezone.utc)) - timedelta(minutes=2)
        for item in items:
            try:
                created = parsedate_to_datetime(item.get("date_created") or "")
            except (TypeError, ValueError):
                created = None
            if (created is not None and created < since) or item.get("sid") in message.known_ids:
                continue
            if (item.get("body") or "") == message.text:
                status = STATUS_MAP.get(str(item.get("status") or ""), "sent")
                return Lookup(found=True, provider_message_id=item.get("sid"), status=status)
        return Lookup(found=False)

    @classmethod
    def parse_webhook(cls, payload: dict, args: dict) -> list:
        """One Twilio POST (its form) → [InboundMessage] or [StatusUpdate] (empty when it is neither).
        `args["key"]`: our idempotency key, which we put in each message's StatusCallback URL."""
        sid = payload.get("MessageSid") or payload.get("SmsMessageSid") or payload.get("SmsSid")
        if not sid:
            return []
        status = (payload.get("MessageStatus") or payload.get("SmsStatus") or "").lower()
        if status and status not in ("received", "receiving"):
            mapped = STATUS_MAP.get(status)
            if mapped is None:
                return []
            error_code = payload.get("ErrorCode") or None
            return [StatusUpdate(provider="twilio", provider_message_id=sid, status=mapped,
                                 key=args.get("key") or None, error_code=error_code,
                                 error=payload.get("ErrorMessage")
                                 or (f"Twilio error {error_code}" if error_code else None),
                                 at=datetime.now(timezone.utc))]
        if status == "receiving":
            return []
        media = _media(payload)
        text = payload.get("Body") or ""
        if not text and media:
            text = f"[{media[0].kind}]"  # the same placeholder a Meta attachment gets
        return [InboundMessage(provider="twilio", provider_message_id=sid,
                               from_number=_phone(payload.get("From")) or "", to_number=_phone(payload.get("To")),
                               text=text,
                               profile_name=payload.get("ProfileName") or None, at=datetime.now(timezone.utc),
                               media=media)]


    def fetch_media(self, ref: MediaRef, limits: MediaLimits) -> Downloaded:
        from server.providers.whatsapp.media import download
        return download(ref.source or "", limits, auth=self._auth)


MAX_MEDIA = 10  # Twilio's most per message


def _media(payload: dict) -> list[MediaRef]:
    """MediaUrl0..N / MediaContentType0..N (NumMedia says how many) → MediaRef, in order."""
    try:
        count = min(int(payload.get("NumMedia") or 0), MAX_MEDIA)
    except (TypeError, ValueError):
        count = 0
    count = max(count, sum(1 for i in range(MAX_MEDIA) if payload.get(f"MediaUrl{i}")))
    refs = []
    for i in range(count):
        url = payload.get(f"MediaUrl{i}")
        if not isinstance(url, str) or not url:
            continue
        content_type = payload.get(f"MediaContentType{i}") or None
        refs.append(MediaRef(kind=media_kind(content_type), source=url[:2048], content_type=content_type))
    return refs


def _phone(raw: str | None) -> str | None:
    if not raw:
        return None
    raw = raw[len("whatsapp:"):] if raw.startswith("whatsapp:") else raw
    return try_normalize_phone(raw) or raw
