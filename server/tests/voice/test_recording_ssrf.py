"""The outbound policy for recording URLs (server.providers.safe_http), tried as an attacker
who plants a RecordingUrl would: the admin plays it through GET /api/calls/<id>/recording.

Every server here is a real HTTP server on 127.0.0.1. The "internal service" a planted URL
aims at answers a secret; the tests assert that the secret never comes back, that the
internal server saw no request at all, and that the answer the admin sees is the same
whatever the cause.
"""
from __future__ import annotations

import base64
import socket

import pytest

from server.models import CallLog, CallTurn
from server.providers import safe_http
from server.providers.errors import ProviderError
from server.providers.recording_deletion import delete_recording
from server.providers.recordings import download_recording
from server.tests.voice.conftest import RECORDING

SECRET = b'{"internal":"metadata-secret"}'
AUTH = "Basic " + base64.b64encode(b"AC123:auth-token-xyz").decode()


@pytest.fixture()
def internal(fake_server):
    """What an attacker wants to read: a service on a loopback port, answering any path."""
    for path in ("/x", "/x.mp3", "/secret.mp3", "/rec.mp3", "/2010-04-01/Accounts/AC123/Recordings/RE1.mp3"):
        fake_server.route("GET", path, body=SECRET, headers={"Content-Type": "audio/mpeg"})
    return fake_server


@pytest.fixture()
def creds(voice_config, monkeypatch):
    monkeypatch.setitem(voice_config, "TWILIO_ACCOUNT_SID", "AC123")
    monkeypatch.setitem(voice_config, "TWILIO_AUTH_TOKEN", "auth-token-xyz")


def _port(server) -> int:
    return int(server.url.rsplit(":", 1)[1])


def _play(client, db, login_as, make_business, url, role="admin"):
    business = make_business()
    call = CallLog(call_sid=f"CA-ssrf-{abs(hash(url))}", business_id=business.id, from_number="+972501234567",
                   status="completed", recording_url=url)
    db.session.add(call)
    db.session.commit()
    login_as(role, business)
    return client.get(f"/api/calls/{call.id}/recording")


# ---- the forms a lenient parser reads differently ----------------------------------------

@pytest.mark.parametrize("form", [
    "http://127.0.0.1:{port}\\@api.twilio.com/x",          # the issue's: urlsplit sees api.twilio.com
    "http://api.twilio.com@127.0.0.1:{port}/x",            # userinfo
    "http://api.twilio.com:x@127.0.0.1:{port}/x",
    "http://127.0.0.1:{port}\\.api.twilio.com/x",
    "http://127.0.0.1:{port}#@api.twilio.com/x",
    "http://127.0.0.1:{port}?@api.twilio.com/x",
    "http://127.0.0.1:{port}/x @api.twilio.com",
    "http://api.twilio.com\t@127.0.0.1:{port}/x",
    " http://127.0.0.1:{port}/x",
    "file:///etc/passwd",
    "gopher://127.0.0.1:{port}/x",
])
def test_a_planted_url_never_reaches_the_internal_port(client, db, login_as, make_business, voice_config,
                                                       monkeypatch, internal, creds, form):
    monkeypatch.setitem(voice_config, "RECORDING_HOSTS", "api.twilio.com")
    r = _play(client, db, login_as, make_business, form.format(port=_port(internal)))

    assert (r.status_code, r.get_json()) == (502, {"error": "recording unavailable", "code": "recording_unavailable"})
    assert SECRET not in r.data
    assert internal.requests == []


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:80\\@api.twilio.com/x", "http://u@api.twilio.com/x", "http://u:p@api.twilio.com/x",
    "https://api.twilio.com/x#frag", "http://api.twilio.com /x", "http://api.twilio.com/\x00", "http://api.twilio.com/\x7f",
    "http://api.twilio.com/\u05d0", "ftp://api.twilio.com/x", "//api.twilio.com/x", "http:///x", "http://:80/x",
    "http://api.twilio.com:0/x", "http://api.twilio.com:99999/x", "http://api.twilio.com:/x",
    "http://127.1/x", "http://0x7f.0.0.1/x", "http://2130706433/x", "http://0177.0.0.1/x", "http://[::1/x",
    "http://api_twilio.com/x", "http://api.twilio.com%2e127.0.0.1/x", "http://[fe80::1%25eth0]/x",
])
def test_the_strict_parser_refuses_every_ambiguous_form(url):
    with pytest.raises(safe_http.UrlRefused):
        safe_http.parse_url(url)


