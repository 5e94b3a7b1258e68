"""The OWASP secure headers on every kind of response: the SPA, the API, webhooks, audio."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from server.config import REPO_ROOT
from server.providers.storage import voice_dir

COMMON = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}


def _directives(csp: str) -> dict[str, list[str]]:
    parts = [p.split() for p in csp.split(";") if p.strip()]
    return {p[0]: p[1:] for p in parts}


def _assert_common(response):
    for name, value in COMMON.items():
        assert response.headers.get(name) == value, (name, response.headers.get(name))
    policy = response.headers["Permissions-Policy"]
    assert "camera=()" in policy and "geolocation=()" in policy and "microphone=(self)" in policy
    assert _directives(response.headers["Content-Security-Policy"])["frame-ancestors"] == ["'none'"]
    assert "Strict-Transport-Security" not in response.headers  # plain HTTP


@pytest.fixture()
def built_spa(app, tmp_path, monkeypatch):
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_text('<html lang="he" dir="rtl"><div id="root"></div></html>', encoding="utf-8")
    (tmp_path / "assets" / "index-abc123.js").write_text("console.log(1)")
    monkeypatch.setitem(app.config, "FRONTEND_DIST", str(tmp_path))


@pytest.mark.parametrize("path", ["/", "/customers/12", "/assets/index-abc123.js"])
def test_the_spa_gets_a_strict_csp_and_cannot_be_framed(client, built_spa, path):
    r = client.get(path)
    assert r.status_code == 200
    _assert_common(r)
    csp = _directives(r.headers["Content-Security-Policy"])
    assert csp["default-src"] == ["'self'"] and csp["script-src"] == ["'self'"] and csp["style-src"] == ["'self'"]
    assert csp["object-src"] == ["'none'"] and csp["form-action"] == ["'self'"]
    assert csp["base-uri"] == ["'self'"]  # index.html's <base href="/"> must still work
    assert csp["connect-src"] == ["'self'", "ws://localhost", "wss://localhost"]
    assert "'unsafe-inline'" not in r.headers["Content-Security-Policy"]


def test_the_page_shown_before_the_build_passes_its_own_csp(client, app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "FRONTEND_DIST", str(tmp_path / "not-built"))
    r = client.get("/")
    _assert_common(r)
    assert not re.search(r"<script(?![^>]*\bsrc=)|<style|\sstyle=", r.get_data(as_text=True))


def test_index_html_has_no_inline_script_or_style():
    # What the build copies into dist/index.html; the CSP would refuse an inline one.
    html = (Path(REPO_ROOT) / "index.html").read_text(encoding="utf-8")
    assert not re.search(r"<script(?![^>]*\bsrc=)|<style|\sstyle=|\son[a-z]+=", html)


@pytest.mark.parametrize("method, path, status", [
    ("get", "/api/no-such-thing", 404),
    ("get", "/api/auth/me", 401),
    ("post", "/api/auth/login", 401),
    ("get", "/api/openapi.json", 200),
    ("get", "/health", 200),
    ("post", "/webhook/whatsapp/meta", 400),
    ("post", "/webhook/voice", None),
])
def test_api_and_webhook_answers_are_data_never_cached(client, db, method, path, status):
    body = {"email": "nobody@test.local", "password": "wrong-password"} if path.endswith("login") else None
    r = getattr(client, method)(path, json=body) if body else getattr(client, method)(path)
    if status is not None:
        assert r.status_code == status
    _assert_common(r)
    assert r.headers["Content-Security-Policy"] == "default-src 'none'; frame-ancestors 'none'"
    assert "no-store" in r.headers["Cache-Control"]


def test_an_api_route_keeps_its_own_no_store_variant(client, login_as, make_business):
    login_as("admin", business=make_business())
    r = client.get("/api/crm/customers/export")
    assert r.status_code == 200 and "no-store" in r.headers["Cache-Control"]


def test_media_twilio_fetches_carries_the_headers(client, app):
    name = "0" * 32 + ".wav"
    (voice_dir(app.config) / name).write_bytes(b"RIFF0000WAVE")
    r = client.get(f"/media/voice/{name}")
    assert r.status_code == 200
    _assert_common(r)
    r = client.get("/static/voice_responses/welcome.mp3")
    assert r.status_code == 200
    _assert_common(r)


def test_hsts_only_over_https(client, app, monkeypatch):
    assert "Strict-Transport-Security" not in client.get("/health").headers
    https = client.get("/health", base_url="https://kesher.example")
    assert https.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    monkeypatch.setitem(app.config, "SESSION_COOKIE_SECURE", True)  # HTTPS-only deployment behind TLS
    assert "Strict-Transport-Security" in client.get("/health").headers
