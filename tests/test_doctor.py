"""`flask doctor`: a healthy instance passes; each problem alone fails it, said in plain words."""
import json
import shutil
from datetime import timedelta

import pytest
from sqlalchemy import delete, text, update

from app.core.config import TestConfig, from_env
from app.core.cron import SCHEDULE, CronRun
from app.core.database import utcnow
from app.core.extensions import db
from app.notifications.models import OutboxMessage
from app.search import service as search
from app.search.models import SearchBacklog
from app.web import create_app, doctor
from tests.archive.archive_helpers import ArchiveScene
from tests.conftest import ON_POSTGRES

KEY = "0f" * 32  # a private key, as `secrets.token_hex(32)` makes one


@pytest.fixture
def app(make_app):
    """The shared fixture's app, with a private key and a search index kept in step, as on a real site."""
    app = make_app(CANOE_SEARCH_SYNC=True, SECRET_KEY=KEY)
    with app.app_context():
        search.rebuild()
    return app


@pytest.fixture
def healthy(app, make_cast):
    """A co-op with a thread in the index, and every cron command just run."""
    scene = ArchiveScene(app, make_cast("coop", "private"))
    scene.thread_id = scene.thread(title="Kitchen rota", body="Who sweeps?")
    runner = app.test_cli_runner()
    for command in SCHEDULE:
        assert runner.invoke(args=command.split()).exit_code == 0
    return scene


def run_doctor(app, *args):
    return app.test_cli_runner().invoke(args=["doctor", *args])


def server_autovacuum(app) -> str | None:
    """PostgreSQL's own setting: it can't be changed for one session, so tests follow it."""
    if not ON_POSTGRES:
        return None
    with app.app_context():
        return db.session.scalar(text("SHOW autovacuum"))


def problems(app, result) -> list[str]:
    """The PROBLEM lines, leaving out the one the test server's autovacuum setting causes."""
    lines = [line for line in result.output.splitlines() if line.startswith("PROBLEM")]
    if server_autovacuum(app) == "off":
        lines = [line for line in lines if not line.startswith("PROBLEM  postgres autovacuum:")]
    return lines


def only_problem(app, result) -> str:
    assert result.exit_code == 1, result.output
    (line,) = problems(app, result)
    return line


def change(app, statement) -> None:
    with app.app_context():
        db.session.execute(statement)
        db.session.commit()


def add(app, row) -> None:
    with app.app_context():
        db.session.add(row)
        db.session.commit()


# -- a healthy instance ----------------------------------------------------------------------

def test_a_healthy_instance_passes_with_one_ok_line_per_check(app, healthy):
    result = run_doctor(app)
    lines = result.output.splitlines()
    assert problems(app, result) == []
    if server_autovacuum(app) == "off":  # CI's PostgreSQL runs without it: the one line it may show
        assert result.exit_code == 1 and "PROBLEM  postgres autovacuum: is off" in result.output
    else:
        assert result.exit_code == 0, result.output
        assert lines[-1] == "Everything Canoe relies on looks right."
    checks = [line.split(":")[0].split(None, 1)[1] for line in lines[:-1]]
    assert checks[:4] == ["migrations", "search index", "search backlog", "mail outbox"]
    assert [c for c in checks if c.startswith("cron ")] == [f"cron {name}" for name in SCHEDULE]
    assert checks[-2:] == ["attachments", "secret key"]
    assert "OK       search index: the whoosh index matches the database." in lines
    assert any(line.startswith("OK       cron mail send-queued: last ran ") and line.endswith(" s ago, as it should "
               "(every minute).") for line in lines)


def test_the_json_report_holds_the_same_findings(app, healthy):
    report = json.loads(run_doctor(app, "--json").output)
    assert report["healthy"] is (server_autovacuum(app) != "off")
    assert {"check": "secret key", "status": "ok", "says": "private and 64 characters long."} in report["checks"]
    assert all(set(finding) == {"check", "status", "says"} for finding in report["checks"])


