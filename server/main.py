"""Dev entry point: `cd server && python main.py` (or `python -m server.main`) serves :5000.

It listens on 127.0.0.1 unless BIND says otherwise (BIND=0.0.0.0 serves other machines):
a development server, with its demo logins, is not for the network by default.
"""
from __future__ import annotations

import os
import sys

if __package__ in (None, ""):
    # Run as a script from server/: make the repo root importable so `server.*` resolves.
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from server.app_factory import create_app  # noqa: E402
from server.extensions import socketio  # noqa: E402


DEFAULT_BIND = "127.0.0.1"


def main() -> None:
    app = create_app()
    from server.db_migrate import upgrade_database
    with app.app_context():
        upgrade_database()
    port = int(os.environ.get("PORT", "5000"))
    host = os.environ.get("BIND") or DEFAULT_BIND
    socketio.run(app, host=host, port=port, debug=False, allow_unsafe_werkzeug=True)


if __name__ == "__main__":
    main()
