"""The probes: /healthz while the process runs, /readyz only when the database answers at the migrations' head."""
from sqlalchemy import text

from app.core.config import TestConfig, from_env
from app.core.extensions import db
from app.web import create_app


def unreachable_app(tmp_path):
    """An app whose database can't be opened: its folder doesn't exist."""
    settings = {**from_env(TestConfig), "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/missing-folder/none.db"}
    app = create_app(settings)
    app.instance_path = str(tmp_path)
    return app


def test_healthz_answers_while_the_database_does_not(tmp_path):
    response = unreachable_app(tmp_path).test_client().get("/healthz")
    assert response.status_code == 200 and response.json == {"status": "ok"}


def test_readyz_is_ready_on_a_migrated_database(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok", "migrations": "current"}


def test_readyz_says_migrations_are_behind(app, client):
    with app.app_context():
        current = db.session.scalar(text("SELECT version_num FROM alembic_version"))
        db.session.execute(text("UPDATE alembic_version SET version_num = 'older'"))
        db.session.commit()
    try:
        response = client.get("/readyz")
        assert response.status_code == 503 and response.json["migrations"] == "behind"
        assert response.headers["Retry-After"] == "30"
    finally:
        with app.app_context():
            db.session.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": current})
            db.session.commit()


def test_readyz_is_unavailable_when_the_database_does_not_answer(tmp_path):
    response = unreachable_app(tmp_path).test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json == {"status": "unavailable", "database": "unreachable"}
    assert response.headers["Retry-After"] == "5"
