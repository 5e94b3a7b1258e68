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

from server.config import KesherConfig, typed
from server.providers.whatsapp.base import WhatsAppTransport
from server.providers.whatsapp.dev import DevTransport
from server.providers.whatsapp.meta import MetaTransport
from server.providers.whatsapp.twilio import TwilioTransport

log = logging.getLogger(__name__)

# What a provider is, without its credentials: how its webhooks read, what a template needs.
TRANSPORTS: dict[str, type[WhatsAppTransport]] = {t.name: t for t in (DevTransport, TwilioTransport, MetaTransport)}


class NotConfigured(Exception):
    pass


def _dev(config: KesherConfig) -> WhatsAppTransport:
    from server.providers.whatsapp.dev import DevTransport
    return DevTransport()


def _twilio(config: KesherConfig) -> WhatsAppTransport:
    twilio = config.twilio
    missing = [k for k, v in (("TWILIO_ACCOUNT_SID", twilio.account_sid), ("TWILIO_AUTH_TOKEN", twilio.auth_token))
               if not v]
    if missing:
        raise NotConfigured("missing " + ", ".join(missing))
    from server.providers.whatsapp.twilio import TwilioTransport
    return TwilioTransport(twilio.account_sid, twilio.auth_token, twilio.api_base,
                           timeout=float(config.whatsapp.http_timeout))


def _meta(config: KesherConfig) -> WhatsAppTransport:
    meta = config.meta
    if not meta.access_token:
        raise NotConfigured("missing META_ACCESS_TOKEN")
    from server.providers.whatsapp.meta import MetaTransport
    return MetaTransport(meta.access_token, meta.graph_base, meta.graph_version,
                         timeout=float(config.whatsapp.http_timeout))


REGISTRY: dict[str, Callable[[KesherConfig], WhatsAppTransport]] = {"dev": _dev, "twilio": _twilio, "meta": _meta}


def build_transport(name: str, config: KesherConfig | dict) -> WhatsAppTransport:
    builder = REGISTRY.get(name)
    if builder is None:
        raise NotConfigured(f"unknown WhatsApp provider {name!r}")
    return builder(typed(config))


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


def choose(wanted: str | None, config: KesherConfig | dict, account: dict) -> tuple[str, str | None]:
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
