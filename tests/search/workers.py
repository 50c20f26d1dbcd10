"""Run in separate processes by the sync tests: several app servers writing at once."""
import os


def write_threads(database_url: str, instance_path: str, backend: str, slug: str, author_id: int, prefix: str, count: int):
    os.environ.pop("PYTEST_XDIST_WORKER", None)
    from app.web import create_app
    from app.accounts.models import User
    from app.archive import threads
    from app.core.config import TestConfig, from_env
    from app.core.extensions import db
    from app.groups.models import Group

    settings = from_env(TestConfig)
    settings.update(SQLALCHEMY_DATABASE_URI=database_url, CANOE_SEARCH_BACKEND=backend, CANOE_SEARCH_LOCK_TIMEOUT=0.5,
                    CANOE_SEARCH_SYNC=True)
    app = create_app(settings)
    app.instance_path = instance_path
    for i in range(count):
        with app.test_request_context():
            group = db.session.scalar(db.select(Group).where(Group.slug == slug))
            threads.start_thread(db.session.get(User, author_id), group, f"{prefix} {i}", f"{prefix} 노동 {i}")
    with app.app_context():
        db.engine.dispose()
