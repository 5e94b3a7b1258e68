"""Audio Twilio fetches without a login: the shipped prompts and the agent's replies.

The app is created with static_folder=None, so these are explicit routes.
"""
from __future__ import annotations

from pathlib import Path

import click
from flask import Blueprint, abort, send_file, send_from_directory

from server.config import current
from server.providers.storage import is_valid_name, voice_dir

# `flask voice ...` commands live on this blueprint's CLI group.
media_bp = Blueprint("media", __name__, cli_group="voice")

VOICE_RESPONSES = Path(__file__).resolve().parent.parent / "static" / "voice_responses"


@media_bp.get("/static/voice_responses/<path:filename>")
def voice_response(filename: str):
    return send_from_directory(VOICE_RESPONSES, filename, max_age=3600)


@media_bp.get("/media/voice/<name>")
def voice_media(name: str):
    if not is_valid_name(name):
        abort(404)
    return send_from_directory(voice_dir(current()), name, max_age=3600)


@media_bp.get("/media/whatsapp/<token>")
def whatsapp_signed_media(token: str):
    """A file staff send, for the provider that fetches it (Twilio's MediaUrl): a signed link
    valid WHATSAPP_MEDIA_LINK_TTL_SECONDS, no login."""
    from server.services.whatsapp_media import open_signed
    path, content_type, name, _ = open_signed(token)
    response = send_file(path, mimetype=content_type, download_name=name, max_age=0)
    response.headers["Cache-Control"] = "no-store"
    return response


@media_bp.cli.command("make-welcome")
@click.option("--out", default=str(VOICE_RESPONSES / "welcome.mp3"), show_default=True)
@click.option("--text", default=None, help="Hebrew greeting; the default is the shipped one.")
def make_welcome_command(out: str, text: str | None):
    """Regenerate the greeting played before the first recording (espeak-ng by default)."""
    from server.services.voice.calls import make_welcome
    from server.services.voice.prompts import WELCOME_TEXT
    size = make_welcome(out, text or WELCOME_TEXT)
    click.echo(f"wrote {out} ({size} bytes)")


@media_bp.cli.command("cleanup-audio")
def cleanup_audio_command():
    """Delete agent audio older than VOICE_AUDIO_RETENTION_HOURS."""
    from server.services.voice.calls import cleanup_audio
    click.echo(f"removed {cleanup_audio()} files")
