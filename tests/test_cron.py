"""Cron run records (`app.core.cron`): every run of a scheduled command leaves when it started,
when it finished and whether it worked, so `flask doctor` can tell when cron has stopped."""
import re
from datetime import timedelta
from pathlib import Path

import click
import pytest
from flask.cli import with_appcontext
from sqlalchemy import select

from app.core import cron
from app.core.config import TestConfig, from_env
from app.core.cron import SCHEDULE, CronRun, Schedule, recorded
from app.core.extensions import db
from app.web import create_app

README = Path(__file__).resolve().parent.parent / "README.md"


def command(behaviour, name="mail digest"):
    """A CLI command recorded as `name` whose body is `behaviour`."""

    @click.command()
    @with_appcontext
    @recorded(name)
    def run():
        behaviour()

    return run


def raising(error):
    def run():
        raise error

    return run


def record(app, name="mail digest") -> CronRun | None:
    with app.app_context():
        run = db.session.get(CronRun, name)
        if run is not None:
            db.session.expunge(run)
        return run


def test_a_successful_run_records_its_start_its_end_and_success(app):
    result = app.test_cli_runner().invoke(command(lambda: click.echo("Queued 0 digest(s).")))
    assert result.exit_code == 0 and result.output == "Queued 0 digest(s).\n"
    run = record(app)
    assert run.succeeded is True and run.last_error == "" and run.runs == 1
    assert run.started_at <= run.finished_at and not run.running


def test_every_run_is_counted_and_the_record_follows_the_latest(app):
    runner = app.test_cli_runner()
    runner.invoke(command(lambda: None))
    first = record(app)
    runner.invoke(command(lambda: None))
    second = record(app)
    assert (first.runs, second.runs) == (1, 2)
    assert second.started_at >= first.finished_at


def test_the_start_is_committed_before_the_run_does_anything(app):
    seen = {}

    def look():
        with db.engine.connect() as other:  # another connection: only what was committed
            row = other.execute(select(CronRun.started_at, CronRun.finished_at, CronRun.runs)).one()
            seen.update(started=row.started_at, finished=row.finished_at, runs=row.runs)

    app.test_cli_runner().invoke(command(look))
    assert seen["started"] is not None and seen["finished"] is None and seen["runs"] == 1


def test_an_exit_code_1_is_a_failure_recorded_and_passed_on(app):
    def refuse():
        click.echo("3 item(s) still waiting.")
        raise SystemExit(1)

    result = app.test_cli_runner().invoke(command(refuse))
    assert result.exit_code == 1 and "3 item(s) still waiting." in result.output
    run = record(app)
    assert run.succeeded is False and run.last_error == "exited with code 1" and run.finished_at is not None


def test_an_exception_is_recorded_and_raised_again(app):
    result = app.test_cli_runner().invoke(command(raising(ConnectionRefusedError("the SMTP server refused the connection"))))
    assert isinstance(result.exception, ConnectionRefusedError) and result.exit_code == 1
    run = record(app)
    assert run.succeeded is False
    assert run.last_error == "ConnectionRefusedError: the SMTP server refused the connection"


def test_a_long_error_is_cut_to_fit_its_column(app):
    app.test_cli_runner().invoke(command(raising(RuntimeError("x" * 1000))))
    assert len(record(app).last_error) == cron.ERROR_MAX


def test_a_success_after_a_failure_clears_the_error(app):
    runner = app.test_cli_runner()
    runner.invoke(command(raising(RuntimeError("disk full"))))
    assert record(app).last_error == "RuntimeError: disk full"
    runner.invoke(command(lambda: None))
    run = record(app)
    assert run.succeeded is True and run.last_error == "" and run.runs == 2


def test_an_exit_code_0_is_a_success(app):
    assert app.test_cli_runner().invoke(command(raising(SystemExit(0)))).exit_code == 0
    assert record(app).succeeded is True


def test_a_failed_runs_unfinished_work_is_rolled_back_and_the_failure_still_recorded(app):
    def half_done():
        db.session.add(CronRun(command="notify due", started_at=cron.utcnow(), runs=7, last_error=""))
        db.session.flush()  # on SQLite this transaction now holds the write lock
        raise RuntimeError("crashed halfway")

    app.test_cli_runner().invoke(command(half_done))
    assert record(app).last_error == "RuntimeError: crashed halfway"
    assert record(app, "notify due") is None


@pytest.mark.parametrize("args", [name.split() for name in SCHEDULE])
def test_every_scheduled_command_records_its_runs(app, args):
    result = app.test_cli_runner().invoke(args=args)
    assert result.exit_code == 0, result.output
    run = record(app, " ".join(args))
    assert run is not None and run.succeeded is True and run.runs == 1


def test_a_command_without_a_schedule_is_refused():
    with pytest.raises(ValueError, match="no schedule"):
        recorded("mail everyone")


def test_a_command_still_runs_when_its_record_cant_be_written(tmp_path, caplog, monkeypatch):
    """Before `flask db upgrade` there is no cron_runs table: the command runs anyway."""
    monkeypatch.setattr(cron.log, "disabled", False)  # alembic's fileConfig, run by the fixtures, turned it off
    settings = {**from_env(TestConfig), "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/unmigrated.db"}
    app = create_app(settings)
    app.instance_path = str(tmp_path)
    result = app.test_cli_runner().invoke(command(lambda: click.echo("done")))
    assert result.exit_code == 0 and result.output == "done\n"
    assert "could not record the run of mail digest" in caplog.text


def test_schedules_say_their_crontab_and_when_they_are_late():
    assert Schedule(timedelta(minutes=1), "").crontab == "* * * * *"
    assert Schedule(timedelta(minutes=5), "").crontab == "*/5 * * * *"
    assert Schedule(timedelta(hours=1), "", at_minute=10).crontab == "10 * * * *"
    assert Schedule(timedelta(minutes=5), "").late_after == timedelta(minutes=20)
    with pytest.raises(ValueError):
        Schedule(timedelta(minutes=7), "")


def test_the_crontab_has_one_line_per_scheduled_command():
    jobs = [line for line in cron.crontab().splitlines() if not line.startswith("#")]
    assert [re.sub(r"^\S+ \S+ \S+ \S+ \S+  flask (.*) >/dev/null$", r"\1", job) for job in jobs] == list(SCHEDULE)


def test_the_readme_shows_the_crontab_printed_from_the_schedule():
    assert cron.crontab() in README.read_text(), "README's crontab differs: paste `flask doctor --crontab` into it"
