"""Audio served to Twilio: the shipped welcome prompt, stored replies, retention."""
from __future__ import annotations

import os
import shutil
import subprocess
import time

import pytest

from server.providers import storage


def _decodes_as_audio(data: bytes) -> float:
    """Duration in seconds as ffmpeg decodes it (raises if it is not audio)."""
    result = subprocess.run(["ffmpeg", "-hide_banner", "-i", "pipe:0", "-f", "s16le", "-ac", "1", "-ar", "8000",
                             "pipe:1"], input=data, capture_output=True, check=True)
    return len(result.stdout) / 2 / 8000


def test_welcome_prompt_is_served_as_real_hebrew_audio(client):
    response = client.get("/static/voice_responses/welcome.mp3")
    assert response.status_code == 200 and response.mimetype == "audio/mpeg"
    if shutil.which("ffmpeg"):
        assert 3 < _decodes_as_audio(response.data) < 20


def test_static_voice_responses_do_not_leak_other_files(client):
    assert client.get("/static/voice_responses/../../config.py").status_code == 404
    assert client.get("/static/voice_responses/missing.mp3").status_code == 404


def test_stored_audio_is_served_by_its_random_name_only(client, app, voice_config):
    stored = storage.save_audio(app.config, b"ID3fake-mp3", "mp3", "https://voice.test")
    assert stored.url == f"https://voice.test/media/voice/{stored.name}" and len(stored.name) == 36
    response = client.get(f"/media/voice/{stored.name}")
    assert response.status_code == 200 and response.data == b"ID3fake-mp3" and response.mimetype == "audio/mpeg"
    assert client.get("/media/voice/welcome.mp3").status_code == 404
    assert client.get("/media/voice/..%2F..%2Fkesher.db").status_code == 404


def test_cleanup_removes_only_audio_past_retention(app, voice_config):
    old = storage.save_audio(app.config, b"old", "wav", "https://voice.test")
    new = storage.save_audio(app.config, b"new", "wav", "https://voice.test")
    two_days_ago = time.time() - 48 * 3600
    os.utime(old.path, (two_days_ago, two_days_ago))
    assert storage.cleanup(app.config, retention_hours=24) == 1
    assert not old.path.exists() and new.path.exists()


def test_cli_regenerates_the_welcome_file(app, tmp_path):
    if not (shutil.which("espeak-ng") and shutil.which("ffmpeg")) and not os.environ.get("CI"):
        pytest.skip("espeak-ng and ffmpeg are installed by `make sysdeps` (root)")
    out = tmp_path / "welcome.mp3"
    result = app.test_cli_runner().invoke(args=["voice", "make-welcome", "--out", str(out), "--text", "שלום וברוכים הבאים"])
    assert result.exit_code == 0, result.output
    assert out.stat().st_size > 1000 and _decodes_as_audio(out.read_bytes()) > 0.5
