"""Dev entry point: `cd server && python main.py` (or `python -m server.main`) serves :5000."""
from __future__ import annotations

import os
import sys

if __package__ in (None, ""):
    # Run as a script from server/: make the repo root importable so `server.*` resolves.
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from server.app_factory import create_app  # noqa: E402
from server.extensions import socketio  # noqa: E402


def main() -> None:
    app = create_app()
    from server.db_migrate import upgrade_database
    with app.app_context():
        upgrade_database()
    port = int(os.environ.get("PORT", "5000"))
    host = os.environ.get("BIND", "0.0.0.0")
    socketio.run(app, host=host, port=port, debug=False, allow_unsafe_werkzeug=True)


if __name__ == "__main__":
    main()
