"""The SPA's API types (src/types/api.generated.ts) are generated from the OpenAPI document:
a route whose request or response model changed without `npm run gen:api` fails here."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from server.openapi_dump import dumps

ROOT = Path(__file__).resolve().parents[2]
GENERATED = ROOT / "src" / "types" / "api.generated.ts"


def test_committed_api_types_are_generated_from_the_openapi_document(client, tmp_path):
    node = shutil.which("node")
    if node is None or not (ROOT / "node_modules" / ".bin" / "openapi-typescript").exists():
        pytest.skip("node_modules not installed (make test installs it first)")
    doc = tmp_path / "openapi.json"
    doc.write_text(dumps(client.get("/api/openapi.json").get_json()), encoding="utf-8")
    fresh = tmp_path / "api.generated.ts"
    subprocess.run([node, str(ROOT / "scripts" / "gen-api-types.mjs"), "--from", str(doc), "--out", str(fresh)],
                   cwd=ROOT, check=True, timeout=120)
    assert fresh.read_text(encoding="utf-8") == GENERATED.read_text(encoding="utf-8"), \
        "src/types/api.generated.ts is stale: run `npm run gen:api` and commit it"
