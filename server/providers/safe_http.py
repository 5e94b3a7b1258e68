"""The one way this server fetches a URL that came from outside (a webhook form, a stored
provider URL): a strict outbound policy, so such a URL cannot make the server reach its
own network or hand the account's credentials to someone else.

- One strict parser: http(s) only; printable ASCII only (no whitespace, control
  characters or backslashes: the forms browsers and `urlsplit` read differently);
  no userinfo (`user@host`); no fragment; a host that is a DNS name, a canonical dotted
  IPv4 or a bracketed IPv6 — never `127.1`, `0x7f.1` or `2130706433`.
- The host must be on the allow-list. An entry is either literal (`api.twilio.com`,
  `127.0.0.1`) or a wildcard (`*.twilio.com`, which also matches `twilio.com`).
- The host is resolved once, and a host matched only by a wildcard must resolve to
  public addresses: loopback, private, link-local, multicast, reserved, unspecified and
  shared (CGNAT) addresses are refused, including inside IPv4-mapped, 6to4, Teredo and
  NAT64 IPv6 addresses. A literal entry is the operator's explicit choice and may point
  anywhere (`RECORDING_HOSTS=127.0.0.1` is how local tests and demos serve recordings).
- The connection goes to the address that was checked (no second DNS lookup, so a
  rebinding answer cannot swap it), with the URL's Host header, and for https the TLS
  SNI and certificate check against the URL's host name.
- Redirects are never followed automatically: each hop is parsed and checked like the
  first (at most `max_redirects`), and the credentials go only to the first URL's
  scheme, host and port — never to a redirect target elsewhere.

A refused URL raises UrlRefused before any connection is made.
"""
from __future__ import annotations

import base64
import ipaddress
import logging
import os
import re
import socket
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Iterator, Sequence
from urllib.parse import urljoin

import certifi
import urllib3
from urllib3.exceptions import HTTPError as Urllib3Error
from urllib3.exceptions import NewConnectionError, TimeoutError as Urllib3Timeout

from server.providers.errors import ProviderError

log = logging.getLogger(__name__)

REDIRECTS = (301, 302, 303, 307, 308)

