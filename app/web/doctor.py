"""`flask doctor`: what an operator can't see from the pages, checked and said in plain words.

Canoe leans on things outside itself: cron running its commands, PostgreSQL keeping table
statistics, a folder it can write. When one of them stops, nothing breaks at once: emails
wait, the search index drifts, the timeline gets slow (with autovacuum off, the events query
behind home and the timeline went from 0.08 ms to 56 ms). The doctor checks each one and
says, one line each, OK or PROBLEM and what to do; it exits 1 when anything is wrong, so a
monitoring job can run it.

Lives in app.web, the top layer, because it reads every feature.
"""
import json
import tempfile
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import func, select, text

from app.archive import files
from app.core.config import TestConfig
from app.core.cron import SCHEDULE, CronRun, Schedule, crontab
from app.core.database import utcnow
from app.core.extensions import db
from app.notifications.models import OutboxMessage
from app.search import service as search
from app.search.models import SearchBacklog
from app.web import health

# The search outbox holds every change until it is indexed, a moment later: young rows are
# work in flight. Rows this old mean nothing is indexing them.
BACKLOG_GRACE = timedelta(minutes=15)
# `mail send-queued` runs every minute: an email due this long ago should have gone.
MAIL_GRACE = timedelta(minutes=15)
# Retries back off (2, 4, 8 … min): an email still failing after this has met a real fault.
MAIL_FAILING = timedelta(hours=1)
SECRET_KEY_MIN = 32  # characters; `secrets.token_hex(32)` gives 64
PUBLISHED_KEYS = frozenset({TestConfig.SECRET_KEY})  # written in Canoe's source: anyone can sign with them
STATUSES = {"ok": "OK", "problem": "PROBLEM", "n/a": "n/a"}


@dataclass(frozen=True)
class Finding:
    """One line of the report: what was checked, "ok" / "problem" / "n/a", and what it found."""

    check: str
    status: str
    says: str

    def line(self) -> str:
        return f"{STATUSES[self.status]:<8} {self.check}: {self.says}"


def ok(check: str, says: str) -> Finding:
    return Finding(check, "ok", says)


def problem(check: str, says: str) -> Finding:
    return Finding(check, "problem", says)


def ago(delta: timedelta) -> str:
    """A duration as people say it: "40 s", "12 min", "5 h", "3 days"."""
    seconds = max(int(delta.total_seconds()), 0)
    if seconds < 90:
        return f"{seconds} s"
    if seconds < 90 * 60:
        return f"{seconds // 60} min"
    if seconds < 48 * 3600:
        return f"{seconds // 3600} h"
    return f"{seconds // 86400} days"


# -- the database --------------------------------------------------------------------------

def schema(now: datetime) -> list[Finding]:
    """The database answers and is at the migrations' head: what /readyz asks, asked the same way."""
    answer = health.ready()
    body = answer[0] if isinstance(answer, tuple) else answer
    if body.get("database") == "unreachable":
        return [problem("database", "does not answer: check DATABASE_URL and that the database server runs.")]
    if body.get("migrations") == "behind":
        return [problem("migrations", "the database is behind this version of Canoe: run `flask db upgrade`.")]
    return [ok("migrations", f"the database answers and is at the newest migration ({', '.join(sorted(health.HEADS))}).")]


def search_index(now: datetime) -> list[Finding]:
    """Every searchable item indexed, as it now reads, and nothing else."""
    backend = current_app.config["CANOE_SEARCH_BACKEND"]
    try:
        found = search.drift()
    except search.Rebuilding as missing:
        progress = "not started" if missing.percent is None else f"{missing.percent}% done"
        return [problem("search index", f"the {backend} index is missing or unreadable (rebuild: {progress}): "
                                        "run `flask search reindex`.")]
    wrong = ", ".join(f"{len(keys)} {kind}" for kind, keys in found.items() if keys)
    if wrong:
        return [problem("search index", f"the {backend} index differs from the database ({wrong}): "
                                        "run `flask search reindex`.")]
    return [ok("search index", f"the {backend} index matches the database.")]


def search_backlog(now: datetime) -> list[Finding]:
    """Items waiting to be indexed: normal for a moment, a problem when they stay."""
    waiting = db.session.scalar(select(func.count()).select_from(SearchBacklog))
    if not waiting:
        return [ok("search backlog", "nothing waits to be indexed.")]
    oldest = db.session.scalars(select(SearchBacklog).order_by(SearchBacklog.queued_at).limit(1)).one()
    age = now - oldest.queued_at
    if age <= BACKLOG_GRACE:
        return [ok("search backlog", f"{waiting} item(s) on their way into the index (the oldest queued {ago(age)} ago).")]
    error = f" (last error: {oldest.last_error})" if oldest.last_error else ""
    return [problem("search backlog", f"{waiting} item(s) wait to be indexed, the oldest for {ago(age)}{error}: "
                                      "run `flask search retry`; is cron running?")]


