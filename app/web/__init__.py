"""The web wiring: the app factory registers every feature's blueprint, CLI and listeners.

The only module that imports every feature; features never import it.
"""
import os
import secrets
from functools import partial
from pathlib import Path

from flask import Flask
from sqlalchemy import event
from werkzeug.routing import IntegerConverter

from app import PACKAGE
from app.accounts import routes as accounts_routes
from app.accounts import services as accounts
from app.archive import contexts as archive_contexts
from app.archive import routes as archive_routes
from app.archive import tags as archive_tags
from app.archive import threads as archive_threads
from app.core import announce, i18n, security, submissions
from app.core.config import Config, from_env
from app.core.extensions import babel, csrf, db, htmx, limiter, login_manager, mail, migrate
from app.core.forms import MAX_ROW_ID
from app.decisions import routes as decisions_routes
from app.decisions import queries as decisions
from app.decisions import threads as proposal_threads
from app.decisions.cli import decisions_cli
from app.groups import routes as groups_routes
from app.labour import routes as labour_routes
from app.labour import membership as care_ledger
from app.notifications import routes as notifications_routes
from app.notifications import services as notifications
from app.notifications import settings as notification_settings
from app.notifications.cli import mail_cli, notify_cli
from app.search import routes as search_routes
from app.search import sync as search_sync
from app.search.cli import search_cli
from app.web import health
from app.web import pages  # noqa: F401 (adds the pages that gather several features to their blueprints)
from app.web.demo import demo_command
from app.web.doctor import doctor_command



def create_app(config: dict | None = None) -> Flask:
    """Build the app: settings → extensions → blueprints → CLI → who listens to what.

    `config` is a mapping laid over the defaults and the environment (tests pass theirs).
    """
    app = Flask(
        "app",
        instance_relative_config=True,
        template_folder=str(PACKAGE / "templates"),
        static_folder=str(PACKAGE / "static"),
    )
    configure_app(app, config)
    configure_extensions(app)
    configure_blueprints(app)
    configure_cli(app)
    configure_listeners(app)
    return app


def configure_app(app: Flask, config: dict | None) -> None:
    app.config.update(from_env(Config))
    if config:
        app.config.update(config)
    os.makedirs(app.instance_path, mode=0o700, exist_ok=True)  # a new instance folder: ours alone
    if not app.config["SQLALCHEMY_DATABASE_URI"]:
        app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite:///" + os.path.join(app.instance_path, "canoe.db")
    if not app.config["SECRET_KEY"]:
        app.config["SECRET_KEY"] = _instance_secret(app)
    app.config.setdefault("SESSION_COOKIE_SECURE", app.config["CANOE_ENV"] != "development")
    app.config.setdefault("REMEMBER_COOKIE_SECURE", app.config["SESSION_COOKIE_SECURE"])
    upload_max = int(app.config["CANOE_UPLOAD_MAX_BYTES"])
    if (app.config.get("MAX_CONTENT_LENGTH") or 0) <= upload_max:
        # Room for the form's other fields, so a file just over the limit gets our message, not a 413.
        app.config["MAX_CONTENT_LENGTH"] = upload_max + upload_max // 5 + 1024 * 1024


def _instance_secret(app: Flask) -> str:
    """A random key kept beside the database, so sessions survive restarts."""
    path = Path(app.instance_path) / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def configure_extensions(app: Flask) -> None:
    db.init_app(app)
    migrate.init_app(app, db, directory=str(PACKAGE / "migrations"), render_as_batch=True)
    login_manager.init_app(app)
    login_manager.user_loader(accounts.user_for_session)
    csrf.init_app(app)
    htmx.init_app(app)
    babel.init_app(app, locale_selector=i18n.select_locale, timezone_selector=i18n.select_timezone)
    limiter.init_app(app)
    mail.init_app(app)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        with app.app_context():
            _tune_sqlite(app, db.engine)
    app.jinja_env.add_extension("jinja2.ext.do")
    i18n.init_app(app)
    security.init_app(app)
    submissions.init_app(app)
    announce.init_app(app)


def _tune_sqlite(app: Flask, engine) -> None:
    busy = int(app.config["CANOE_SQLITE_BUSY_TIMEOUT_MS"])
    path = engine.url.database
    if path and path != ":memory:" and not path.startswith("file:"):
        _create_private(path)
    else:
        path = None

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={busy}")
        cursor.execute("PRAGMA foreign_keys=ON")
        # Deleted and overwritten rows are zeroed, not left in free space: a sealed ballot box
        # (decisions.ballots.seal) must leave no trace of who cast which ballot.
        cursor.execute("PRAGMA secure_delete=ON")
        cursor.close()
        if path:
            _keep_private(path)


def _create_private(path: str) -> None:
    """Create the database file 0600 (an empty file is an empty SQLite database), like the secret key.

    SQLite would make it 0644, readable by every account on the machine, and gives the
    -wal and -shm files the mode of the database file.
    """
    try:
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    except (FileExistsError, FileNotFoundError):  # there already, or its folder isn't (SQLite will say)
        pass


def _keep_private(path: str) -> None:
    """Make the database and its -wal/-shm files 0600 again if anything (an older Canoe, a copy) opened them up."""
    for name in (path, f"{path}-wal", f"{path}-shm"):
        try:
            if os.stat(name).st_mode & 0o077:
                os.chmod(name, 0o600)
        except FileNotFoundError:
            continue
        except PermissionError:  # someone else's file: not ours to change, and SQLite opened it anyway
            continue


class RowId(IntegerConverter):
    """`<int:…>` in every route: a whole number a database id column can hold, else 404."""

    def __init__(self, url_map, *args, **kwargs):
        kwargs.setdefault("max", MAX_ROW_ID)
        super().__init__(url_map, *args, **kwargs)


def configure_blueprints(app: Flask) -> None:
    app.url_map.converters["int"] = RowId
    for blueprint in (
        accounts_routes.bp, groups_routes.bp, archive_routes.bp, notifications_routes.bp,
        notification_settings.bp, decisions_routes.bp, labour_routes.bp, search_routes.bp, health.bp,
    ):
        app.register_blueprint(blueprint)


def configure_cli(app: Flask) -> None:
    for command in (demo_command, doctor_command, decisions_cli, search_cli, mail_cli, notify_cli):
        app.cli.add_command(command)


def configure_listeners(app: Flask) -> None:
    """Who hears what: the only place where one feature is connected to another.

    The event spine (`app.core.events`) reaches notifications and the care ledger; the search
    index follows the session's commits; slots let sibling features ask each other questions.
    """
    notifications.listen()
    care_ledger.listen()
    search_sync.listen()
    proposal_threads.start.fill(app, partial(archive_threads.start_thread, commit=False))
    proposal_threads.readable.fill(app, archive_threads.thread_for)
    proposal_threads.tagged.fill(app, archive_tags.thread_ids_tagged)
    archive_contexts.proposals_in_thread.fill(app, decisions.proposals_in_thread)