def test_the_strict_parser_reads_a_plain_twilio_url():
    dest = safe_http.parse_url("https://API.twilio.com./2010-04-01/Accounts/AC1/Recordings/RE1.mp3?x=1")
    assert (dest.scheme, dest.host, dest.port, dest.target) == (
        "https", "api.twilio.com", 443, "/2010-04-01/Accounts/AC1/Recordings/RE1.mp3?x=1")
    assert safe_http.parse_url("http://[::FFFF:127.0.0.1]:8080").host == "::ffff:7f00:1"


# ---- addresses: a wildcard reaches only the public internet ------------------------------

def test_a_wildcard_host_that_resolves_to_loopback_is_refused(client, db, login_as, make_business, voice_config,
                                                             monkeypatch, internal, creds):
    # `*.localhost` matches `localhost` itself, which resolves to 127.0.0.1 (/etc/hosts).
    monkeypatch.setitem(voice_config, "RECORDING_HOSTS", "*.localhost")
    r = _play(client, db, login_as, make_business, f"http://localhost:{_port(internal)}/x")

    assert (r.status_code, r.get_json()) == (502, {"error": "recording unavailable", "code": "recording_unavailable"})
    assert internal.requests == []


def test_a_host_named_literally_is_the_operators_choice_even_on_loopback(client, db, login_as, make_business,
                                                                         voice_config, monkeypatch, internal):
    monkeypatch.setitem(voice_config, "RECORDING_HOSTS", "localhost")
    r = _play(client, db, login_as, make_business, f"http://localhost:{_port(internal)}/x", role="viewer")

    assert (r.status_code, r.data) == (200, SECRET)
    assert internal.requests[0].headers["host"] == f"localhost:{_port(internal)}"


@pytest.mark.parametrize("address", [
    "127.0.0.1", "10.1.2.3", "172.16.0.9", "192.168.1.1", "169.254.169.254", "100.64.0.1", "0.0.0.0",
    "224.0.0.1", "240.0.0.1", "255.255.255.255", "::1", "::", "fe80::1", "fc00::1", "ff02::1",
    "::ffff:127.0.0.1", "::ffff:169.254.169.254", "64:ff9b::a9fe:a9fe", "2002:7f00:1::1", "::127.0.0.1",
])
def test_a_wildcard_host_resolving_to_a_non_public_address_is_refused(monkeypatch, address):
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    monkeypatch.setattr(socket, "getaddrinfo",
                        lambda host, port, *a, **k: [(family, socket.SOCK_STREAM, 6, "", (address, port))])
    with pytest.raises(safe_http.UrlRefused):
        safe_http.check_url("https://media.twilio.example/r.mp3", ["*.twilio.example"])


