"""`flask mail …` and `flask notify …`: what cron runs. Each is safe to run twice, or twice at once."""
import click
from flask.cli import AppGroup

from app.core.cron import recorded
from app.notifications import digest, mail, reminders

mail_cli = AppGroup("mail", help="The email outbox and digests.")
notify_cli = AppGroup("notify", help="Time-based notifications (reminders).")


@mail_cli.command("send-queued")
@recorded("mail send-queued")
def send_queued_command() -> None:
    """Send the emails waiting in the outbox; those that can't go now are retried later."""
    report = mail.send_queued()
    click.echo(f"Sent {report.sent}, retrying later {report.retrying}, dropped {report.dropped}.")


@mail_cli.command("digest")
@recorded("mail digest")
def digest_command() -> None:
    """Queue each member's daily or weekly digest for the period that just ended (once per period)."""
    report = digest.queue_digests()
    click.echo(f"Queued {report.queued} digest(s); {report.already} already sent, {report.empty} with nothing new.")


@mail_cli.command("status")
def status_command() -> None:
    """How many emails wait, went, or were dropped."""
    counts = mail.queue_status()
    click.echo(", ".join(f"{k} {v}" for k, v in counts.items()))


@notify_cli.command("due")
@recorded("notify due")
def due_command() -> None:
    """Make the reminders whose time has come: proposals closing, care tasks, actions and reviews due."""
    report = reminders.due()
    click.echo(f"Made {report.total} reminder(s).")
