"""`python -m server.openapi_dump [FILE]`: the OpenAPI document GET /api/openapi.json serves,
written to FILE (or stdout) without a server, a database or any settings.

`npm run gen:api` turns it into src/types/api.generated.ts, and
server/tests/test_generated_types.py fails when the committed file is not what it gives.
"""
from __future__ import annotations

import json
import os
import sys
import tempfile


def openapi_document() -> dict:
    with tempfile.TemporaryDirectory(prefix="kesher-openapi-") as tmp:
        # Set before server.extensions is first imported: the job queue opens its file then.
        os.environ.setdefault("HUEY_SQLITE_PATH", os.path.join(tmp, "huey.db"))
        from server.app_factory import create_app
        from server.validation import build_openapi

        app = create_app({"TESTING": True, "APP_ENV": "testing", "SECRET_KEY": "openapi-dump",
                          "SQLALCHEMY_DATABASE_URI": "sqlite://", "REDIS_URL": None, "HOST": "",
                          "LOG_DIR": os.path.join(tmp, "logs"), "MEDIA_DIR": os.path.join(tmp, "media"),
                          "EXPORT_DIR": os.path.join(tmp, "exports")})
        with app.app_context():
            return build_openapi(app)


def dumps(document: dict) -> str:
    return json.dumps(document, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def main(argv: list[str]) -> int:
    text = dumps(openapi_document())
    if argv:
        with open(argv[0], "w", encoding="utf-8") as out:
            out.write(text)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
