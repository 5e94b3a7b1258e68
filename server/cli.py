"""Flask CLI commands: `flask create-user`, `flask seed-demo`."""
from __future__ import annotations

import click
from flask import Flask

from server.cli_ops import register_ops_cli
from server.config import current
from server.errors import AppError


def register_cli(app: Flask) -> None:
    register_ops_cli(app)  # doctor, backup, restore
    register_agent_cli(app)  # agent say, agent listen

    @app.cli.command("create-user")
    @click.option("--email", required=True)
    @click.option("--password", required=True, prompt=True, hide_input=True, confirmation_prompt=False)
    @click.option("--role", required=True, type=click.Choice(["admin", "staff", "viewer"]))
    @click.option("--business", "business_id", type=int, default=None,
                  help="Business id; omit for a platform admin.")
    @click.option("--name", default=None)
    def create_user_command(email, password, role, business_id, name):
        """Create a user (a platform admin when --business is omitted)."""
        from server.schemas.users import NewUser
        from server.services.users import create_user
        from server.validation import parse_model
        try:
            new = parse_model(NewUser, {"email": email, "password": password, "role": role, "name": name})
            user = create_user(new, business_id)
        except AppError as exc:
            raise click.ClickException(f"{exc.message} {exc.fields or ''}".strip())
        click.echo(f"created user {user.id} {user.email} ({user.role})")

    @app.cli.command("seed-demo")
    def seed_demo_command():
        """Seed the demo business and logins, only into an empty database."""
        from server.services.demo import DEMO_LOGINS, DEMO_PASSWORD, seed_demo
        try:
            result = seed_demo(current().app.env)
        except AppError as exc:
            raise click.ClickException(exc.message)
        if result["created"]:
            click.echo("seeded the demo business")
        else:
            click.echo("database not empty: demo seed skipped")
        click.echo("demo logins (password %s): %s" % (DEMO_PASSWORD, ", ".join(e for e, _, _ in DEMO_LOGINS)))


def _agent_business(business_id: int | None) -> int:
    from sqlalchemy import select

    from server.extensions import db
    from server.models import Business
    if business_id is not None:
        if db.session.get(Business, business_id) is None:
            raise click.ClickException(f"no business {business_id}")
        return business_id
    ids = db.session.scalars(select(Business.id).where(Business.deleted_at.is_(None)).limit(2)).all()
    if len(ids) != 1:
        raise click.ClickException("choose the business with --business ID" if ids else "no business yet")
    return ids[0]


def _print_turn(result: dict) -> None:
    from pathlib import Path

    from server.providers.storage import voice_dir
    if result.get("transcript"):
        click.echo(f"transcript: {result['transcript']}")
    click.echo(f"reply:      {result.get('reply')}")
    if result.get("audio_url"):
        name = result["audio_url"].rsplit("/", 1)[-1]
        click.echo(f"audio:      {Path(voice_dir(current())) / name}  ({result['audio_url']})")
    providers = result.get("providers") or {}
    click.echo("providers:  " + ", ".join(f"{k}={v}" for k, v in providers.items() if v))
    click.echo("times:      " + ", ".join(f"{k}={v} ms" for k, v in (result.get("latencies") or {}).items()))
    for fallback in result.get("fallbacks") or []:
        click.echo(f"fallback:   {fallback['stage']}: {fallback['reason']}")
    for action in result.get("actions") or []:
        click.echo(f"would do:   {action.get('type')} (nothing is written by a try)")


def register_agent_cli(app: Flask) -> None:
    agent = click.Group("agent", help="Try the phone agent without a phone: one turn, the call's pipeline.")
    app.cli.add_command(agent)

    def run(text=None, audio=None, filename="recording.wav", phone=None, business_id=None):
        from server.services.agent_try import try_turn
        base_url = current().app.host or "http://localhost:5000"
        try:
            result = try_turn(_agent_business(business_id), base_url, text=text, audio=audio, filename=filename,
                              from_phone=phone)
        except AppError as exc:
            raise click.ClickException(f"{exc.message} {exc.fields or ''}".strip())
        _print_turn(result)

    @agent.command("say")
    @click.argument("text")
    @click.option("--from", "phone", default=None, help="The caller's phone (finds the customer).")
    @click.option("--business", "business_id", type=int, default=None)
    def say_command(text, phone, business_id):
        """The caller's words as text: reply, audio file and stage times."""
        run(text=text, phone=phone, business_id=business_id)

    @agent.command("listen")
    @click.argument("audio", type=click.Path(exists=True, dir_okay=False))
    @click.option("--from", "phone", default=None)
    @click.option("--business", "business_id", type=int, default=None)
    def listen_command(audio, phone, business_id):
        """A recording (wav/mp3): transcript, reply, audio file and stage times."""
        from pathlib import Path
        path = Path(audio)
        run(audio=path.read_bytes(), filename=path.name, phone=phone, business_id=business_id)
