"""`make run` (scripts/run-dev.sh) on an empty database, as a new user meets it.

The script migrates, seeds the demo business, starts the job worker and the web server
and prints how to log in. This test runs it on a free port with its own SQLite database
and checks what the README promises: /health answers, the printed demo logins work with
their roles, and a WhatsApp message sent from the app is delivered by the worker, whose
live status event reaches a browser socket without Redis (the worker's loopback relay).
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest
import requests

REPO_ROOT = Path(__file__).resolve().parents[3]
SCRIPT = REPO_ROOT / "scripts" / "run-dev.sh"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(argv: list[str], cwd: Path, tmp_path: Path):
    """Start a dev server the way the README says, on a free port with its own SQLite database."""
    if not (REPO_ROOT / ".venv" / "bin" / "python").exists():
        pytest.skip("the dev server runs from the repo's .venv (made by `make install`)")
    port = _free_port()
    env = {k: v for k, v in os.environ.items()
           if k not in ("REDIS_URL", "RATELIMIT_STORAGE_URI", "TEST_DATABASE_URL", "BIND")}
    # No SECRET_KEY, as on a fresh clone: web and worker generate and share instance/secret_key
    # (here in tmp_path, never the repo's instance/).
    env.update(PORT=str(port), DATABASE_URL=f"sqlite:///{tmp_path / 'kesher.db'}", LOG_DIR=str(tmp_path / "logs"),
               MEDIA_DIR=str(tmp_path / "media"), EXPORT_DIR=str(tmp_path / "exports"),
               HUEY_SQLITE_PATH=str(tmp_path / "huey.db"), APP_ENV="development", SECRET_KEY="",
               INSTANCE_DIR=str(tmp_path / "instance"),
               WHATSAPP_PROVIDER="", TWILIO_ACCOUNT_SID="", TWILIO_AUTH_TOKEN="", HOST="")
    proc = subprocess.Popen(argv, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)
    output: list[str] = []
    threading.Thread(target=lambda: output.extend(proc.stdout), daemon=True).start()
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if requests.get(base + "/health", timeout=2).status_code == 200:
                break
        except requests.RequestException:
            time.sleep(0.3)
    else:
        os.killpg(proc.pid, signal.SIGKILL)
        pytest.fail(f"{argv} did not serve /health:\n" + "".join(output)[-3000:])
    return proc, base, output


def _stop(proc: subprocess.Popen) -> None:
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)


@pytest.fixture
def make_run(tmp_path):
    proc, base, output = _serve(["bash", str(SCRIPT)], REPO_ROOT, tmp_path)
    yield base, output
    _stop(proc)


def _listening_addresses(port: int) -> set[str]:
    """The local addresses with a listening TCP socket on `port` (Linux /proc/net/tcp*)."""
    found = set()
    for table, width in (("/proc/net/tcp", 8), ("/proc/net/tcp6", 32)):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.split(":")
            if state == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
                found.add(socket.inet_ntop(socket.AF_INET if width == 8 else socket.AF_INET6,
                                           bytes.fromhex(address)[::-1] if width == 8 else
                                           b"".join(bytes.fromhex(address[i:i + 8])[::-1] for i in range(0, 32, 8))))
    return found


def _login(base: str, email: str) -> tuple[requests.Session, dict]:
    http = requests.Session()
    response = http.post(base + "/api/auth/login", json={"email": email, "password": "kesher-demo"}, timeout=10)
    assert response.status_code == 200, response.text
    return http, response.json()


def test_make_run_serves_prints_the_logins_and_they_work(make_run):
    base, output = make_run
    printed = "".join(output)
    assert f"http://localhost:{base.rsplit(':', 1)[1]}" in printed
    for email in ("admin@kesher.local", "staff@kesher.local", "viewer@kesher.local"):
        assert email in printed
    assert "kesher-demo" in printed
    assert requests.get(base + "/health", timeout=5).json()["status"] == "ok"
    for email, role in (("admin@kesher.local", "admin"), ("staff@kesher.local", "staff"),
                        ("viewer@kesher.local", "viewer")):
        http, _ = _login(base, email)
        assert http.get(base + "/api/auth/me", timeout=5).json()["role"] == role
    page = requests.get(base + "/customers", timeout=5)  # a client-side route: Hebrew, right to left
    assert page.status_code == 200 and '<html lang="he" dir="rtl">' in page.text
    if (REPO_ROOT / "dist" / "index.html").exists():  # `make run` builds it; `make test` only after pytest
        assert '<div id="root">' in page.text  # the SPA's shell
    else:
        assert "make run" in page.text  # the page that says how to build it


def test_make_run_listens_on_loopback_only_with_its_own_secret(make_run, tmp_path):
    """Issue 16: a default install was reachable from the network and signed with a published key."""
    base, _ = make_run
    port = int(base.rsplit(":", 1)[1])
    if not Path("/proc/net/tcp").exists():
        pytest.skip("reads the listening sockets from /proc/net/tcp")
    assert _listening_addresses(port) == {"127.0.0.1"}
    key_file = tmp_path / "instance" / "secret_key"
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"
    assert len(key_file.read_text().strip()) == 64
    # A session cookie signed with the old published key is not a session.
    from flask import Flask
    from flask.sessions import SecureCookieSessionInterface
    forger = Flask("forger")
    forger.secret_key = "dev-insecure-secret"
    http, _ = _login(base, "admin@kesher.local")
    me = http.get(base + "/api/auth/me", timeout=5).json()
    claim = {key: me[key] for key in ("id", "email", "role", "business_id")}  # the platform admin
    forged = SecureCookieSessionInterface().get_signing_serializer(forger).dumps({"user": claim, "csrf": "x"})
    answer = requests.get(base + "/api/auth/me", cookies={"kesher_session": forged}, timeout=5)
    assert answer.status_code == 401


def test_the_workers_delivery_status_reaches_the_browser_without_redis(make_run):
    import socketio

    base, _ = make_run
    http, login = _login(base, "staff@kesher.local")
    cookie = "; ".join(f"{c.name}={c.value}" for c in http.cookies)
    statuses: list[dict] = []
    browser = socketio.Client(reconnection=False)

    @browser.on("whatsapp.status")
    def _status(payload):
        statuses.append(payload)

    browser.connect(base, headers={"Cookie": cookie}, wait_timeout=10)
    try:
        sent = http.post(base + "/api/whatsapp/send", json={"to": "050-123-4567", "text": "שלום מהבדיקה"},
                         headers={"X-CSRF-Token": login["csrf_token"]}, timeout=10)
        assert sent.status_code == 200 and sent.json()["ok"] is True
        # The web process only queued it: this status comes from the worker, relayed over loopback.
        # (Other statuses may come too: the demo agent's answer to a lead, sent by the same worker.)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not any(
                s.get("id") == sent.json()["id"] and s.get("status") not in ("queued", "sending") for s in statuses):
            time.sleep(0.1)
        assert any(s.get("id") == sent.json()["id"] and s.get("status") not in ("queued", "sending")
                   for s in statuses), f"no delivery status reached the socket: {statuses}"
    finally:
        browser.disconnect()


def test_the_seeds_smoke_script_cd_server_python_main_py(tmp_path):
    """Section 11 of the specification: `cd server && python main.py`, then its curl lines."""
    proc, base, _ = _serve([str(REPO_ROOT / ".venv" / "bin" / "python"), "main.py"], REPO_ROOT / "server", tmp_path)
    try:
        assert requests.get(base + "/health", timeout=5).status_code == 200
        twiml = requests.post(base + "/webhook/incoming_call", timeout=10).text
        for needle in ("<Record", 'maxLength="30"', 'timeout="5"', 'finishOnKey="*"'):
            assert needle in twiml
        assert requests.post(base + "/webhook/call_status", timeout=10).status_code == 200
        no_recording = requests.post(base + "/webhook/handle_recording", timeout=30)
        assert no_recording.status_code == 200 and "סליחה, לא קיבלתי הקלטה. איך אפשר לעזור?" in no_recording.text
        # The CRM lines need a session now (issue 3): logged out is a JSON 401, never a page or a 500.
        crm = requests.get(base + "/api/crm/customers?page=1&limit=25", timeout=5)
        assert crm.status_code == 401 and crm.json() == {"error": "unauthorized", "code": "unauthorized"}
        timeline = requests.get(base + "/api/customers/1/timeline", timeout=5)
        assert timeline.status_code == 401 and timeline.json() == {"error": "unauthorized", "code": "unauthorized"}
    finally:
        _stop(proc)
