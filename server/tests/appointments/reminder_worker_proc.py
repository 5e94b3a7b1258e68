"""Test-only entry point: the real job worker (`server.worker`), optionally one that dies inside
a reminder job.

With KESHER_TEST_HANG_REMINDER=<path>, a reminder job stops for good between its claim and its
commit (the WhatsApp message is flushed, not committed): it writes <path> and sleeps until the
test SIGKILLs the process.
"""
from __future__ import annotations

import os
import time
from pathlib import Path


def _hang_in_reminders(marker: str) -> None:
    from server.services import audit, whatsapp

    class HangingAudit:
        def __getattr__(self, name):
            return getattr(audit, name)

        @staticmethod
        def record(action, entity_type, *args, **kwargs):
            if entity_type == "whatsapp_message":
                Path(marker).write_text("claimed, not committed")
                while True:
                    time.sleep(1)
            return audit.record(action, entity_type, *args, **kwargs)

    whatsapp.audit = HangingAudit()


def main() -> None:
    marker = os.environ.get("KESHER_TEST_HANG_REMINDER")
    if marker:
        _hang_in_reminders(marker)
    from server.worker import main as run_worker
    run_worker()


if __name__ == "__main__":
    main()
