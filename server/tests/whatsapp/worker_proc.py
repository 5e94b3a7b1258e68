"""Test-only entry point: the real job worker (`server.worker`) on the queue a test chose.

With KESHER_TEST_HUEY_REDIS_URL set, huey's Redis storage under a queue name unique to
the test (the shared Redis must not mix with other suites); otherwise the SQLite
storage at HUEY_SQLITE_PATH, exactly as `python -m server.worker` would use it.
"""
from __future__ import annotations

import os


def main() -> None:
    url = os.environ.get("KESHER_TEST_HUEY_REDIS_URL")
    if url:
        from huey.storage import RedisStorage

        from server.extensions import huey
        huey.name = os.environ["KESHER_TEST_HUEY_NAME"]
        huey.storage = RedisStorage(name=huey.name, url=url)
    from server.worker import main as run_worker
    run_worker()


if __name__ == "__main__":
    main()
