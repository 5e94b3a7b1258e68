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
