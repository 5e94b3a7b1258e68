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