_URL = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://(?P<authority>[^/?#]*)(?P<target>[/?][^#]*)?")
_IPV6_AUTHORITY = re.compile(r"\[(?P<host>[0-9A-Fa-f:.]+)\](?::(?P<port>[0-9]{1,5}))?")
_NAME_AUTHORITY = re.compile(r"(?P<host>[A-Za-z0-9.-]+)(?::(?P<port>[0-9]{1,5}))?")
_LABEL = re.compile(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?")
_NUMERIC_LABEL = re.compile(r"[0-9]+|0x[0-9a-f]*")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_DEFAULT_PORTS = {"http": 80, "https": 443}


class UrlRefused(ProviderError):
    """The URL breaks the outbound policy; nothing was sent anywhere."""

    def __init__(self, why: str):
        super().__init__("outbound", "url refused")
        self.why = why  # for the log only: the caller shows "url refused"


@dataclass(frozen=True)
class Destination:
    scheme: str
    host: str          # lower case; an IPv6 address without brackets
    port: int
    target: str        # path and query, as sent on the request line

    @property
    def origin(self) -> tuple[str, str, int]:
        return self.scheme, self.host, self.port

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == _DEFAULT_PORTS[self.scheme] else f"{host}:{self.port}"

    @property
    def url(self) -> str:
        return f"{self.scheme}://{self.host_header}{self.target}"


def parse_url(url: str) -> Destination:
    """The strict parse; UrlRefused for anything ambiguous."""
    if not isinstance(url, str) or not url or len(url) > 4096:
        raise UrlRefused("empty or too long")
    if any(not ("\x21" <= ch <= "\x7e") for ch in url):
        raise UrlRefused("whitespace, control or non-ASCII character")
    if "\\" in url:
        raise UrlRefused("backslash")
    match = _URL.fullmatch(url)
    if match is None:
        raise UrlRefused("not an absolute URL without fragment")
    scheme = match["scheme"].lower()
    if scheme not in _DEFAULT_PORTS:
        raise UrlRefused(f"scheme {scheme}")
    authority = match["authority"]
    if "@" in authority:
        raise UrlRefused("userinfo")
    parts = _IPV6_AUTHORITY.fullmatch(authority) or _NAME_AUTHORITY.fullmatch(authority)
    if parts is None:
        raise UrlRefused("malformed host")
    host = _canonical_host(parts["host"], bracketed=authority.startswith("["))
    port = int(parts["port"]) if parts["port"] is not None else _DEFAULT_PORTS[scheme]
    if not 0 < port < 65536:
        raise UrlRefused("port out of range")
    return Destination(scheme, host, port, match["target"] or "/")


def _canonical_host(raw: str, bracketed: bool) -> str:
    if bracketed:
        try:
            return str(ipaddress.IPv6Address(raw))
        except ValueError:
            raise UrlRefused("malformed IPv6 address") from None
    host = raw.lower()
    host = host[:-1] if host.endswith(".") else host
    labels = host.split(".")
    if not host or len(host) > 253 or not all(_LABEL.fullmatch(label) for label in labels):
        raise UrlRefused("malformed host name")
    # A name whose last label is numeric is an IPv4 address to every resolver; only the
    # canonical dotted quad is accepted, so `127.1` cannot dodge a literal entry.
    if _NUMERIC_LABEL.fullmatch(labels[-1]):
        try:
            return str(ipaddress.IPv4Address(host))
        except ValueError:
            raise UrlRefused("non-canonical IPv4 address") from None
    return host


def _entry(pattern: str) -> tuple[str, bool] | None:
    """(host, is_wildcard) of one allow-list entry, or None for an empty/unusable one."""
    pattern = pattern.strip().lower()
    wildcard = pattern.startswith("*.")
    name = pattern[2:] if wildcard else pattern
    name = name[1:-1] if name.startswith("[") and name.endswith("]") else name
    if not name:
        return None
    try:
        name = str(ipaddress.ip_address(name))
    except ValueError:
        name = name.rstrip(".")
    return name, wildcard


def match_allow_list(host: str, allowed: Sequence[str]) -> str | None:
    """'literal', 'wildcard' or None: how `host` (canonical) is on the allow-list."""
    how = None
    for pattern in allowed:
        entry = _entry(pattern)
        if entry is None:
            continue
        name, wildcard = entry
        if not wildcard and host == name:
            return "literal"
        if wildcard and (host == name or host.endswith("." + name)):
            how = "wildcard"
    return how


def is_public(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """An address on the public internet, also when an IPv6 form embeds an IPv4 one."""
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if embedded is None and ip in _NAT64:
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if embedded is not None and not is_public(embedded):
            return False
    return ip.is_global and not (ip.is_loopback or ip.is_private or ip.is_link_local or ip.is_multicast
                                 or ip.is_reserved or ip.is_unspecified)


def check_allowed(url: str, allowed: Sequence[str]) -> Destination:
    """The parse and the allow-list, without resolving: UrlRefused for a URL never to be tried."""
    dest = parse_url(url)
    if match_allow_list(dest.host, allowed) is None:
        raise UrlRefused(f"host {dest.host} not on the allow-list")
    return dest


def resolve(dest: Destination, allowed: Sequence[str]) -> list[str]:
    """The addresses to connect to, checked; UrlRefused if the host may not be reached."""
    how = match_allow_list(dest.host, allowed)
    if how is None:
        raise UrlRefused(f"host {dest.host} not on the allow-list")
    try:
        infos = socket.getaddrinfo(dest.host, dest.port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        raise ProviderError("outbound", "connection failed") from None
    addresses: list[str] = []
    for _family, _type, _proto, _name, sockaddr in infos:
        address = sockaddr[0].split("%", 1)[0]
        ip = ipaddress.ip_address(address)
        if how == "wildcard" and not is_public(ip):
            raise UrlRefused(f"host {dest.host} resolves to a non-public address")
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise ProviderError("outbound", "connection failed")
    return addresses


def check_url(url: str, allowed: Sequence[str]) -> tuple[Destination, list[str]]:
    """Parse and resolve; the destination and the checked addresses to connect to."""
    dest = parse_url(url)
    return dest, resolve(dest, allowed)


def _pool(dest: Destination, address: str, timeout: urllib3.Timeout):
    if dest.scheme == "https":
        is_ip = _is_ip(dest.host)
        return urllib3.HTTPSConnectionPool(
            address, dest.port, timeout=timeout, retries=False, maxsize=1,
            server_hostname=None if is_ip else dest.host, assert_hostname=dest.host,
            cert_reqs="CERT_REQUIRED", ca_certs=_ca_bundle())
    return urllib3.HTTPConnectionPool(address, dest.port, timeout=timeout, retries=False, maxsize=1)


def _ca_bundle() -> str:
    # The bundle `requests` uses everywhere else here, with the same override (a private CA).
    return os.environ.get("REQUESTS_CA_BUNDLE") or certifi.where()


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        return False


def _send(method: str, dest: Destination, addresses: list[str], headers: dict, timeout: urllib3.Timeout):
    """(pool, response) of one request to the first checked address that accepts the connection."""
    last: Exception | None = None
    for address in addresses:
        pool = _pool(dest, address, timeout)
        try:
            response = pool.urlopen(method, dest.target, headers={**headers, "Host": dest.host_header},
                                    redirect=False, retries=False, preload_content=False,
                                    assert_same_host=False, release_conn=True)
            return pool, response
        except NewConnectionError as exc:  # refused/unreachable: try the next checked address
            last = exc
            pool.close()
        except Urllib3Timeout as exc:
            pool.close()
            raise ProviderError("outbound", "timeout") from exc
        except Urllib3Error as exc:
            pool.close()
            raise ProviderError("outbound", "connection failed") from exc
    raise ProviderError("outbound", "connection failed") from last


def _checked(url: str, allowed: Sequence[str], hop: int) -> tuple[Destination, list[str]]:
    try:
        return check_url(url, allowed)
    except UrlRefused as exc:
        log.warning("outbound: %s refused (%s)", "redirect" if hop else "URL", exc.why)
        raise


@contextmanager
def fetch(method: str, url: str, allowed: Sequence[str], *, auth: tuple[str, str] | None = None,
          bearer: str | None = None, timeout: float = 8.0,
          max_redirects: int = 3) -> Iterator[urllib3.BaseHTTPResponse]:
    """The final response (not a redirect) of `method url`, streamed; close by leaving the block.

    Raises UrlRefused (nothing sent) for a URL or a redirect hop the policy refuses, and
    ProviderError("outbound", "timeout" | "connection failed" | "too many redirects").
    """
    urllib3_timeout = urllib3.Timeout(connect=min(timeout, 5.0), read=timeout)
    dest, addresses = _checked(url, allowed, 0)
    origin = dest.origin
    credentials = None
    if auth is not None:
        credentials = "Basic " + base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
    elif bearer is not None:
        credentials = f"Bearer {bearer}"  # Meta's media URLs: the same first-origin-only rule
    hops = 0
    while True:
        headers = {"Accept": "*/*", "User-Agent": "kesher"}
        if credentials is not None and dest.origin == origin:
            headers["Authorization"] = credentials
        pool, response = _send(method, dest, addresses, headers, urllib3_timeout)
        location = response.headers.get("Location")
        if response.status not in REDIRECTS or not location:
            break
        response.close()  # a redirect's body is never read
        pool.close()
        hops += 1
        if hops > max_redirects:
            raise ProviderError("outbound", "too many redirects")
        dest, addresses = _checked(urljoin(dest.url, location), allowed, hops)
        if response.status == 303:
            method = "GET"
    try:
        yield response
    except Urllib3Timeout as exc:  # reading the body timed out
        raise ProviderError("outbound", "timeout") from exc
    except Urllib3Error as exc:
        raise ProviderError("outbound", "connection failed") from exc
    finally:
        response.release_conn()
        response.close()
        pool.close()
