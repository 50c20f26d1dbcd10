"""No N+1: a group page runs the same number of SQL queries whatever the number of rows it shows."""
from contextlib import contextmanager

import pytest
from sqlalchemy import event

from app.accounts.models import User
from app.core.extensions import db
from app.groups import services
from tests.groups.helpers import group, invite


@contextmanager
def counting(app):
    """Collect every SQL statement the app sends while the block runs."""
    with app.app_context():
        engine = db.engine
    statements = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def queries(app, client, path) -> int:
    client.get(path)  # warm up: first-request work isn't what we measure
    with counting(app) as statements:
        assert client.get(path).status_code == 200
    return len(statements)


def grow(app, make_user, members=0, working_groups=0, start=0):
    """Add people to the co-op (by link) and to its first working group; start more working groups."""
    people = [make_user(f"person{start + i}") for i in range(members)]
    with app.test_request_context():
        coop, circle = group("coop"), group("circle-0")
        admin = db.session.get(User, coop.created_by_id)
        for person in people:
            invite(admin, coop, db.session.get(User, person.id))
            services.add_to_working_group(admin, circle, person.id)
        for i in range(start, start + working_groups):
            services.create_group(admin, f"Circle {i}", f"circle-{i}", "", "private", coop)


@pytest.fixture
def sizes(app, client, auth, make_cast, make_user):
    """Queries for a page of a small co-op (3 members, 1 working group), then of it grown to 30 and 5."""

    def measure(path, viewer="admin", visibility="private"):
        cast = make_cast("coop", visibility)
        grow(app, make_user, working_groups=1)
        if viewer != "anonymous":
            auth.login(cast.person(viewer))
        small = queries(app, client, path)
        grow(app, make_user, members=27, working_groups=4, start=1)
        return small, queries(app, client, path)

    return measure


@pytest.mark.parametrize("viewer", ["admin", "member"])
def test_members_page_runs_a_fixed_number_of_queries(sizes, viewer):
    small, large = sizes("/g/coop/members", viewer)
    assert small == large


def test_working_group_members_page_runs_a_fixed_number_of_queries(sizes):
    small, large = sizes("/g/circle-0/members", "admin")
    assert small == large


@pytest.mark.parametrize("viewer", ["admin", "member"])
def test_group_home_runs_a_fixed_number_of_queries(sizes, viewer):
    small, large = sizes("/g/coop", viewer)
    assert small == large


def test_public_group_home_runs_a_fixed_number_of_queries_for_anonymous_readers(sizes):
    small, large = sizes("/g/coop", "anonymous", "public")
    assert small == large


def test_my_groups_runs_a_fixed_number_of_queries(sizes):
    small, large = sizes("/groups", "admin")
    assert small == large
