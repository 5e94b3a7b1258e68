"""The reliability suite's own instruments: a broken instrument would report green."""
import http.server
import threading

import pytest

from reliability.checks import _schemathesis_summary
from reliability.load import run_load
from reliability.suite import format_table
from reliability.harness import Result

JUNIT = """<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="schemathesis" tests="4">
  <testcase name="GET /api/crm/customers"/>
  <testcase name="POST /api/crm/customers"><failure message="Server error">1. Server error 500</failure></testcase>
  <testcase name="POST /api/x/cancel"><failure message="ST108">- ST108 Response violates schema</failure></testcase>
  <testcase name="POST /api/x/pay"><error message="">Runtime Error</error></testcase>
</testsuite></testsuites>"""


def test_schemathesis_summary_separates_5xx_schema_and_tool_errors(tmp_path):
    report = tmp_path / "r.xml"
    report.write_text(JUNIT)
    ops, server_errors, schema, other, tool_errors, names = _schemathesis_summary(report)
    assert (ops, server_errors, schema, other, tool_errors) == (4, 1, 1, 0, 1)
    assert "POST /api/crm/customers" in names and "(tool error)" in names
    assert _schemathesis_summary(tmp_path / "missing.xml") is None


@pytest.fixture()
def flaky_server():
    """Every third request answers 500."""
    counter = {"n": 0}
    lock = threading.Lock()

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            with lock:
                counter["n"] += 1
                status = 500 if counter["n"] % 3 == 0 else 200
            self.send_response(status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def test_load_counts_every_error_and_measures_each_request(flaky_server):
    report = run_load("flaky", lambda i, s: s.get(flaky_server, timeout=5), count=30, concurrency=3, time_cap=30)
    assert report.sent == 30 and report.errors == 10
    assert len(report.latencies_ms) == 30 and report.percentile(50) <= report.percentile(95)
    assert "30 req, 10 err" in report.figures and report.error_samples[0].startswith("500")


def test_load_stops_at_the_time_cap(flaky_server):
    report = run_load("capped", lambda i, s: s.get(flaky_server, timeout=5), count=10_000, concurrency=2,
                      time_cap=0.3)
    assert report.capped and report.sent < 10_000


def test_summary_table_shows_every_row_with_not_run_reasons():
    table = format_table([Result("load: GET /health", "pass", "10 req, 0 err"),
                          Result("fault: x", "not run", "", "feature not on main")])
    assert "not run" in table and "feature not on main" in table and table.count("\n") == 3


# ---- --strict: a check that could not run fails CI -------------------------------------------

def _fake_harness(tmp_path, web_ports=(1, 2)):
    from types import SimpleNamespace
    stack = SimpleNamespace(config=SimpleNamespace(web_ports=list(web_ports)), run_dir=tmp_path)
    return SimpleNamespace(stack=stack, base="http://127.0.0.1:9", base_dir=tmp_path / "rel",
                           pg=SimpleNamespace(port=5), redis=SimpleNamespace(port=6),
                           sessions={"a_staff": object(), "b_staff": object()},
                           app=SimpleNamespace(extensions={"socketio": SimpleNamespace(
                               server=SimpleNamespace(handlers={"/": {"connect": print}}))}))


@pytest.fixture()
def fake_suite(monkeypatch, tmp_path):
    """The suite's main() around one passing and one 'not run' check, without the stack."""
    from reliability import suite
    monkeypatch.setattr(suite, "build", lambda: _fake_harness(tmp_path))
    monkeypatch.setattr(suite, "teardown", lambda harness: None)
    monkeypatch.setattr(suite, "ORDER", [
        ("load", lambda h: [Result("load: GET /health", "pass", "10 req, 0 err")]),
        ("worker kill", lambda h: [Result("fault: worker kill", "not run", "", "WhatsApp sending not on this build")]),
    ])
    return suite


def test_without_strict_a_not_run_row_is_reported_but_passes(fake_suite, capsys):
    assert fake_suite.main([]) == 0
    assert "1 passed, 0 failed, 1 skipped" in capsys.readouterr().out


def test_strict_turns_a_not_run_row_into_a_failure(fake_suite, capsys):
    assert fake_suite.main(["--strict"]) == 1
    out = capsys.readouterr().out
    assert "1 passed, 1 failed, 0 skipped" in out
    assert "not run (strict): WhatsApp sending not on this build" in out


def test_make_reliability_runs_the_suite_strict():
    from pathlib import Path
    makefile = (Path(__file__).resolve().parents[3] / "Makefile").read_text()
    recipe = makefile.split("\nreliability:", 1)[1].split("\n\n", 1)[0]
    assert "-m reliability --strict" in recipe


class _FakeSocket:
    def disconnect(self):
        pass


def test_scaleout_with_no_event_on_either_process_fails(monkeypatch, tmp_path):
    from reliability import checks
    triggered = []
    monkeypatch.setattr(checks, "_trigger_event", lambda h, web, n: ("customer created", lambda: triggered.append(n) or True))
    monkeypatch.setattr(checks, "_socket_client", lambda h, session, web: (_FakeSocket(), []))
    [row] = checks.check_scaleout(_fake_harness(tmp_path), rounds=2, wait=0.05)
    assert row.status == "FAIL" and row.figures.startswith("0/2 events on either process")
    assert triggered == [1, 2]  # every round really fired


def test_scaleout_counts_events_that_cross_processes(monkeypatch, tmp_path):
    from reliability import checks
    sockets = {0: [], 1: []}

    def trigger(n):
        sockets[0].append(("customer.created", {"n": n}))
        sockets[1].append(("customer.created", {"n": n}))
        return True
    monkeypatch.setattr(checks, "_trigger_event", lambda h, web, n: ("customer created", lambda: trigger(n)))
    clients = iter([(_FakeSocket(), sockets[0]), (_FakeSocket(), sockets[1]), (_FakeSocket(), [])])
    monkeypatch.setattr(checks, "_socket_client", lambda h, session, web: next(clients))
    [row] = checks.check_scaleout(_fake_harness(tmp_path), rounds=2, wait=0.05)
    assert row.status == "pass" and row.figures.startswith("2/2 delivered cross-process")


# ---- the webhook fuzz cases that carry a CallSid, against the app itself ---------------------

VOICE_WEBHOOKS = ["/webhook/incoming_call", "/webhook/handle_recording", "/webhook/call_status",
                  "/webhook/turn_result", "/webhook/transfer_status", "/webhook/transfer_message"]


def test_fuzz_includes_call_sid_cases():
    import random
    from reliability.checks import _fuzz_bodies
    labels = [label for label, _, _ in _fuzz_bodies(random.Random(1))]
    assert {"CallSid non-UTF-8 (escaped)", "CallSid 10 KB", "RecordingUrl file:// with CallSid"} <= set(labels)


@pytest.mark.parametrize("path", VOICE_WEBHOOKS)
def test_voice_webhooks_store_nothing_for_a_forged_call_sid(client, db, make_business, path, monkeypatch):
    from sqlalchemy import func, select

    from reliability.checks import call_sid_cases
    from server.models import CallLog, CallTurn, Customer

    make_business("מספרת אורית", voice_number="+97235550001")
    fetched = []
    monkeypatch.setattr("urllib3.connectionpool.HTTPConnectionPool.urlopen", lambda *a, **k: fetched.append(a) or 1 / 0)
    for label, body, ctype in call_sid_cases():
        response = client.post(path, data=body, content_type=ctype)
        assert response.status_code < 500, (label, response.status_code, response.data[:200])
    db.session.expire_all()
    assert [db.session.scalar(select(func.count()).select_from(m)) for m in (CallLog, CallTurn, Customer)] == [0, 0, 0]
    assert fetched == []


# ---- the suite signs its webhooks as the providers do (production refuses unsigned ones) ----

def test_the_suite_signs_webhooks_the_way_the_production_app_verifies_them(client, db, app, monkeypatch):
    import random
    from types import SimpleNamespace

    from reliability.checks import _fuzz_bodies
    from reliability.harness import Harness

    env = {"TWILIO_AUTH_TOKEN": "rel-twilio-token", "META_APP_SECRET": "rel-meta-secret"}
    monkeypatch.setitem(app.config, "APP_ENV", "production")
    for key, value in env.items():
        monkeypatch.setitem(app.config, key, value)
    suite = SimpleNamespace(env=env)
    sign = lambda *args, **kwargs: Harness.provider_headers(suite, *args, **kwargs)  # noqa: E731
    cases = [case for case in _fuzz_bodies(random.Random(3)) if len(case[1]) < 1024 * 1024]
    for path in ("/webhook/whatsapp/twilio", "/webhook/whatsapp/meta", "/webhook/call_status"):
        url = "http://localhost" + path
        for label, body, ctype in cases:
            signed = client.post(path, data=body, content_type=ctype, headers=sign(url, body, ctype))
            assert signed.status_code != 403, (path, label, signed.get_json())
            assert client.post(path, data=body, content_type=ctype).status_code == 403, (path, label)
    form = {"CallSid": "CA" + "1" * 32, "CallStatus": "completed"}
    assert client.post("/webhook/call_status", data=form,
                       headers=sign("http://localhost/webhook/call_status", form)).status_code == 200
    query = "http://localhost/webhook/call_status?CallSid=CA1&CallStatus=ringing"
    assert client.get(query, headers=sign(query, method="GET")).status_code == 200


def test_the_suite_signs_over_the_public_host_whichever_process_it_posts_to(client, app, monkeypatch):
    """The stack runs with HOST (nginx's address); a check that posts to one gunicorn
    directly must still carry the signature the app computes over HOST + path."""
    from types import SimpleNamespace

    from reliability.harness import Harness

    env = {"TWILIO_AUTH_TOKEN": "rel-twilio-token", "META_APP_SECRET": "rel-meta-secret",
           "HOST": "http://127.0.0.1:8099"}
    for key in ("TWILIO_AUTH_TOKEN", "HOST"):
        monkeypatch.setitem(app.config, key, env[key])
    form = {"CallSid": "CA" + "2" * 32, "CallStatus": "completed"}
    direct = "http://127.0.0.1:41234/webhook/call_status"  # a gunicorn port, not HOST
    headers = Harness.provider_headers(SimpleNamespace(env=env), direct, form)
    assert client.post("/webhook/call_status", data=form, headers=headers).status_code == 200
    without_host = Harness.provider_headers(SimpleNamespace(env={**env, "HOST": ""}), direct, form)
    assert client.post("/webhook/call_status", data=form, headers=without_host).status_code == 403
