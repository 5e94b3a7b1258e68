"""Operator commands: `flask doctor`, `flask backup`, `flask restore`."""
from __future__ import annotations

import json
from pathlib import Path

import click
from flask import Flask, current_app

from server.config import current
from server.errors import AppError


def register_ops_cli(app: Flask) -> None:
    @app.cli.command("doctor")
    @click.option("--json", "as_json", is_flag=True, help="Print the checks as JSON.")
    def doctor_command(as_json):
        """List every provider and setting, whether it is configured and which offline
        fallback is active. Secrets are shown as set / not set, never their values.
        Exits 1 when a check is an error."""
        from server.extensions import db
        from server.services.doctor import ERROR, format_table, run_checks

        checks = run_checks(current(), db)
        if as_json:
            click.echo(json.dumps([c.as_dict() for c in checks], ensure_ascii=False, indent=2))
        else:
            click.echo(format_table(checks))
        errors = [c for c in checks if c.status == ERROR]
        if errors:
            if not as_json:
                click.echo(f"\n{len(errors)} error(s): " + "; ".join(f"{c.item}: {c.detail}" for c in errors))
            raise SystemExit(1)

    @app.cli.command("backup")
    @click.argument("path", required=False, type=click.Path(dir_okay=False, path_type=Path))
    def backup_command(path):
        """Back up the database to PATH (default instance/backups/kesher-<UTC time>.dump|.sqlite3):
        pg_dump's custom format for PostgreSQL, the online backup API for SQLite."""
        from server.services.backup import backup_database, default_backup_path

        url = current().app.database_url
        target = path or default_backup_path(url, str(Path(current_app.instance_path) / "backups"))
        try:
            written = backup_database(url, target)
        except AppError as exc:
            raise click.ClickException(exc.message)
        click.echo(f"backup written: {written} ({written.stat().st_size} bytes)")

    @app.cli.command("restore")
    @click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
    @click.option("--yes", is_flag=True, help="Confirm: the current database is replaced.")
    @click.option("--no-safety-backup", is_flag=True, help="Skip backing up the current database first.")
    def restore_command(path, yes, no_safety_backup):
        """Replace the database with the backup at PATH, then migrate it to this code's heads.
        Stop the web processes and the worker first."""
        from server.db_migrate import upgrade_database
        from server.extensions import db
        from server.services.backup import backup_database, default_backup_path, restore_database, verify_backup

        url = current().app.database_url
        try:
            kind = verify_backup(path)
            if not yes:
                raise click.ClickException(f"{path} is a valid {kind} backup; restoring replaces the whole "
                                           "database: run again with --yes")
            db.session.remove()
            db.engine.dispose()  # our own pooled connections would block the schema swap
            if not no_safety_backup:
                safety = backup_database(url, default_backup_path(
                    url, str(Path(current_app.instance_path) / "backups"), label="pre-restore"))
                click.echo(f"current database saved first: {safety}")
            restore_database(url, path)
        except AppError as exc:
            raise click.ClickException(exc.message)
        db.engine.dispose()
        upgrade_database()
        click.echo(f"restored {path} and migrated to heads")
