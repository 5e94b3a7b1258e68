"""Security headers on every response, as the OWASP Secure Headers Project recommends for an
SPA served with its JSON API.

- The SPA's pages get a strict Content-Security-Policy: only this origin's scripts, styles,
  images and sockets; no inline script or style (index.html has none; React sets style
  properties through the CSSOM, which CSP does not govern), no plugins, no framing.
  `base-uri 'self'` rather than 'none': index.html's <base href="/"> is what lets a deep link
  such as /customers/12 load the build's relative assets.
- API and webhook answers are data, never a document: `default-src 'none'`, and `no-store`
  so no shared or browser cache keeps a customer's data.
- Framing is refused twice (X-Frame-Options for old browsers, frame-ancestors for the rest).
- HSTS only where the request came over HTTPS (behind the proxy ProxyFix trusts) or the
  deployment says it is HTTPS-only (SESSION_COOKIE_SECURE): sent over plain HTTP it would be
  ignored at best, and lock a LAN install out of http:// at worst.
- Cross-Origin-Resource-Policy: same-origin binds browsers only; Twilio fetching a <Play>
  prompt from /media is no browser and is unaffected.
"""
from __future__ import annotations

from flask import Flask, Response, request

from server.config import current

SPA_CSP = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data: blob:",          # the inline SVG favicon is a data: URL
    "media-src 'self' blob:",              # call recordings; the agent try-out's recorded audio
    "connect-src 'self' {sockets}",        # fetch, and Socket.IO's websocket to this host
    "font-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])
API_CSP = "default-src 'none'; frame-ancestors 'none'"

# The agent try-out records the admin's voice in the browser (TryAgent.tsx): the microphone
# stays allowed for this origin alone; nothing else asks for a device.
PERMISSIONS_POLICY = "camera=(), display-capture=(), geolocation=(), microphone=(self), payment=(), usb=()"

HSTS = "max-age=31536000; includeSubDomains"

COMMON = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Permissions-Policy": PERMISSIONS_POLICY,
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "X-Permitted-Cross-Domain-Policies": "none",
}


def _is_data_path(path: str) -> bool:
    return path == "/api" or path.startswith(("/api/", "/webhook/")) or path == "/health"


def _spa_csp() -> str:
    # CSP Level 3 lets 'self' match this host's ws:/wss:, older engines do not: name them.
    host = request.host
    return SPA_CSP.format(sockets=f"ws://{host} wss://{host}")


def add_security_headers(response: Response) -> Response:
    headers = response.headers
    for name, value in COMMON.items():
        headers.setdefault(name, value)
    if _is_data_path(request.path):
        headers["Content-Security-Policy"] = API_CSP
        if "no-store" not in (headers.get("Cache-Control") or ""):
            headers["Cache-Control"] = "no-store"
    else:
        headers["Content-Security-Policy"] = _spa_csp()
    if request.is_secure or current().web.session_cookie_secure:
        headers["Strict-Transport-Security"] = HSTS
    return response


def register_security_headers(app: Flask) -> None:
    app.after_request(add_security_headers)