def test_sqlite_says_the_postgres_checks_do_not_apply(app, healthy):
    if ON_POSTGRES:
        pytest.skip("PostgreSQL runs them")
    assert "n/a      postgres: autovacuum and table statistics: n/a on SQLite." in run_doctor(app).output


def test_crontab_prints_the_lines_for_every_scheduled_command(app):
    result = run_doctor(app, "--crontab")
    assert result.exit_code == 0
    assert "*/5 * * * *  flask decisions close-due >/dev/null" in result.output
    assert "* * * * *  flask mail send-queued >/dev/null" in result.output


# -- cron ------------------------------------------------------------------------------------

def test_a_command_that_never_ran(app, healthy):
    change(app, delete(CronRun).where(CronRun.command == "mail digest"))
    assert only_problem(app, run_doctor(app)) == (
        "PROBLEM  cron mail digest: has never run: add it to the crontab (hourly; "
        "`flask doctor --crontab` prints the lines).")


def test_a_command_that_last_ran_too_long_ago(app, healthy):
    long_ago = utcnow() - timedelta(hours=3, minutes=1)
    change(app, update(CronRun).where(CronRun.command == "decisions close-due")
           .values(started_at=long_ago, finished_at=long_ago + timedelta(seconds=2)))
    assert only_problem(app, run_doctor(app)) == (
        "PROBLEM  cron decisions close-due: last ran 3 h ago but should run every 5 min: is cron running?")


def test_an_hourly_command_that_missed_one_run_is_still_fine(app, healthy):
    earlier = utcnow() - timedelta(minutes=80)
    change(app, update(CronRun).where(CronRun.command == "notify due")
           .values(started_at=earlier, finished_at=earlier + timedelta(seconds=2)))
    result = run_doctor(app)
    assert problems(app, result) == [] and "OK       cron notify due: last ran 80 min ago" in result.output


def test_a_command_whose_last_run_failed(app, healthy):
    started = utcnow() - timedelta(minutes=3)
    change(app, update(CronRun).where(CronRun.command == "mail send-queued")
           .values(started_at=started, finished_at=started + timedelta(seconds=1), succeeded=False,
                   last_error="OperationalError: could not connect to server"))
    assert only_problem(app, run_doctor(app)) == (
        "PROBLEM  cron mail send-queued: last run, 3 min ago, failed: OperationalError: could not connect to server. "
        "Run `flask mail send-queued` by hand to see why.")


def test_a_command_that_started_long_ago_and_never_finished(app, healthy):
    started = utcnow() - timedelta(hours=2)
    change(app, update(CronRun).where(CronRun.command == "search retry")
           .values(started_at=started, finished_at=started - timedelta(minutes=5)))
    line = only_problem(app, run_doctor(app))
    assert line == "PROBLEM  cron search retry: started 2 h ago and never finished: stuck, or killed (out of memory?)."


def test_a_command_running_now_is_fine(app, healthy):
    change(app, update(CronRun).where(CronRun.command == "mail digest").values(finished_at=None, succeeded=None))
    result = run_doctor(app)
    assert problems(app, result) == [] and "OK       cron mail digest: running now" in result.output


def test_judge_cron_says_both_that_it_stopped_and_that_it_failed():
    now = utcnow()
    run = CronRun(command="notify due", started_at=now - timedelta(days=3), finished_at=now - timedelta(days=3),
                  succeeded=False, runs=40, last_error="KeyError: 'ko'")
    finding = doctor.judge_cron("notify due", SCHEDULE["notify due"], run, now)
    assert finding.status == "problem"
    assert finding.says == "last ran 3 days ago but should run hourly: is cron running? Its last run failed: KeyError: 'ko'."


# -- search ----------------------------------------------------------------------------------

def test_an_old_backlog_row_is_a_problem(app, healthy):
    add(app, SearchBacklog(kind="thread", item_id=healthy.thread_id, queued_at=utcnow() - timedelta(minutes=40),
                           last_error="the index is locked"))
    assert only_problem(app, run_doctor(app)) == (
        "PROBLEM  search backlog: 1 item(s) wait to be indexed, the oldest for 40 min (last error: the index is "
        "locked): run `flask search retry`; is cron running?")


