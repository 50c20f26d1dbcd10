"""The commands cron runs: when each should run, and a record of when each last did.

Cron fails quietly: a crontab lost in a server move, a job that raises every night, and
nobody hears of it until proposals stay open past their deadline. So every scheduled
command is wrapped in `@recorded(name)`, which keeps one row per command (`cron_runs`): when
the last run started, when it finished and whether it worked. `flask doctor` compares those
rows with `SCHEDULE`, the one place that says how often each command should run; the
README's crontab is printed from it too (`flask doctor --crontab`).

The record lives in core so that every layer's CLI can use it.
"""
import functools
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

import click
from sqlalchemy import Boolean, Integer, String, update
from sqlalchemy.dialects.postgresql import insert as postgres_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Mapped, mapped_column

from app.core.database import UTCDateTime, utcnow
from app.core.extensions import db

log = logging.getLogger(__name__)
ERROR_MAX = 300


@dataclass(frozen=True)
class Schedule:
    """How often one command should run, and what it does (for the crontab's comment)."""

    every: timedelta
    does: str
    at_minute: int = 0  # hourly commands: where in the hour, so they don't all start at :00

    def __post_init__(self):
        minutes = self.every // timedelta(minutes=1)
        if not (minutes == 60 or (1 <= minutes < 60 and 60 % minutes == 0)):
            raise ValueError("a schedule is every N minutes (N dividing 60) or hourly")

    @property
    def crontab(self) -> str:
        """The five time fields of its crontab line."""
        minutes = self.every // timedelta(minutes=1)
        if minutes == 60:
            return f"{self.at_minute} * * * *"
        return "* * * * *" if minutes == 1 else f"*/{minutes} * * * *"

    @property
    def late_after(self) -> timedelta:
        """How long after its last start a command counts as not running: one missed run
        is let pass, plus slack for a slow run or a busy machine."""
        return self.every * 2 + timedelta(minutes=10)

    def said(self) -> str:
        """How often, for people: "every 5 min", "hourly"."""
        minutes = self.every // timedelta(minutes=1)
        return "hourly" if minutes == 60 else "every minute" if minutes == 1 else f"every {minutes} min"


SCHEDULE: dict[str, Schedule] = {
    "decisions close-due": Schedule(timedelta(minutes=5), "close proposals whose time is up"),
    "notify due": Schedule(timedelta(hours=1), "reminders: closing soon, care tomorrow, actions and reviews due",
                           at_minute=5),
    "mail send-queued": Schedule(timedelta(minutes=1), "send the email outbox, retrying with back-off"),
    "mail digest": Schedule(timedelta(hours=1), "daily and weekly digests, in each member's time zone", at_minute=10),
    "search retry": Schedule(timedelta(minutes=5), "index items whose earlier write failed"),
}


def crontab(flask: str = "flask") -> str:
    """The crontab lines for every scheduled command. Routine output goes to /dev/null, so
    cron mails only what a command writes to stderr (a traceback)."""
    return "\n".join(
        f"# {schedule.does} ({schedule.said()})\n{schedule.crontab}  {flask} {command} >/dev/null"
        for command, schedule in SCHEDULE.items()
    )


class CronRun(db.Model):
    """The last run of one scheduled command.

    `started_at` is written (and committed) when a run starts; `finished_at`, `succeeded`
    and `last_error` when it ends. A run still going, or one killed before it could say how
    it ended, has `finished_at` before its `started_at` (or none at all).
    """

    __tablename__ = "cron_runs"

    command: Mapped[str] = mapped_column(String(60), primary_key=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    succeeded: Mapped[bool | None] = mapped_column(Boolean)
    runs: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(String(ERROR_MAX), default="")

    @property
    def running(self) -> bool:
        return self.finished_at is None or self.finished_at < self.started_at


def recorded(command: str):
    """Decorate a CLI command so each run is written to `cron_runs` under `command`.

    A run succeeds when it returns or exits with code 0; an exception, an abort or a non-zero
    exit code is a failure, recorded with what it said, and then passed on unchanged.
    """
    if command not in SCHEDULE:
        raise ValueError(f"{command!r} has no schedule: add it to app.core.cron.SCHEDULE")

    def decorate(function):
        @functools.wraps(function)
        def run(*args, **kwargs):
            _started(command)
            try:
                result = function(*args, **kwargs)
            except BaseException as stop:
                succeeded, error = outcome(stop)
                if not succeeded:
                    # A half-done transaction would hold SQLite's write lock against the
                    # record below; it would be rolled back when the command ends anyway.
                    db.session.rollback()
                _finished(command, succeeded, error)
                raise
            _finished(command, True, "")
            return result

        return run

    return decorate


def outcome(stop: BaseException) -> tuple[bool, str]:
    """(succeeded, what went wrong) for whatever ended a run early."""
    if isinstance(stop, SystemExit):
        if stop.code in (None, 0):
            return True, ""
        return False, stop.code if isinstance(stop.code, str) else f"exited with code {stop.code}"
    if isinstance(stop, click.exceptions.Exit):
        return stop.exit_code == 0, "" if stop.exit_code == 0 else f"exited with code {stop.exit_code}"
    if isinstance(stop, click.ClickException):
        return False, stop.format_message()
    if isinstance(stop, (KeyboardInterrupt, click.Abort)):
        return False, "interrupted"
    return False, f"{type(stop).__name__}: {stop}"


def _started(command: str) -> None:
    """Note the start in a transaction of its own, so it is seen even if the run never ends."""
    now = utcnow()
    insert = postgres_insert if db.engine.dialect.name == "postgresql" else sqlite_insert
    statement = insert(CronRun).values(command=command, started_at=now, runs=1, last_error="")
    statement = statement.on_conflict_do_update(
        index_elements=[CronRun.command], set_={"started_at": now, "runs": CronRun.runs + 1})
    _write(command, statement)


def _finished(command: str, succeeded: bool, error: str) -> None:
    _write(command, update(CronRun).where(CronRun.command == command).values(
        finished_at=utcnow(), succeeded=succeeded, last_error=error[:ERROR_MAX]))


def _write(command: str, statement) -> None:
    """Run one statement on a connection of its own. A record that can't be written (the
    table not migrated yet) must not stop the command itself: it is logged instead."""
    try:
        with db.engine.begin() as connection:
            connection.execute(statement)
    except SQLAlchemyError as error:
        log.warning("could not record the run of %s in cron_runs: %s", command, error)
