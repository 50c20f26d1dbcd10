"""The web wiring: the app factory registers every feature's blueprint, CLI and listeners.

The only module that imports every feature; features never import it.
"""
import os
import secrets
from pathlib import Path

from flask import Flask
from sqlalchemy import event
from werkzeug.routing import IntegerConverter

from app.core.config import Config, from_env
from app.core.extensions import babel, csrf, db, htmx, limiter, login_manager, mail, migrate
from app import PACKAGE
from app.core.forms import MAX_ROW_ID



def create_app(config: dict | None = None) -> Flask:
    """Build the app: settings → extensions → blueprints → CLI.

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
    from app.core import i18n, security

    db.init_app(app)
    migrate.init_app(app, db, directory=str(PACKAGE / "migrations"), render_as_batch=True)
    login_manager.init_app(app)
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
        # (decisions.services.seal) must leave no trace of who cast which ballot.
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
    from app.accounts import bp as accounts_bp
    from app.archive import bp as archive_bp
    from app.decisions import bp as decisions_bp
    from app.groups import bp as groups_bp
    from app.labour import bp as labour_bp
    from app.notifications import bp as notifications_bp
    from app.notifications import settings_bp as notification_settings_bp
    from app.search import bp as search_bp
    from app.search.sync import listen as keep_search_in_step

    app.register_blueprint(accounts_bp)
    app.register_blueprint(groups_bp)
    app.register_blueprint(archive_bp)
    app.register_blueprint(notifications_bp)
    app.register_blueprint(notification_settings_bp)
    app.register_blueprint(decisions_bp)
    app.register_blueprint(labour_bp)
    app.register_blueprint(search_bp)
    keep_search_in_step()


def configure_cli(app: Flask) -> None:
    from app.decisions.cli import decisions_cli
    from app.groups.cli import demo_command
    from app.notifications.cli import mail_cli, notify_cli
    from app.search.cli import search_cli

    app.cli.add_command(demo_command)
    app.cli.add_command(decisions_cli)
    app.cli.add_command(search_cli)
    app.cli.add_command(mail_cli)
    app.cli.add_command(notify_cli)
