"""Fixtures: an app on a freshly migrated database, a client, a CLI runner, people in every role.

SQLite (default): the schema is migrated once into a template file that each test copies.
PostgreSQL (DATABASE_URL set): each test process (pytest-xdist worker) gets its own schema,
which starts empty, is migrated once, and has every table emptied after each test.
"""
import os
import shutil
from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, settings
from flask_migrate import upgrade
from sqlalchemy import create_engine, delete, text

from app.web import create_app
from app.accounts import services as accounts
from app.core.config import TestConfig, from_env
from app.core.extensions import db, limiter
from app.groups import services as groups
from app.notifications.models import Notification

# Property tests judge rules, not speed: no deadline, so a busy CI machine can't make them flaky.
settings.register_profile("canoe", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("canoe")

PASSWORD = "correct horse battery"
BASE_URL = os.environ.get("DATABASE_URL", "")
ON_POSTGRES = BASE_URL.startswith("postgresql")
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "main")
# One schema per worker of this run (two runs at once on one server never meet); dropped at its end.
RUN = os.environ.get("PYTEST_XDIST_TESTRUNUID", str(os.getpid()))[:8]
SCHEMA = f"canoe_test_{WORKER}_{RUN}"
# Workers share one database, each in its own schema (psycopg passes `options` to the server).
POSTGRES_URL = f"{BASE_URL}{'&' if '?' in BASE_URL else '?'}options=-csearch_path%3D{SCHEMA}" if ON_POSTGRES else ""


def _settings(database_url: str, **overrides) -> dict:
    settings = from_env(TestConfig)
    settings.update(SQLALCHEMY_DATABASE_URI=database_url, **overrides)
    return settings


@pytest.fixture(scope="session")
def migrated_database(tmp_path_factory):
    """The database URL (or, for SQLite, a template file) with every migration applied."""
    if ON_POSTGRES:
        engine = create_engine(BASE_URL)
        with engine.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{SCHEMA}" CASCADE'))
            conn.execute(text(f'CREATE SCHEMA "{SCHEMA}"'))
        engine.dispose()
        app = create_app(_settings(POSTGRES_URL))
        with app.app_context():
            upgrade()
            db.engine.dispose()
        yield POSTGRES_URL
        for app in _APPS.values():
            with app.app_context():
                db.engine.dispose()
        with engine.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{SCHEMA}" CASCADE'))
        engine.dispose()
        return
    template = tmp_path_factory.mktemp("template") / "canoe.db"
    app = create_app(_settings(f"sqlite:///{template}"))
    with app.app_context():
        upgrade()
        db.engine.dispose()
    yield template


def _empty_postgres(app) -> None:
    """Back to an empty schema after a test, as cheaply as PostgreSQL allows.

    TRUNCATE of every table costs ~0.1 s, more than most tests: instead, delete the rows of
    the few tables that have any (foreign keys off for this transaction, so order doesn't
    matter) and restart the sequences that were used, so ids start at 1 again as after TRUNCATE.
    """
    with app.app_context():
        conn = db.session.connection()
        probe = " UNION ALL ".join(f"SELECT '{t.name}' WHERE EXISTS (SELECT 1 FROM \"{t.name}\")"
                                   for t in db.metadata.sorted_tables)
        filled = list(conn.scalars(text(probe)))
        used = list(conn.scalars(text(
            "SELECT sequencename FROM pg_sequences WHERE schemaname = current_schema() AND last_value IS NOT NULL")))
        conn.execute(text("SET LOCAL session_replication_role = replica"))
        for name in filled:
            conn.execute(text(f'DELETE FROM "{name}"'))
        for name in used:
            conn.execute(text(f'ALTER SEQUENCE "{name}" RESTART'))
        db.session.commit()
        db.session.remove()


# One app per test process and settings: building an app (URL map, Jinja environment, compiled
# templates) costs more than most tests, so each test gets a cached one, reset to how it was built.
_APPS: dict[tuple, object] = {}


def _database_url(base_temp) -> str:
    return POSTGRES_URL if ON_POSTGRES else f"sqlite:///{base_temp / f'canoe-{WORKER}.db'}"


def _cached_app(url: str, overrides: dict):
    key = (url, *sorted((name, repr(value)) for name, value in overrides.items()))
    if key not in _APPS:
        app = create_app(_settings(url, **overrides))
        app.config_as_built = dict(app.config)
        _APPS[key] = app
    return _APPS[key]


