"""One seeded world per test module: seeding every kind of thing takes a few seconds, and the
fuzzer and the crawl each run many tests against the same world.

Built like the suite's `make_app` (a copy of the migrated SQLite template, or this worker's
PostgreSQL schema, emptied again afterwards), with CSRF protection on, as in production.
"""
import os
import shutil

import pytest

from app.web import create_app
from app.core.extensions import db
from tests.conftest import ON_POSTGRES, POSTGRES_URL, _empty_postgres, _settings
from tests.security.world import seed_world


@pytest.fixture(scope="module")
def world_app(migrated_database, tmp_path_factory):
    folder = tmp_path_factory.mktemp("security")
    if ON_POSTGRES:
        url = POSTGRES_URL
    else:
        shutil.copy(migrated_database, folder / "canoe.db")
        url = f"sqlite:///{folder / 'canoe.db'}"
    app = create_app(_settings(url, WTF_CSRF_ENABLED=True))
    app.instance_path = str(folder / "instance")
    os.makedirs(app.instance_path, exist_ok=True)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    if ON_POSTGRES:
        _empty_postgres(app)


@pytest.fixture(scope="module")
def world(world_app):
    return seed_world(world_app)
