"""Search fixtures: every test runs on each backend this database can hold.

SQLite runs the embedded (whoosh) backend; PostgreSQL runs both whoosh and the postgres
backend, so every behaviour is checked on both backends in CI's PostgreSQL run.
"""
from contextlib import contextmanager

import pytest

from app.core.extensions import db
from app.groups.models import Group
from app.search import service
from tests.archive.archive_helpers import ArchiveScene
from tests.conftest import ON_POSTGRES

BACKENDS = ["whoosh", "postgres"] if ON_POSTGRES else ["whoosh"]


@pytest.fixture(params=BACKENDS)
def backend_name(request):
    return request.param


@pytest.fixture
def app(make_app, backend_name):
    """The shared `app` fixture, on this test's backend (client, make_user… all follow), with
    its index made as `flask search reindex` makes it on a new site."""
    return with_index(make_app(CANOE_SEARCH_BACKEND=backend_name, CANOE_SEARCH_SYNC=True))


def with_index(app):
    with app.app_context():
        service.rebuild()
    return app


class Finder:
    """Searches as someone, in a request context of its own."""

    def __init__(self, app):
        self.app = app

    @contextmanager
    def ctx(self):
        with self.app.test_request_context():
            yield

    def page(self, who, text: str, **options):
        from app.accounts.models import User

        with self.ctx():
            viewer = db.session.get(User, who.id) if who is not None else _anonymous()
            return service.search(viewer, text, **options)

    def keys(self, who, text: str, **options) -> set[tuple[str, int]]:
        found = self.page(who, text, per_page=100, **options)
        return {(h.kind, h.item_id) for h in found.hits}

    def total(self, who, text: str, **options) -> int:
        return self.page(who, text, **options).total


def _anonymous():
    from flask_login import AnonymousUserMixin

    return AnonymousUserMixin()


@pytest.fixture
def finder(app):
    return Finder(app)


@pytest.fixture
def scene(app, cast):
    return ArchiveScene(app, cast)


def group_id(app, slug: str) -> int:
    with app.app_context():
        return db.session.scalar(db.select(Group.id).where(Group.slug == slug))