def test_a_young_backlog_row_is_work_in_flight(app, healthy):
    add(app, SearchBacklog(kind="thread", item_id=healthy.thread_id, queued_at=utcnow() - timedelta(minutes=2)))
    result = run_doctor(app)
    assert problems(app, result) == []
    assert "OK       search backlog: 1 item(s) on their way into the index (the oldest queued 2 min ago)." in result.output


def test_a_drifted_search_index(app, healthy):
    with app.app_context():
        search.backend().write([], [("thread", healthy.thread_id)])  # as if the index had missed the thread
    assert only_problem(app, run_doctor(app)) == (
        "PROBLEM  search index: the whoosh index differs from the database (1 missing): run `flask search reindex`.")


def test_a_missing_search_index(app, healthy):
    with app.app_context():
        shutil.rmtree(search.backend().folder)
    line = only_problem(app, run_doctor(app))
    assert line.startswith("PROBLEM  search index: the whoosh index is missing or unreadable (rebuild: ")
    assert line.endswith("): run `flask search reindex`.")


# -- mail ------------------------------------------------------------------------------------

def test_an_email_due_long_ago_and_not_sent(app, healthy):
    due = utcnow() - timedelta(minutes=50)
    add(app, OutboxMessage(user_id=healthy.uid("member"), subject="Digest", created_at=due, next_attempt_at=due))
    assert only_problem(app, run_doctor(app)) == (
        "PROBLEM  mail outbox: 1 email(s) due more than 15 min ago are not sent, the oldest due 50 min ago: "
        "run `flask mail send-queued`; is cron running?")


def test_an_email_just_queued_is_fine(app, healthy):
    add(app, OutboxMessage(user_id=healthy.uid("member"), subject="Digest"))
    assert problems(app, run_doctor(app)) == []


def test_an_email_that_keeps_failing_points_at_the_mail_server(app, healthy):
    add(app, OutboxMessage(user_id=healthy.uid("member"), subject="Digest", created_at=utcnow() - timedelta(hours=3),
                           next_attempt_at=utcnow() + timedelta(minutes=30), attempts=6,
                           last_error="connect: [Errno 111] Connection refused"))
    assert only_problem(app, run_doctor(app)) == (
        "PROBLEM  mail server: 1 email(s) have failed to send for over 60 min (last error: connect: [Errno 111] "
        "Connection refused): check CANOE_MAIL_SERVER, CANOE_MAIL_PORT and the mail server's log.")


def test_sent_and_dropped_emails_are_not_waiting(app, healthy):
    long_ago = utcnow() - timedelta(days=2)
    for done in ({"sent_at": long_ago}, {"failed_at": long_ago, "attempts": 3}):
        add(app, OutboxMessage(user_id=healthy.uid("member"), created_at=long_ago, next_attempt_at=long_ago, **done))
    assert problems(app, run_doctor(app)) == []


# -- the database, this machine ----------------------------------------------------------------

def test_migrations_behind_say_so_and_leave_the_database_checks_for_later(app, healthy):
    with app.app_context():
        current = db.session.scalar(text("SELECT version_num FROM alembic_version"))
    change(app, text("UPDATE alembic_version SET version_num = 'older'"))
    try:
        result = run_doctor(app)
    finally:
        change(app, text("UPDATE alembic_version SET version_num = :v").bindparams(v=current))
    assert result.exit_code == 1
    assert problems(app, result) == [
        "PROBLEM  migrations: the database is behind this version of Canoe: run `flask db upgrade`."]
    assert "n/a      cron: not checked until the database answers at the newest migration." in result.output