def mail_outbox(now: datetime) -> list[Finding]:
    """Emails due and not sent (cron stopped), and emails that keep failing (the mail server)."""
    waiting = (OutboxMessage.sent_at.is_(None), OutboxMessage.failed_at.is_(None))
    late, since = db.session.execute(
        select(func.count(), func.min(OutboxMessage.next_attempt_at))
        .where(*waiting, OutboxMessage.next_attempt_at <= now - MAIL_GRACE)).one()
    stuck = (*waiting, OutboxMessage.attempts > 0, OutboxMessage.created_at <= now - MAIL_FAILING)
    failing = db.session.scalar(select(func.count()).select_from(OutboxMessage).where(*stuck))
    found = []
    if late:
        found.append(problem("mail outbox", f"{late} email(s) due more than {ago(MAIL_GRACE)} ago are not sent, "
                                            f"the oldest due {ago(now - since)} ago: run `flask mail send-queued`; "
                                            "is cron running?"))
    else:
        found.append(ok("mail outbox", "no email is waiting past its time."))
    if failing:
        error = db.session.scalars(select(OutboxMessage.last_error).where(*stuck)
                                   .order_by(OutboxMessage.created_at.desc()).limit(1)).one()
        found.append(problem("mail server", f"{failing} email(s) have failed to send for over {ago(MAIL_FAILING)} "
                                            f"(last error: {error or 'none'}): check CANOE_MAIL_SERVER, "
                                            "CANOE_MAIL_PORT and the mail server's log."))
    return found


def cron_runs(now: datetime) -> list[Finding]:
    """Each scheduled command's last run against how often it should run."""
    runs = {run.command: run for run in db.session.scalars(select(CronRun))}
    return [judge_cron(command, schedule, runs.get(command), now) for command, schedule in SCHEDULE.items()]


def judge_cron(command: str, schedule: Schedule, run: CronRun | None, now: datetime) -> Finding:
    """What one command's record says: never ran, stopped, failed, or fine."""
    check = f"cron {command}"
    if run is None:
        return problem(check, f"has never run: add it to the crontab ({schedule.said()}; "
                              "`flask doctor --crontab` prints the lines).")
    since = now - run.started_at
    failed = f" Its last run failed: {run.last_error or 'no message'}." if run.succeeded is False else ""
    if since > schedule.late_after and run.running:
        return problem(check, f"started {ago(since)} ago and never finished: stuck, or killed (out of memory?).{failed}")
    if since > schedule.late_after:
        return problem(check, f"last ran {ago(since)} ago but should run {schedule.said()}: is cron running?{failed}")
    if failed:
        return problem(check, f"last run, {ago(since)} ago, failed: {run.last_error or 'no message'}. "
                              f"Run `flask {command}` by hand to see why.")
    if run.running:
        return ok(check, f"running now (started {ago(since)} ago).")
    return ok(check, f"last ran {ago(since)} ago, as it should ({schedule.said()}).")


def postgres(now: datetime) -> list[Finding]:
    """Autovacuum on, and statistics for every table big enough to need them."""
    if db.engine.dialect.name != "postgresql":
        return [Finding("postgres", "n/a", "autovacuum and table statistics: n/a on SQLite.")]
    autovacuum = db.session.scalar(text("SHOW autovacuum"))
    # Autovacuum analyses a table only after this many rows changed, so smaller tables
    # rightly have no statistics, and the planner does fine on them without.
    threshold = int(db.session.scalar(text("SHOW autovacuum_analyze_threshold")))
    never = db.session.scalars(text(
        "SELECT relname FROM pg_stat_user_tables WHERE schemaname = current_schema() "
        "AND last_analyze IS NULL AND last_autoanalyze IS NULL ORDER BY relname")).all()
    return judge_postgres(autovacuum, [table for table in never if _more_rows_than(table, threshold)], threshold)


def _more_rows_than(table: str, threshold: int) -> bool:
    """Counted, not read from statistics (which a restore or a crash resets); reads at most threshold + 1 rows."""
    name = db.session.connection().dialect.identifier_preparer.quote(table)
    return db.session.scalar(text(f"SELECT count(*) FROM (SELECT 1 FROM {name} LIMIT :n) AS sample"),
                             {"n": threshold + 1}) > threshold


