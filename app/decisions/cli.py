"""`flask decisions …`: what cron runs."""
import click
from flask.cli import AppGroup

from app.core.cron import recorded
from app.decisions import closing

decisions_cli = AppGroup("decisions", help="Proposals and the decision register.")


@decisions_cli.command("close-due")
@recorded("decisions close-due")
def close_due_command() -> None:
    """Close every proposal whose closing time has passed. Safe to run every minute."""
    closed = closing.close_due()
    click.echo(f"Closed {closed} proposal(s).")
