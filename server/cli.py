"""Flask CLI commands: `flask create-user`, `flask seed-demo`."""
from __future__ import annotations

import click
from flask import Flask, current_app

from server.cli_ops import register_ops_cli
from server.errors import AppError


def register_cli(app: Flask) -> None:
    register_ops_cli(app)  # doctor, backup, restore

    @app.cli.command("create-user")
    @click.option("--email", required=True)
    @click.option("--password", required=True, prompt=True, hide_input=True, confirmation_prompt=False)
    @click.option("--role", required=True, type=click.Choice(["admin", "staff", "viewer"]))
    @click.option("--business", "business_id", type=int, default=None,
                  help="Business id; omit for a platform admin.")
    @click.option("--name", default=None)
    def create_user_command(email, password, role, business_id, name):
        """Create a user (a platform admin when --business is omitted)."""
        from server.services.users import create_user
        try:
            user = create_user(email, password, role, business_id, name=name)
        except AppError as exc:
            raise click.ClickException(f"{exc.message} {exc.fields or ''}".strip())
        click.echo(f"created user {user.id} {user.email} ({user.role})")

    @app.cli.command("seed-demo")
    def seed_demo_command():
        """Seed the demo business and logins, only into an empty database."""
        from server.services.demo import DEMO_LOGINS, DEMO_PASSWORD, seed_demo
        try:
            result = seed_demo(current_app.config["APP_ENV"])
        except AppError as exc:
            raise click.ClickException(exc.message)
        if result["created"]:
            click.echo("seeded the demo business")
        else:
            click.echo("database not empty: demo seed skipped")
        click.echo("demo logins (password %s): %s" % (DEMO_PASSWORD, ", ".join(e for e, _, _ in DEMO_LOGINS)))