def _reset(app, tmp_path) -> None:
    """Undo what the last test did to this app: its settings, its folder, its search state."""
    app.config.clear()
    app.config.update(app.config_as_built)
    app.instance_path = str(tmp_path / "instance")
    os.makedirs(app.instance_path, exist_ok=True)
    rebuilder = app.extensions.pop("canoe.search", {}).get("rebuilder")
    if rebuilder is not None:  # a background rebuild the last test started must not outlive it
        rebuilder.join(60)
    # The rate limiter is one object for every app in the process: it follows the app in use.
    limiter.enabled = app.config["RATELIMIT_ENABLED"]
    if getattr(limiter, "_storage", None) is not None:
        limiter.reset()


def _fresh_sqlite(template, url: str) -> None:
    path = url.removeprefix("sqlite:///")
    for suffix in ("-wal", "-shm"):
        if os.path.exists(path + suffix):
            os.remove(path + suffix)
    shutil.copy(template, path)


@pytest.fixture
def make_app(migrated_database, tmp_path, tmp_path_factory):
    """This test's app on an empty, migrated database; extra settings override the test config."""
    url = _database_url(tmp_path_factory.getbasetemp())
    if not ON_POSTGRES:
        _fresh_sqlite(migrated_database, url)
    used = []

    def build(**overrides):
        app = _cached_app(url, overrides)
        if app not in used:
            _reset(app, tmp_path)
            used.append(app)
        return app

    yield build
    for app in used:
        with app.app_context():
            db.session.remove()
            if not ON_POSTGRES:  # the next test copies a new file over this one
                db.engine.dispose()
    if ON_POSTGRES and used:
        _empty_postgres(used[0])


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def register_person(app, handle: str, locale: str = "en", name: str | None = None):
    """A registered person (email handle@example.org, the shared test password), detached."""
    with app.test_request_context():  # services expect a request (messages)
        user = accounts.register(f"{handle}@example.org", PASSWORD, name or handle.title(), handle, locale)
        db.session.refresh(user)  # the commit expired it; load it before it leaves the session
        db.session.expunge(user)
        return user


@pytest.fixture
def make_user(app):
    """make_user("minji") → a registered person with the shared test password."""
    return lambda handle, locale="en", name=None: register_person(app, handle, locale, name)


class Auth:
    def __init__(self, client):
        self.client = client

    def login(self, user_or_email, password: str = PASSWORD, **extra):
        email = user_or_email if isinstance(user_or_email, str) else user_or_email.email
        return self.client.post("/login", data={"email": email, "password": password, **extra})

    def logout(self):
        return self.client.post("/logout")


@pytest.fixture
def auth(client):
    return Auth(client)


@dataclass
class Cast:
    """A group and one person in every relation to it."""

    group: object
    admin: object
    facilitator: object
    member: object
    outsider: object

    def person(self, role: str):
        return None if role == "anonymous" else getattr(self, role)


def forget_joins() -> None:
    """Admins hear when someone joins by invitation; a test's setup joins people that way, and
    its tests start from an empty inbox."""
    db.session.execute(delete(Notification).where(Notification.kind == "invitation_accepted"))
    db.session.commit()


def found_group(app, creator, name: str, slug: str, description: str = "We share the work.",
                visibility: str = "private", members=()):
    """The one way tests make a group with people in it: `creator` founds it (and is its admin),
    `members` — (user, role) pairs — join by invitation. Returns the group, detached."""
    with app.test_request_context():  # services expect a request (messages)
        group = groups.create_group(db.session.merge(creator), name, slug, description, visibility)
        for person, role in members:
            _, token = groups.create_invitation(db.session.merge(creator), group, role, 7, None)
            groups.accept_invitation(db.session.merge(person), token)
        forget_joins()
        db.session.refresh(group)
        db.session.expunge_all()
        return group


@pytest.fixture
def make_cast(app, make_user):
    """make_cast("coop", "private") → a group whose admin, facilitator and member are set up."""

    def make(slug: str = "coop", visibility: str = "private"):
        admin, facilitator, member, outsider = (
            make_user(f"{slug}admin"), make_user(f"{slug}fac"), make_user(f"{slug}member"), make_user(f"{slug}out")
        )
        group = found_group(app, admin, f"{slug.title()} Co-op", slug, visibility=visibility,
                            members=((facilitator, "facilitator"), (member, "member")))
        return Cast(group, admin, facilitator, member, outsider)

    return make


@pytest.fixture
def cast(make_cast):
    return make_cast()


ROLES = ["anonymous", "outsider", "member", "facilitator", "admin"]