def test_a_database_that_does_not_answer(tmp_path):
    settings = {**from_env(TestConfig), "SECRET_KEY": KEY,
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/missing-folder/none.db"}
    app = create_app(settings)
    app.instance_path = str(tmp_path)
    result = run_doctor(app)
    assert result.exit_code == 1
    assert [line for line in result.output.splitlines() if line.startswith("PROBLEM")] == [
        "PROBLEM  database: does not answer: check DATABASE_URL and that the database server runs."]
    assert "n/a      search index: not checked until the database answers at the newest migration." in result.output
    assert "OK       secret key: private and 64 characters long." in result.output


def test_the_test_suites_secret_key(app, healthy):
    app.config["SECRET_KEY"] = TestConfig.SECRET_KEY
    line = only_problem(app, run_doctor(app))
    assert line.startswith("PROBLEM  secret key: is the test suite's key, published in Canoe's source: anyone can "
                           "forge a sign-in. Set SECRET_KEY to ")


def test_a_short_secret_key(app, healthy):
    app.config["SECRET_KEY"] = "hunter2hunter2"
    assert only_problem(app, run_doctor(app)).startswith("PROBLEM  secret key: has only 14 characters (at least 32). Set SECRET_KEY")


def test_an_attachment_folder_that_cant_be_written(app, healthy, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")  # root may write anywhere, but no one can make a folder inside a file
    app.config["CANOE_ATTACHMENT_DIR"] = str(blocker / "attachments")
    assert only_problem(app, run_doctor(app)) == (
        f"PROBLEM  attachments: can't write to {blocker}/attachments (Not a directory): attaching files fails. "
        "Make it writable by the user Canoe runs as, or set CANOE_ATTACHMENT_DIR.")


def test_the_writability_check_leaves_nothing_behind(app, healthy, tmp_path):
    folder = tmp_path / "files"
    app.config["CANOE_ATTACHMENT_DIR"] = str(folder)
    result = run_doctor(app)
    assert f"OK       attachments: {folder} is writable." in result.output
    assert list(folder.iterdir()) == []


def test_a_check_that_breaks_is_reported_not_raised(app, healthy, monkeypatch):
    def broken(now):
        raise OSError("disk on fire")

    monkeypatch.setattr(doctor, "LOCAL_CHECKS", (("attachments", broken),) + doctor.LOCAL_CHECKS[1:])
    assert only_problem(app, run_doctor(app)) == "PROBLEM  attachments: could not be checked (OSError: disk on fire)."


# -- PostgreSQL --------------------------------------------------------------------------------

def test_judge_postgres_with_autovacuum_off():
    autovacuum, statistics = doctor.judge_postgres("off", [], 50)
    assert autovacuum.status == "problem" and "Set `autovacuum = on` in postgresql.conf" in autovacuum.says
    assert statistics == doctor.ok("postgres statistics", "every table with more than 50 rows has been analysed.")


def test_judge_postgres_with_tables_never_analysed():
    autovacuum, statistics = doctor.judge_postgres("on", ["events", "comments"], 50)
    assert autovacuum == doctor.ok("postgres autovacuum", "on.")
    assert statistics == doctor.problem(
        "postgres statistics", "2 table(s) with more than 50 rows have never been analysed (events, comments): "
                               "run `ANALYZE;` in psql on this database.")


@pytest.mark.skipif(not ON_POSTGRES, reason="reads PostgreSQL's own settings and statistics")
def test_on_postgres_the_real_settings_and_statistics_are_read(app, healthy):
    said = server_autovacuum(app)
    result = run_doctor(app)
    assert ("OK       postgres autovacuum: on." if said == "on" else "PROBLEM  postgres autovacuum: is off") in result.output
    assert "OK       postgres statistics: every table with more than 50 rows has been analysed." in result.output
    with app.app_context():  # a table grown past the threshold, its statistics forgotten
        started = utcnow()
        db.session.add_all(CronRun(command=f"test {n}", started_at=started, runs=1, last_error="") for n in range(60))
        db.session.commit()
        db.session.execute(text("SELECT pg_stat_reset_single_table_counters('cron_runs'::regclass)"))
        db.session.commit()
    line = only_problem(app, run_doctor(app))
    assert line == ("PROBLEM  postgres statistics: 1 table(s) with more than 50 rows have never been analysed "
                    "(cron_runs): run `ANALYZE;` in psql on this database.")
    change(app, text("ANALYZE cron_runs"))
    result = run_doctor(app)
    assert problems(app, result) == []
    assert "OK       postgres statistics: every table with more than 50 rows has been analysed." in result.output
