"""Run in separate processes by the sync tests and drills: app servers writing at once, dying
at the worst moment, finding the index gone."""
import os
import signal
import time


def _app(database_url: str, instance_path: str, backend: str):
    os.environ.pop("PYTEST_XDIST_WORKER", None)
    from app.web import create_app
    from app.core.config import TestConfig, from_env

    settings = from_env(TestConfig)
    settings.update(SQLALCHEMY_DATABASE_URI=database_url, CANOE_SEARCH_BACKEND=backend, CANOE_SEARCH_LOCK_TIMEOUT=0.5,
                    CANOE_SEARCH_SYNC=True)
    app = create_app(settings)
    app.instance_path = instance_path
    return app


def _start_thread(app, slug: str, author_id: int, title: str, body: str) -> None:
    from app.accounts.models import User
    from app.archive import threads
    from app.core.extensions import db
    from app.groups.models import Group

    with app.test_request_context():
        group = db.session.scalar(db.select(Group).where(Group.slug == slug))
        threads.start_thread(db.session.get(User, author_id), group, title, body)


def write_threads(database_url: str, instance_path: str, backend: str, slug: str, author_id: int, prefix: str, count: int,
                  pause: float = 0):
    app = _app(database_url, instance_path, backend)
    for i in range(count):
        _start_thread(app, slug, author_id, f"{prefix} {i}", f"{prefix} 노동 {i}")
        time.sleep(pause)
    with app.app_context():
        from app.core.extensions import db

        db.engine.dispose()


def write_then_die(database_url: str, instance_path: str, backend: str, slug: str, author_id: int, title: str):
    """Commits a thread and is killed (SIGKILL) in the instant after the commit, before the
    index hears of it."""
    from app.search import service

    app = _app(database_url, instance_path, backend)
    service.index_committed = lambda _keys: os.kill(os.getpid(), signal.SIGKILL)
    _start_thread(app, slug, author_id, title, f"{title} 노동")


def find_the_index_missing(database_url: str, instance_path: str, backend: str, barrier) -> None:
    """Meets the other process at the barrier, then searches as a request would; exits 10 if
    this process did the rebuild, 11 if it found the other one doing it."""
    from app.search import entries, service

    app = _app(database_url, instance_path, backend)
    build = entries.build

    def slowly(*args, **kwargs):  # a big site: the rebuild takes long enough to overlap
        time.sleep(0.3)
        return build(*args, **kwargs)

    entries.build = slowly
    built, fill = [], service._fill
    service._fill = lambda *args: built.append(True) or fill(*args)
    with app.app_context():
        barrier.wait(30)
        try:
            service.backend()
        except service.Rebuilding:
            pass
        service.wait_for_rebuild(120)
    os._exit(10 if built else 11)
