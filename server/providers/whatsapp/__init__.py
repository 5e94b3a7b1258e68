"""WhatsApp transports: a registry of builders, chosen per business.

`build_transport(name, config)` returns a transport, or raises NotConfigured saying
which setting is missing. `choose(wanted, config, business_ids)` picks the transport a
business asked for, falling back to the development transport — visibly — when that
provider has no credentials. `transport_class(name)` is the provider without its
credentials: how its webhooks read (`parse_webhook`) and what a template needs.
"""
from __future__ import annotations

import logging
from typing import Callable

from server.providers.whatsapp.base import WhatsAppTransport
from server.providers.whatsapp.dev import DevTransport
from server.providers.whatsapp.meta import MetaTransport
from server.providers.whatsapp.twilio import TwilioTransport

log = logging.getLogger(__name__)

# What a provider is, without its credentials: how its webhooks read, what a template needs.
TRANSPORTS: dict[str, type[WhatsAppTransport]] = {t.name: t for t in (DevTransport, TwilioTransport, MetaTransport)}


class NotConfigured(Exception):
    pass


def _dev(config: dict) -> WhatsAppTransport:
    from server.providers.whatsapp.dev import DevTransport
    return DevTransport()


def _twilio(config: dict) -> WhatsAppTransport:
    missing = [k for k in ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN") if not config.get(k)]
    if missing:
        raise NotConfigured("missing " + ", ".join(missing))
    from server.providers.whatsapp.twilio import TwilioTransport
    return TwilioTransport(config["TWILIO_ACCOUNT_SID"], config["TWILIO_AUTH_TOKEN"],
                           config.get("TWILIO_API_BASE") or "https://api.twilio.com",
                           timeout=float(config.get("WHATSAPP_HTTP_TIMEOUT") or 15))


def _meta(config: dict) -> WhatsAppTransport:
    if not config.get("META_ACCESS_TOKEN"):
        raise NotConfigured("missing META_ACCESS_TOKEN")
    from server.providers.whatsapp.meta import MetaTransport
    return MetaTransport(config["META_ACCESS_TOKEN"], config.get("META_GRAPH_BASE") or "https://graph.facebook.com",
                         config.get("META_GRAPH_VERSION") or "v21.0",
                         timeout=float(config.get("WHATSAPP_HTTP_TIMEOUT") or 15))


REGISTRY: dict[str, Callable[[dict], WhatsAppTransport]] = {"dev": _dev, "twilio": _twilio, "meta": _meta}


def build_transport(name: str, config: dict) -> WhatsAppTransport:
    builder = REGISTRY.get(name)
    if builder is None:
        raise NotConfigured(f"unknown WhatsApp provider {name!r}")
    return builder(config)


def transport_class(name: str) -> type[WhatsAppTransport]:
    if name not in TRANSPORTS:
        raise NotConfigured(f"unknown WhatsApp provider {name!r}")
    return TRANSPORTS[name]


def account_problem(name: str, account: dict) -> str | None:
    """What a business's own settings lack for this provider (sender number, phone-number id)."""
    if name == "twilio" and not account.get("sender"):
        return "missing the business's WhatsApp sender number"
    if name == "meta" and not account.get("phone_number_id"):
        return "missing the business's Meta phone_number_id"
    return None


def choose(wanted: str | None, config: dict, account: dict) -> tuple[str, str | None]:
    """(provider name to use, fallback reason or None)."""
    wanted = wanted or "dev"
    if wanted == "dev":
        return "dev", None
    try:
        build_transport(wanted, config)
        problem = account_problem(wanted, account)
    except NotConfigured as exc:
        problem = str(exc)
    if problem:
        reason = f"{wanted} not configured ({problem}); using the development transport, nothing is delivered"
        log.warning("WhatsApp fallback: %s", reason)
        return "dev", reason
    return wanted, None
