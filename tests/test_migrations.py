"""The migrations build exactly the schema the models describe, and the app runs on it."""
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, update
from sqlalchemy.exc import IntegrityError

from app import PACKAGE
from app.core.database import utcnow
from app.core.extensions import db
from app.groups import services
from app.groups.models import Membership
from tests.conftest import ON_POSTGRES


def differences(app) -> list:
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True, "compare_server_default": True})
        return compare_metadata(context, db.metadata)


def test_migrated_schema_matches_the_models(app):
    assert differences(app) == []


def test_database_is_at_the_newest_migration(app):
    heads = ScriptDirectory(str(PACKAGE / "migrations")).get_heads()
    assert len(heads) == 1, "two migration branches: merge them"
    with app.app_context(), db.engine.connect() as connection:
        assert MigrationContext.configure(connection).get_current_heads() == tuple(heads)


@pytest.mark.skipif(ON_POSTGRES, reason="rebuilds the schema; the PostgreSQL run shares one database")
def test_migrations_go_down_and_up_again(app):
    with app.app_context():
        downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        upgrade()
    assert differences(app) == []


def test_the_app_works_on_the_migrated_database(client, auth, make_user):
    auth.login(make_user("minji"))
    data = {"name": "Sunshine", "slug": "sunshine", "description": "We *share*.", "visibility": "private"}
    assert client.post("/groups/new", data=data).status_code == 302
    page = client.get("/g/sunshine").get_data(as_text=True)
    assert "Minji started Sunshine." in page and "<em>share</em>" in page


def test_the_migrated_database_allows_one_current_membership_per_person(app, make_user):
    person = make_user("minji")
    with app.test_request_context():
        group_id = services.create_group(db.session.merge(person), "Sunshine", "sunshine", "", "private").id
        db.session.add(Membership(group_id=group_id, user_id=person.id))
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()
        db.session.execute(update(Membership).values(left_at=utcnow()))
        db.session.add(Membership(group_id=group_id, user_id=person.id))  # a new stint after leaving is fine
        db.session.commit()


def test_the_migrated_database_checks_capacity_and_role(app, make_user):
    person = make_user("minji")
    with app.test_request_context():
        group_id = services.create_group(db.session.merge(person), "Sunshine", "sunshine", "", "private").id
        for values in ({"capacity_percent": 5}, {"role": "owner"}):
            with pytest.raises(IntegrityError):
                db.session.execute(update(Membership).where(Membership.group_id == group_id).values(**values))
                db.session.flush()
            db.session.rollback()
