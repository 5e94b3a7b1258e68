"""Jobs are queued by name (server/jobs.py): every name is a real task, a typo is an error."""
from __future__ import annotations

import pytest
from huey.api import TaskWrapper

from server import jobs


def test_every_job_name_is_a_huey_task():
    for name in jobs.JOBS:
        assert isinstance(jobs.task(name), TaskWrapper), name


def test_an_unknown_job_name_is_refused_before_anything_is_queued():
    with pytest.raises(KeyError):
        jobs.enqueue("voice.summarise_call", 1)
