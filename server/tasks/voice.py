"""Voice jobs: the guard that answers a turn whose runner died, a message's transcript,
the call summary, and the hourly cleanup of reply audio past VOICE_AUDIO_RETENTION_HOURS."""
from __future__ import annotations

import logging

from huey import crontab

from server.tasks import huey, in_app_context

log = logging.getLogger(__name__)
GUARD_ATTEMPTS = 5


@huey.task()
@in_app_context
def guard_turn(turn_id: int, base_url: str, attempt: int = 1) -> bool:
    from server.extensions import db
    from server.models import CallTurn
    from server.services.voice.runner import stale_seconds
    from server.services.voice.turns import process_turn

    if process_turn(turn_id, base_url):
        log.warning("turn %s: answered by the guard job (its runner had died)", turn_id)
        return True
    turn = db.session.get(CallTurn, turn_id)
    if turn is not None and turn.status == "working" and attempt < GUARD_ATTEMPTS:
        guard_turn.schedule((turn_id, base_url, attempt + 1), delay=stale_seconds())
    return False


@huey.task()
@in_app_context
def transcribe_message(turn_id: int, task_id: int):
    from server.services.voice.turns import transcribe_message as run
    return run(turn_id, task_id)


@huey.task()
@in_app_context
def summarize_call_task(call_id: int):
    from server.services.voice.summary import summarize_call
    return summarize_call(call_id)


@huey.periodic_task(crontab(minute="41"))
@in_app_context
def cleanup_audio_task() -> int:
    """Hourly: delete the agent's reply audio (calls and /api/agent/try alike, both under
    MEDIA_DIR/voice) older than VOICE_AUDIO_RETENTION_HOURS."""
    from server.services.voice.calls import cleanup_audio
    return cleanup_audio()
