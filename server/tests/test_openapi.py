def test_openapi_document_describes_the_api(client):
    r = client.get("/api/openapi.json")
    assert r.status_code == 200
    doc = r.get_json()
    assert doc["openapi"].startswith("3.")
    login = doc["paths"]["/api/auth/login"]["post"]
    schema_ref = login["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    name = schema_ref.rsplit("/", 1)[-1]
    assert set(doc["components"]["schemas"][name]["required"]) == {"email", "password"}
    assert "/health" in doc["paths"]
    assert not any(p.startswith("/<") or "{path}" in p for p in doc["paths"])


# POST operations under /api that take no JSON body: an action on the id in the path, or
# (import) a CSV file. Every other POST/PUT/PATCH must document its JSON body.
NO_JSON_BODY = {
    ("post", "/api/auth/logout"),
    ("post", "/api/businesses/{bid}/deactivate"),
    ("post", "/api/businesses/{bid}/reactivate"),
    ("post", "/api/users/{uid}/deactivate"),
    ("post", "/api/users/{uid}/reactivate"),
    ("post", "/api/crm/customers/{customer_id}/export"),
    ("post", "/api/crm/customers/import"),  # multipart `file` or text/csv
    ("post", "/api/knowledge/documents"),  # multipart `file`
    ("post", "/api/whatsapp/send-media"),  # multipart `file`, `to`, `caption`
    ("post", "/api/appointments/{aid}/cancel"),
}


def _resolve(doc, schema):
    if "$ref" in schema:
        return doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def test_every_api_write_documents_its_json_body_and_every_operation_its_responses(client):
    doc = client.get("/api/openapi.json").get_json()
    missing, unexpected, no_responses = [], [], []
    api_ops = [(method, path, op) for path, ops in doc["paths"].items() if path.startswith("/api/")
               for method, op in ops.items()]
    for method, path, op in api_ops:
        codes = set(op.get("responses") or {})
        if not any(code.startswith("2") for code in codes) or "default" not in codes:
            no_responses.append(f"{method.upper()} {path}")
        if method not in ("post", "put", "patch"):
            continue
        body = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
        if (method, path) in NO_JSON_BODY:
            if body is not None:
                unexpected.append(f"{method.upper()} {path}")
        elif body is None or not _resolve(doc, body).get("properties"):
            missing.append(f"{method.upper()} {path}")
    assert len(api_ops) > 60
    assert missing == [], "writes without a requestBody schema"
    assert unexpected == [], "listed as bodiless but documents a body: update NO_JSON_BODY"
    assert no_responses == []


def test_every_api_operation_declares_what_it_answers(client):
    """A 2xx answer with a schema: JSON described by a response model, or a file by its media type."""
    doc = client.get("/api/openapi.json").get_json()
    undeclared = []
    for path, ops in doc["paths"].items():
        if not path.startswith("/api/"):
            continue
        for method, op in ops.items():
            ok = [answer for code, answer in op["responses"].items() if code.startswith("2")]
            content = ok[0].get("content", {}) if ok else {}
            if not content or not all(media.get("schema") for media in content.values()):
                undeclared.append(f"{method.upper()} {path}")
    assert undeclared == []


def test_files_and_lists_are_documented_as_what_they_are(client):
    doc = client.get("/api/openapi.json").get_json()

    def content(path, method="get", status="200"):
        return doc["paths"][path][method]["responses"][status]["content"]

    assert set(content("/api/calls/{call_id}/recording")) == {"audio/mpeg", "audio/wav"}
    assert set(content("/api/crm/customers/export")) == {"text/csv"}
    assert set(content("/api/crm/exports/{export_id}/download")) == {"application/zip"}
    users = content("/api/users")["application/json"]["schema"]
    assert users["type"] == "array" and users["items"]["$ref"].endswith("/User")
    message = doc["components"]["schemas"]["WhatsAppMessage"]
    assert "from" in message["required"] and "from_" not in message["properties"]
    assert "customer_name" not in message["required"]  # only the messages list sends it
    timeline = content("/api/customers/{cid}/timeline")["application/json"]["schema"]
    assert timeline["items"]["discriminator"]["propertyName"] == "type"


def test_a_route_answering_an_undeclared_field_fails_under_test(app):
    """Under test every JSON answer is checked against its declared model (server/validation.py)."""
    import pytest
    from server.schemas.users import User
    from server.validation import check_response

    user = {"id": 1, "email": "a@example.com", "name": None, "role": "staff", "business_id": 2,
            "active": True, "last_login_at": None, "created_at": "2026-01-01T00:00:00+00:00"}
    check_response(User, user)
    with pytest.raises(AssertionError, match="does not declare"):
        check_response(User, {**user, "password_hash": "x"})
    with pytest.raises(AssertionError, match="does not match"):
        check_response(User, {k: v for k, v in user.items() if k != "active"})


def test_agent_settings_and_try_document_their_bodies(client):
    doc = client.get("/api/openapi.json").get_json()
    settings = _resolve(doc, doc["paths"]["/api/agent/settings"]["put"]["requestBody"]["content"]
                        ["application/json"]["schema"])
    assert {"greeting", "hours", "turn_limit", "recording_notice", "transfer_number"} <= set(settings["properties"])
    assert settings["properties"]["turn_limit"]["maximum"] == 50
    assert settings["additionalProperties"] is False
    tried = _resolve(doc, doc["paths"]["/api/agent/try"]["post"]["requestBody"]["content"]
                     ["application/json"]["schema"])
    assert set(tried["properties"]) == {"text", "from"}


def test_query_parameters_are_documented(client):
    doc = client.get("/api/openapi.json").get_json()

    def params(path, method="get"):
        return {p["name"]: p["schema"] for p in doc["paths"][path][method].get("parameters", []) if p["in"] == "query"}

    listing = params("/api/crm/customers")
    assert set(listing) == {"page", "limit", "q", "business_id"}
    assert listing["limit"]["maximum"] == 100 and listing["page"]["type"] == "integer"
    assert set(params("/api/crm/customers/export")) == {"q", "business_id"}
    assert params("/api/crm/customers/import", "post")["on_duplicate"]["enum"] == ["reject", "skip"]
    assert "business_id" in params("/api/customers/{cid}/tasks", "post")
    assert "token" in params("/api/crm/exports/{export_id}/download")
    assert "business_id" in params("/api/calls/{call_id}/recording")


def test_api_routes_read_no_json_or_query_string_by_hand():
    """Parsing happens at the edge (server/validation.py), where the OpenAPI document comes
    from: a route module that reads request.args or the JSON body itself escapes both."""
    import re
    from pathlib import Path

    routes = Path(__file__).resolve().parents[1] / "routes"
    webhook_modules = {"twilio.py", "whatsapp_webhooks.py", "media_stream.py"}  # /webhook: Twilio/Meta forms
    # The login rate limit keys on the email before the view (and its validation) runs.
    allowed = {("auth.py", "request.get_json(silent=True) or {}")}
    pattern = re.compile(r"request\.(args\.get|get_json|json\b|args\[)[^\n]*")
    found = []
    for module in sorted(routes.glob("*.py")):
        if module.name in webhook_modules:
            continue
        for match in pattern.finditer(module.read_text(encoding="utf-8")):
            if not any(module.name == name and snippet in match.group(0) for name, snippet in allowed):
                found.append(f"{module.name}: {match.group(0).strip()}")
    assert found == []
