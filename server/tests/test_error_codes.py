"""Every error carries a stable code beside its English text; the SPA's table covers every code.

The codes live in server/error_codes.py. src/lib/error-codes.json is their list for the SPA,
whose test (src/lib/strings.test.ts) fails when a code has no Hebrew string; this file holds
the JSON to the enum, and checks that answers carry the codes.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

from server.error_codes import ErrorCode, all_codes

ROOT = Path(__file__).resolve().parents[2]
CODES_JSON = ROOT / "src" / "lib" / "error-codes.json"


def test_the_spa_code_list_matches_the_server_codes():
    assert json.loads(CODES_JSON.read_text(encoding="utf-8")) == all_codes(), (
        "regenerate it: python -m server.error_codes > src/lib/error-codes.json")


def test_codes_are_unique_snake_case():
    codes = all_codes()
    assert len(codes) == len(set(codes))
    assert all(re.fullmatch(r"[a-z][a-z0-9]*(_[a-z0-9]+)*", code) for code in codes), codes


def test_the_openapi_document_lists_the_codes(client):
    doc = client.get("/api/openapi.json").get_json()
    assert doc["components"]["schemas"]["ErrorCode"]["enum"] == all_codes()
    assert doc["components"]["schemas"]["Error"]["required"] == ["error", "code"]


def test_a_missing_customer_is_404_customer_not_found(client, login_as):
    login_as("staff")
    r = client.get("/api/crm/customers/999999")
    assert (r.status_code, r.get_json()) == (404, {"error": "customer not found", "code": "customer_not_found"})


def test_a_taken_phone_is_409_phone_exists(client, login_as):
    login_as("staff")
    assert client.post("/api/crm/customers", json={"name": "דנה", "phone": "050-123-4567"}).status_code == 201
    r = client.post("/api/crm/customers", json={"name": "רון", "phone": "+972501234567"})
    assert (r.status_code, r.get_json()) == (409, {"error": "phone exists", "code": "phone_exists"})


def test_field_errors_carry_codes_with_parameters(client, login_as):
    login_as("staff")
    r = client.post("/api/crm/customers", json={"name": "א" * 500, "phone": "12", "email": "nope"})
    assert r.status_code == 422
    body = r.get_json()
    assert body["error"] == "validation" and body["code"] == "validation"
    assert body["fields"] == {"name": "at most 160 characters", "phone": "invalid phone number", "email": "invalid email"}
    assert body["field_codes"] == {
        "name": {"code": "too_long", "params": {"max": 160}},
        "phone": {"code": "invalid_phone", "params": {}},
        "email": {"code": "invalid_email", "params": {}},
    }


def test_pydantic_errors_map_to_codes_with_parameters(client, login_as):
    login_as("admin", platform=False)
    r = client.post("/api/whatsapp/templates", json={"name": "x" * 200, "body": ""})
    assert r.status_code == 422
    codes = r.get_json()["field_codes"]
    assert codes["name"] == {"code": "too_long", "params": {"max": 128}}
    assert codes["body"] == {"code": "too_short", "params": {"min": 1}}
    r = client.get("/api/whatsapp/messages?page=0&limit=x")
    assert r.get_json()["field_codes"] == {"page": {"code": "min_value", "params": {"min": 1}},
                                           "limit": {"code": "not_integer", "params": {}}}


def test_a_validator_s_own_code_survives_pydantic(client, login_as):
    login_as("staff")
    r = client.post("/api/whatsapp/send", json={"to": "12", "text": "שלום"})
    assert r.status_code == 422
    assert r.get_json()["fields"] == {"to": "invalid phone number"}
    assert r.get_json()["field_codes"] == {"to": {"code": "invalid_phone", "params": {}}}


def test_settings_errors_carry_codes(client, login_as):
    login_as("admin", platform=False)
    r = client.put("/api/agent/settings", json={"turn_limit": 99, "hours": {"sun": "all day"}})
    assert r.status_code == 422
    assert r.get_json()["field_codes"] == {
        "settings.turn_limit": {"code": "whole_number_range", "params": {"min": 1, "max": 50}},
        "settings.hours.sun": {"code": "hours_span", "params": {}},
    }


def test_logged_out_is_401_unauthorized(client):
    r = client.get("/api/crm/customers")
    assert (r.status_code, r.get_json()) == (401, {"error": "unauthorized", "code": "unauthorized"})


def test_a_missing_csrf_token_is_403_csrf(client, login_as):
    login_as("staff")
    client.environ_base.pop("HTTP_X_CSRF_TOKEN")
    r = client.post("/api/crm/customers", json={"name": "דנה"})
    assert (r.status_code, r.get_json()) == (403, {"error": "csrf", "code": "csrf"})


def test_a_viewer_is_403_forbidden(client, login_as):
    login_as("viewer")
    r = client.post("/api/crm/customers", json={"name": "דנה"})
    assert (r.status_code, r.get_json()) == (403, {"error": "forbidden", "code": "forbidden"})


def test_http_errors_carry_the_code_of_their_status(client):
    assert client.get("/api/no-such-thing").get_json() == {"error": "not found", "code": "not_found"}
    assert client.get("/api/auth/login").get_json() == {"error": "method not allowed", "code": "method_not_allowed"}
    r = client.post("/api/auth/login", data="{", content_type="application/json")
    assert (r.status_code, r.get_json()["code"]) == (400, "invalid_json")


def test_every_code_is_an_error_code_member():
    # ErrorCode(...) of a code built from a key (f"{key}_exists") refuses one that is not listed.
    for key in ("voice_number", "whatsapp_number"):
        assert ErrorCode(f"{key}_exists") and ErrorCode(f"{key}_admin_only")
    for label in ("task", "contract"):
        assert ErrorCode(f"{label}_not_found")


# Field errors allowed as bare text (they would reach clients as `invalid`): none.
BARE_FIELD_ERRORS_ALLOWED: set[str] = set()


def test_field_errors_are_given_with_their_codes():
    bare = re.compile(r"""(errors|fields)\[[^\]\n]+\] = f?["']|ValidationFailed\(\{[^}:\n]+: f?["']""")
    found = []
    for path in sorted((ROOT / "server").rglob("*.py")):
        relative = path.relative_to(ROOT).as_posix()
        if relative.startswith("server/tests/") or relative in BARE_FIELD_ERRORS_ALLOWED:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if bare.search(line):
                found.append(f"{relative}:{number}: {line.strip()}")
    assert found == [], "give these a FieldError(ErrorCode..., text)"