def judge_postgres(autovacuum: str, unanalysed: list[str], threshold: int) -> list[Finding]:
    """The verdict on `SHOW autovacuum` and the tables with rows but no statistics."""
    if autovacuum == "on":
        found = [ok("postgres autovacuum", "on.")]
    else:
        found = [problem("postgres autovacuum", f"is {autovacuum}: tables get no fresh statistics, so queries slow "
                                                "down as they grow, and dead rows pile up. Set `autovacuum = on` in "
                                                "postgresql.conf and reload PostgreSQL.")]
    if unanalysed:
        found.append(problem("postgres statistics", f"{len(unanalysed)} table(s) with more than {threshold} rows have "
                                                    f"never been analysed ({', '.join(unanalysed)}): run `ANALYZE;` "
                                                    "in psql on this database."))
    else:
        found.append(ok("postgres statistics", f"every table with more than {threshold} rows has been analysed."))
    return found


# -- this machine --------------------------------------------------------------------------

def attachment_folder(now: datetime) -> list[Finding]:
    """Attached files can be kept: a file can be made in the folder, and removed."""
    folder = files.root()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".doctor-"):
            pass
    except OSError as error:
        return [problem("attachments", f"can't write to {folder} ({error.strerror or error}): attaching files fails. "
                                       "Make it writable by the user Canoe runs as, or set CANOE_ATTACHMENT_DIR.")]
    return [ok("attachments", f"{folder} is writable.")]


def secret_key(now: datetime) -> list[Finding]:
    """Sessions, email links and ballot keys are signed with it: it must be private and long."""
    key = current_app.config.get("SECRET_KEY") or ""
    fix = "Set SECRET_KEY to `python3 -c 'import secrets; print(secrets.token_hex(32))'`, or unset it for a random one."
    if key in PUBLISHED_KEYS:
        return [problem("secret key", f"is the test suite's key, published in Canoe's source: anyone can forge a "
                                      f"sign-in. {fix}")]
    if len(key) < SECRET_KEY_MIN:
        return [problem("secret key", f"has only {len(key)} characters (at least {SECRET_KEY_MIN}). {fix}")]
    return [ok("secret key", f"private and {len(key)} characters long.")]


DATABASE_CHECKS = (
    ("search index", search_index), ("search backlog", search_backlog), ("mail outbox", mail_outbox),
    ("cron", cron_runs), ("postgres", postgres),
)
LOCAL_CHECKS = (("attachments", attachment_folder), ("secret key", secret_key))


def examine(now: datetime | None = None) -> list[Finding]:
    """Every check, in order. Those that read the database wait until it answers at the
    newest migration: before that they could only repeat the same problem."""
    now = now or utcnow()
    found = _safely("migrations", schema, now)
    ready = all(f.status == "ok" for f in found)
    for name, check in DATABASE_CHECKS:
        found += _safely(name, check, now) if ready else [
            Finding(name, "n/a", "not checked until the database answers at the newest migration.")]
    for name, check in LOCAL_CHECKS:
        found += _safely(name, check, now)
    return found


def _safely(name: str, check, now: datetime) -> list[Finding]:
    try:
        return check(now)
    except Exception as error:  # noqa: BLE001 — the doctor reports what it could not check, never a traceback
        db.session.rollback()
        said = str(error).strip().splitlines()[0] if str(error).strip() else ""
        return [problem(name, f"could not be checked ({type(error).__name__}{': ' + said if said else ''}).")]


@click.command("doctor")
@click.option("--json", "as_json", is_flag=True, help="Print the findings as JSON.")
@click.option("--crontab", "show_crontab", is_flag=True, help="Print the crontab lines for Canoe's commands, and stop.")
@with_appcontext
def doctor_command(as_json: bool, show_crontab: bool) -> None:
    """Check what Canoe relies on (migrations, search, mail, cron, PostgreSQL, files, the secret key); exit 1 on a problem."""
    if show_crontab:
        click.echo(crontab())
        return
    found = examine()
    problems = sum(1 for f in found if f.status == "problem")
    if as_json:
        click.echo(json.dumps({"healthy": not problems, "checks": [asdict(f) for f in found]}, indent=2))
    else:
        for finding in found:
            click.echo(finding.line())
        click.echo(f"{problems} problem(s): see above." if problems else "Everything Canoe relies on looks right.")
    if problems:
        raise SystemExit(1)
