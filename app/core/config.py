"""Settings. Every one can be overridden by the environment.

`DATABASE_URL` and `SECRET_KEY` by those names; any other setting NAME by `CANOE_NAME`
(for names that already start with CANOE_, by the name itself).
"""
import os


class Config:
    SECRET_KEY: str | None = None  # None: a random key kept in the instance folder
    SQLALCHEMY_DATABASE_URI: str | None = None  # None: SQLite in the instance folder
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    CANOE_ENV = "production"  # "development" allows cookies over plain http
    CANOE_DEFAULT_TIMEZONE = "Asia/Seoul"
    CANOE_DEFAULT_LOCALE = "en"
    CANOE_SQLITE_BUSY_TIMEOUT_MS = 5000
    CANOE_LOGIN_LIMIT_PER_IP = "30 per 10 minutes"
    CANOE_LOGIN_LIMIT_PER_ACCOUNT = "5 per 10 minutes"
    CANOE_REGISTER_LIMIT_PER_IP = "20 per hour"  # every sign-up attempt counts, successful or not
    CANOE_PASSWORD_METHOD = "scrypt"
    CANOE_INVITATION_DAYS = 14
    CANOE_MAX_TEXT = 50_000
    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_ENABLED = True
    RATELIMIT_HEADERS_ENABLED = True
    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session
    WTF_I18N_ENABLED = True
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_DURATION = 60 * 60 * 24 * 30
    CANOE_UPLOAD_MAX_BYTES = 10 * 1024 * 1024  # per attached file
    CANOE_ATTACHMENT_DIR = ""  # empty: instance/attachments; point several servers at one shared folder
    # A whole request may be a little larger than one file, so a too-large file gets our own
    # message; beyond this werkzeug answers 413. create_app keeps it above the upload limit.
    MAX_CONTENT_LENGTH = 12 * 1024 * 1024
    # "whoosh": an index in the instance folder (one app server). "postgres": the index in
    # the shared database, for several app servers.
    CANOE_SEARCH_BACKEND = "whoosh"
    # Index every change as it is committed (off: nothing is, until `flask search reindex`).
    CANOE_SEARCH_SYNC = True
    CANOE_SEARCH_LOCK_TIMEOUT = 1.0  # seconds a save waits for the index before leaving its item in the backlog
    CANOE_SEARCH_BACKLOG_CHECK = 30.0  # seconds between a process's looks for backlog rows left behind
    CANOE_SEARCH_BACKLOG_SETTLE = 30.0  # a row younger than this is still being indexed by its own request
    # Email (Flask-Mail over SMTP). Sent from the outbox by `flask mail send-queued` (cron), never in a request.
    MAIL_SERVER = "localhost"
    MAIL_PORT = 25
    MAIL_USE_TLS = False
    MAIL_USE_SSL = False
    MAIL_USERNAME = ""
    MAIL_PASSWORD = ""
    MAIL_DEFAULT_SENDER = "Canoe <canoe@localhost>"
    CANOE_BASE_URL = "http://localhost:5000"  # where links in emails point: this site's public address
    CANOE_MAIL_LINK_DAYS = 30  # how long an email's unsubscribe / settings link works
    CANOE_MAIL_BATCH = 200  # emails per `send-queued` run


class TestConfig(Config):
    TESTING = True
    CANOE_ENV = "development"
    SECRET_KEY = "test-secret"
    WTF_CSRF_ENABLED = False  # tests that check CSRF switch it back on
    RATELIMIT_ENABLED = False  # tests that check rate limits switch it back on
    # Fast hashing in tests only; production uses werkzeug's default (scrypt).
    CANOE_PASSWORD_METHOD = "pbkdf2:sha256:1000"
    CANOE_BASE_URL = "http://canoe.test"
    MAIL_SUPPRESS_SEND = True  # tests that talk to a real SMTP server switch it off
    CANOE_SEARCH_SYNC = False  # most tests never search; those that do switch it back on
    CANOE_SEARCH_BACKLOG_CHECK = 0.0  # tests see the backlog drained at once
    CANOE_SEARCH_BACKLOG_SETTLE = 0.0


def _coerce(current, raw: str):
    if isinstance(current, bool):
        return raw.strip().lower() in {"1", "true", "yes", "on"}
    if isinstance(current, int):
        return int(raw)
    if isinstance(current, float):
        return float(raw)
    return raw


def from_env(config: type, environ=os.environ) -> dict:
    """The settings of `config` with the environment's overrides applied."""
    settings = {k: getattr(config, k) for k in dir(config) if k.isupper()}
    for name, current in list(settings.items()):
        if name in {"SECRET_KEY", "SQLALCHEMY_DATABASE_URI"}:
            env_name = "DATABASE_URL" if name == "SQLALCHEMY_DATABASE_URI" else name
        else:
            env_name = name if name.startswith("CANOE_") else f"CANOE_{name}"
        if env_name in environ:
            settings[name] = _coerce(current, environ[env_name])
    return settings