def test_one_non_public_answer_among_public_ones_is_refused(monkeypatch):
    answers = [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", 443)),
               (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.7", 443))]
    monkeypatch.setattr(socket, "getaddrinfo", lambda *a, **k: answers)
    with pytest.raises(safe_http.UrlRefused):
        safe_http.check_url("https://media.twilio.example/r.mp3", ["*.twilio.example"])


def test_a_wildcard_host_resolving_to_public_addresses_passes(monkeypatch):
    answers = [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", 443)),
               (socket.AF_INET6, socket.SOCK_STREAM, 6, "", ("2606:2800:220:1:248:1893:25c8:1946", 443, 0, 0))]
    monkeypatch.setattr(socket, "getaddrinfo", lambda *a, **k: answers)
    dest, addresses = safe_http.check_url("https://media.twilio.example/r.mp3", ["*.twilio.example"])
    assert (dest.host, addresses) == ("media.twilio.example", ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"])


def test_the_connection_goes_to_the_address_that_was_checked(voice_config, monkeypatch, internal):
    """One lookup: a second answer (DNS rebinding) is never asked for, let alone used."""
    real = socket.getaddrinfo
    lookups = []

    def rebinding(host, port, *args, **kwargs):
        if host == "rec.twilio.example":
            lookups.append(host)
            address = "127.0.0.1" if len(lookups) == 1 else "127.0.0.2"  # nothing listens on .2
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]
        return real(host, port, *args, **kwargs)
    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    monkeypatch.setitem(voice_config, "RECORDING_HOSTS", "rec.twilio.example")

    audio = download_recording(f"http://rec.twilio.example:{_port(internal)}/x", voice_config)

    assert audio == SECRET and lookups == ["rec.twilio.example"]
    assert internal.requests[0].headers["host"] == f"rec.twilio.example:{_port(internal)}"


# ---- redirects: every hop is checked; the credentials stay with the first host -------------

def _redirect(server, path, location, status=302):
    server.route("GET", path, status=status, headers={"Location": location})


def test_a_redirect_to_another_local_port_is_refused(client, db, login_as, make_business, voice_config, monkeypatch,
                                                     creds, fake_server, other_server):
    # Allowed: `localhost` (literal). The redirect aims at 127.0.0.1:<other port>, not listed.
    monkeypatch.setitem(voice_config, "RECORDING_HOSTS", "localhost")
    other_server.route("GET", "/secret.mp3", body=SECRET)
    _redirect(fake_server, "/rec.mp3", f"http://127.0.0.1:{_port(other_server)}/secret.mp3")

    r = _play(client, db, login_as, make_business, f"http://localhost:{_port(fake_server)}/rec")

    assert (r.status_code, r.get_json()) == (502, {"error": "recording unavailable", "code": "recording_unavailable"})
    assert [s.path for s in fake_server.requests] == ["/rec.mp3"]
    assert other_server.requests == []


@pytest.mark.parametrize("location", ["http://127.0.0.1:{port}\\@localhost/secret.mp3",
                                      "http://localhost@127.0.0.1:{port}/secret.mp3",
                                      "file:///etc/passwd"])
def test_a_redirect_in_a_lenient_form_is_refused(voice_config, monkeypatch, creds, fake_server, other_server,
                                                 location):
    monkeypatch.setitem(voice_config, "RECORDING_HOSTS", "localhost")
    other_server.route("GET", "/secret.mp3", body=SECRET)
    _redirect(fake_server, "/rec.mp3", location.format(port=_port(other_server)))

    with pytest.raises(ProviderError) as refused:
        download_recording(f"http://localhost:{_port(fake_server)}/rec", voice_config)

    assert refused.value.reason == "url refused" and other_server.requests == []


def test_credentials_are_never_forwarded_to_a_redirect_target_on_another_host(voice_config, monkeypatch, creds,
                                                                              fake_server, other_server):
    # Both hosts are allowed (the CDN a provider redirects to, say); only the first gets the account.
    monkeypatch.setitem(voice_config, "RECORDING_HOSTS", "localhost,127.0.0.1")
    other_server.route("GET", "/signed/RE1.mp3", body=RECORDING)
    _redirect(fake_server, "/rec.mp3", "/rec-moved.mp3", status=301)
    _redirect(fake_server, "/rec-moved.mp3", f"http://127.0.0.1:{_port(other_server)}/signed/RE1.mp3", status=307)

    audio = download_recording(f"http://localhost:{_port(fake_server)}/rec", voice_config)

    assert audio == RECORDING
    assert [s.headers.get("authorization") for s in fake_server.requests] == [AUTH, AUTH]  # same host: kept
    assert [s.headers.get("authorization") for s in other_server.requests] == [None]


def test_redirect_hops_are_limited(voice_config, monkeypatch, fake_server):
    monkeypatch.setitem(voice_config, "RECORDING_HOSTS", "127.0.0.1")
    _redirect(fake_server, "/loop.mp3", "/loop.mp3")
    with pytest.raises(ProviderError) as failed:
        download_recording(f"{fake_server.url}/loop", voice_config)
    assert failed.value.reason == "too many redirects" and len(fake_server.requests) == 4


# ---- one answer for the admin, whatever the cause ------------------------------------------

def test_refused_unreachable_and_provider_errors_look_the_same(client, db, login_as, make_business, voice_config,
                                                               monkeypatch, internal):
    monkeypatch.setitem(voice_config, "RECORDING_HOSTS", "127.0.0.1")
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    internal.route("GET", "/gone.mp3", status=404, body={"message": "not found"})
    internal.route("GET", "/broken.mp3", status=500, body={"message": "oops"})

    answers = [_play(client, db, login_as, make_business, url) for url in (
        f"http://127.0.0.1:{_port(internal)}\\@api.twilio.com/x",   # refused: never connects
        f"http://127.0.0.1:{closed}/x",                               # closed port
        f"{internal.url}/gone",                                       # the provider's 404
        f"{internal.url}/broken",                                     # the provider's 500
    )]

    assert {(a.status_code, a.get_data(as_text=True)) for a in answers} == {
        (502, '{"code":"recording_unavailable","error":"recording unavailable"}\n')}


# ---- deletion goes through the same policy -------------------------------------------------

def test_deletion_refuses_a_planted_url_and_never_sends_the_credentials(voice_config, monkeypatch, creds,
                                                                        internal):
    monkeypatch.setitem(voice_config, "RECORDING_HOSTS", "api.twilio.com")
    with pytest.raises(ProviderError) as refused:
        delete_recording(f"http://127.0.0.1:{_port(internal)}\\@api.twilio.com/x", voice_config)
    assert refused.value.reason == "url refused" and internal.requests == []


def test_deletion_does_not_follow_a_redirect(voice_config, monkeypatch, creds, fake_server, other_server):
    monkeypatch.setitem(voice_config, "RECORDING_HOSTS", "127.0.0.1")
    fake_server.route("DELETE", "/rec/RE1.json", status=307,
                      headers={"Location": f"{other_server.url}/rec/RE1.json"})
    with pytest.raises(ProviderError):
        delete_recording(f"{fake_server.url}/rec/RE1", voice_config)
    assert other_server.requests == []


# ---- the provider's URL never reaches an API client ----------------------------------------

@pytest.mark.parametrize("role", ["admin", "staff", "viewer"])
def test_no_role_sees_the_providers_recording_url(client, db, login_as, make_business, make_customer, role):
    business = make_business()
    dana = make_customer(business, name="דנה כהן")
    raw = "https://api.twilio.com/2010-04-01/Accounts/AC123/Recordings/RE77"
    call = CallLog(call_sid="CA-raw-1", business_id=business.id, customer_id=dana.id, from_number="+972501234567",
                   status="completed", recording_url=raw)
    db.session.add(call)
    db.session.flush()
    db.session.add(CallTurn(call_id=call.id, index=0, status="ready", recording_url=raw + "-turn",
                            transcript="שלום", reply="שלום וברכה"))
    db.session.commit()
    login_as(role, business)

    bodies = {path: client.get(path) for path in ("/api/calls", f"/api/customers/{dana.id}/timeline",
                                                  "/api/dashboard")}

    for path, r in bodies.items():
        assert r.status_code == 200, path
        assert "api.twilio.com" not in r.get_data(as_text=True) and "recording_url" not in r.get_data(as_text=True)
    listed = bodies["/api/calls"].get_json()["items"][0]
    assert listed["recording"] == f"/api/calls/{call.id}/recording"
    assert listed["turns"][0]["transcript"] == "שלום"


# ---- https: the checked address, the URL's name for SNI and the certificate ---------------

@pytest.fixture()
def tls_server(tmp_path, monkeypatch):
    """An https FakeServer on 127.0.0.1 whose certificate names rec.twilio.example only,
    trusted through REQUESTS_CA_BUNDLE (as an operator with a private CA would)."""
    import shutil
    import ssl
    import subprocess

    from server.tests.voice.conftest import serving

    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a test certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
                    "/CN=rec.twilio.example", "-addext", "subjectAltName=DNS:rec.twilio.example",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(cert))
    real = socket.getaddrinfo

    def names_on_loopback(host, port, *args, **kwargs):
        if host.endswith(".twilio.example"):
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]
        return real(host, port, *args, **kwargs)
    monkeypatch.setattr(socket, "getaddrinfo", names_on_loopback)
    with serving(tls=context) as server:
        server.route("GET", "/r.mp3", body=RECORDING)
        yield server


def test_https_connects_to_the_checked_address_and_verifies_the_hosts_certificate(voice_config, monkeypatch,
                                                                                    creds, tls_server):
    monkeypatch.setitem(voice_config, "RECORDING_HOSTS", "rec.twilio.example")
    audio = download_recording(f"https://rec.twilio.example:{_port(tls_server)}/r", voice_config)
    assert audio == RECORDING
    assert tls_server.requests[0].headers["host"] == f"rec.twilio.example:{_port(tls_server)}"
    assert tls_server.requests[0].headers["authorization"] == AUTH


def test_https_refuses_a_certificate_for_another_name(voice_config, monkeypatch, creds, tls_server):
    monkeypatch.setitem(voice_config, "RECORDING_HOSTS", "other.twilio.example")
    with pytest.raises(ProviderError) as failed:
        download_recording(f"https://other.twilio.example:{_port(tls_server)}/r", voice_config)
    assert failed.value.reason == "connection failed" and tls_server.requests == []
