"""The job worker: `python -m server.worker` runs huey's consumer with every task loaded."""
from __future__ import annotations

import logging
import os

from huey.consumer import Consumer


def main() -> None:
    from server.tasks import _app, huey, load_task_modules

    app = _app()  # logging, config and database ready before the first job
    load_task_modules()
    config = app.config.typed
    if not config.app.redis_url and config.app.realtime_relay_url:
        from server.services.realtime import relay_through
        relay_through(config.app.realtime_relay_url, config.app.secret_key)
    workers = int(os.environ.get("WORKER_THREADS", "4"))
    logging.getLogger(__name__).info("job worker starting: %s storage, %d threads",
                                     type(huey.storage).__name__, workers)
    Consumer(huey, workers=workers, worker_type="thread", periodic=True,
             check_worker_health=True, scheduler_interval=1).run()


if __name__ == "__main__":
    main()
