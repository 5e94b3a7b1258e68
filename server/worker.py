"""The job worker: `python -m server.worker` runs huey's consumer with every task loaded."""
from __future__ import annotations

import logging
import os

from huey.consumer import Consumer


def main() -> None:
    from server.tasks import _app, huey, load_task_modules

    app = _app()  # logging, config and database ready before the first job
    load_task_modules()
    if not app.config["REDIS_URL"] and app.config.get("REALTIME_RELAY_URL"):
        from server.services.realtime import relay_through
        relay_through(app.config["REALTIME_RELAY_URL"], app.config["SECRET_KEY"])
    workers = int(os.environ.get("WORKER_THREADS", "4"))
    logging.getLogger(__name__).info("job worker starting: %s storage, %d threads",
                                     type(huey.storage).__name__, workers)
    Consumer(huey, workers=workers, worker_type="thread", periodic=True,
             check_worker_health=True, scheduler_interval=1).run()


if __name__ == "__main__":
    main()
