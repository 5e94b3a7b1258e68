"""Serves the built React SPA from dist/: hashed assets cached long, index.html never.

Client-side routes fall back to index.html; /api/* and /webhook/* never do (their 404s
stay JSON, see error_handlers.py).
"""
from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, send_from_directory
from werkzeug.routing import PathConverter

from server.config import REPO_ROOT, current

frontend_bp = Blueprint("frontend", __name__)


class SpaPathConverter(PathConverter):
    """A path that is not under /api or /webhook, so those keep real 404s and 405s."""

    regex = r"(?!api(?:/|$)|webhook(?:/|$))[^/].*?"


@frontend_bp.record_once
def _register_converter(state):
    state.app.url_map.converters["spa_path"] = SpaPathConverter

ONE_YEAR = 365 * 24 * 3600
# No inline style or script: the page's CSP (security_headers.py) refuses both.
_NOT_BUILT = """<!doctype html><html lang="he" dir="rtl"><meta charset="utf-8"><title>קשר</title>
<body><h1>קשר</h1>
<p>ממשק המשתמש עוד לא נבנה. הריצו <code>make run</code> (או <code>npm ci &amp;&amp; npm run build</code>).</p>
<p>The web app is not built yet: run <code>make run</code>.</p></body></html>"""


def _dist_dir() -> Path:
    return Path(current().app.frontend_dist or REPO_ROOT / "dist")


def _index():
    dist = _dist_dir()
    if not (dist / "index.html").is_file():
        return _NOT_BUILT, 200, {"Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store"}
    response = send_from_directory(dist, "index.html", max_age=0)
    response.headers["Cache-Control"] = "no-cache, no-store, must-revalidate"
    return response


@frontend_bp.get("/")
def index():
    return _index()


@frontend_bp.get("/<spa_path:path>")
def spa(path: str):
    dist = _dist_dir()
    candidate = (dist / path).resolve()
    if dist.resolve() in candidate.parents and candidate.is_file():
        hashed = path.startswith("assets/")
        response = send_from_directory(dist, path, max_age=ONE_YEAR if hashed else 3600)
        if hashed:
            response.headers["Cache-Control"] = f"public, max-age={ONE_YEAR}, immutable"
        return response
    if "." in path.rsplit("/", 1)[-1]:
        abort(404)  # a missing file is a 404, not the SPA shell
    return _index()
