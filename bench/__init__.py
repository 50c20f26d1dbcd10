"""Benchmarks: `python -m bench.<name>` builds its data, measures, and prints JSON lines.

Each line is `{"bench": ..., "metric": ..., "value": N, "unit": ...}` (README.md, "Benchmarks").
Benchmarks are not timed tests: they report, and exit non-zero only when a rule they check
(such as "a page runs a fixed number of queries") is broken.

The data goes into a temporary SQLite database migrated with Flask-Migrate. To measure on
PostgreSQL instead, point BENCH_DATABASE_URL at a database of its own, with "bench" in its
name (its `public` schema is dropped and rebuilt): never at one that holds anything you want
to keep, nor at the test suite's.
"""
import json
import os
import statistics
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

from flask_migrate import upgrade
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import make_url

from app.web import create_app
from app.core.config import TestConfig, from_env
from app.core.extensions import db

PASSWORD = "correct horse battery"
RUNS = 30  # measured requests per page
WARMUP = 3  # requests first, unmeasured: template compilation, caches, the reader's read state


def emit(bench: str, metric: str, value, unit: str) -> None:
    print(json.dumps({"bench": bench, "metric": metric, "value": value, "unit": unit}), flush=True)


def note(message: str) -> None:
    """Commentary for people, on stderr, so stdout stays pure JSON lines."""
    print(message, file=sys.stderr, flush=True)


@contextmanager
def bench_app(url: str | None = None, **overrides):
    """An app on a freshly migrated, empty database; removed afterwards. `url` (default:
    BENCH_DATABASE_URL, else a temporary SQLite file) and `overrides` (settings) may be given.

    Build data inside `with app.app_context():`, but make requests outside it: a request that
    finds an app context already pushed reuses it, and with it the database session and `g`,
    so it would see rows an earlier request loaded and run fewer queries than a real one.
    """
    url = url if url is not None else os.environ.get("BENCH_DATABASE_URL", "")
    with tempfile.TemporaryDirectory(prefix="canoe-bench-") as tmp:
        if url.startswith("postgresql"):
            if "bench" not in (make_url(url).database or ""):
                raise SystemExit("bench: BENCH_DATABASE_URL must name a database of the benchmark's own "
                                 "(with 'bench' in its name, e.g. test_bench): its schema is dropped.")
            engine = create_engine(url)
            with engine.begin() as conn:
                conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
            engine.dispose()
        else:
            url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        settings = from_env(TestConfig)
        # As in tests (fast password hashing, no CSRF or rate limits for the test client),
        # but not TESTING: errors are handled as in production.
        settings.update(SQLALCHEMY_DATABASE_URI=url, TESTING=False, DEBUG=False, **overrides)
        app = create_app(settings)
        app.instance_path = str(Path(tmp) / "instance")
        os.makedirs(app.instance_path, exist_ok=True)
        with app.app_context():
            if url.startswith("sqlite"):
                # Throwaway data: skip the fsync on every commit, so building it takes seconds,
                # not minutes. The measured requests only read (after the warm-up).
                event.listen(db.engine, "connect", _unsynchronised)
            upgrade()
        try:
            yield app
        finally:
            with app.app_context():
                db.session.remove()
                db.engine.dispose()


def _unsynchronised(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA synchronous=OFF")
    cursor.close()


class QueryCounter:
    """Counts SQL statements sent through the app's engine while it is attached."""

    def __init__(self, engine):
        self.engine = engine
        self.count = 0

    def _count(self, *_args, **_kwargs):
        self.count += 1

    def __enter__(self):
        self.count = 0
        event.listen(self.engine, "before_cursor_execute", self._count)
        return self

    def __exit__(self, *exc):
        event.remove(self.engine, "before_cursor_execute", self._count)
        return False


def login(app, email: str):
    """A test client logged in as this person, through the login form."""
    client = app.test_client()
    response = client.post("/login", data={"email": email, "password": PASSWORD})
    if response.status_code != 302:
        raise SystemExit(f"bench: could not log in as {email} (HTTP {response.status_code})")
    return client


class Measurement:
    def __init__(self, queries: list[int], times_ms: list[float], cpu_ms: list[float]):
        self.queries_each = queries
        self.times_ms = times_ms
        self.cpu_ms = cpu_ms  # this process's CPU time per request: steadier than the clock on a busy machine

    @property
    def queries(self) -> int:
        return max(self.queries_each)

    @property
    def steady(self) -> bool:
        """Every measured request ran the same number of queries."""
        return len(set(self.queries_each)) == 1

    @property
    def p50(self) -> float:
        return round(statistics.median(self.times_ms), 2)

    @property
    def cpu_p50(self) -> float:
        return round(statistics.median(self.cpu_ms), 2)


def measure(app, client, url: str, runs: int = RUNS, warmup: int = WARMUP) -> Measurement:
    """GET `url` `warmup` times, then `runs` times counting queries and timing each request."""
    with app.app_context():
        engine = db.engine
    for _ in range(warmup):
        _get(client, url)
    queries, times, cpu = [], [], []
    for _ in range(runs):
        with QueryCounter(engine) as counter:
            start, start_cpu = time.perf_counter(), time.process_time()
            _get(client, url)
            times.append((time.perf_counter() - start) * 1000)
            cpu.append((time.process_time() - start_cpu) * 1000)
        queries.append(counter.count)
    return Measurement(queries, times, cpu)


def _get(client, url: str) -> None:
    response = client.get(url)
    if response.status_code != 200:
        raise SystemExit(f"bench: GET {url} answered HTTP {response.status_code}")
    response.close()


def make_users(handles: list[str]) -> list:
    """People with these handles (email handle@example.org, the bench password), inserted in one
    go with the password hashed once."""
    from app.accounts.models import User
    from app.accounts.services import _hash

    password_hash = _hash(PASSWORD)
    users = [
        User(email=f"{handle}@example.org", password_hash=password_hash, display_name=handle.title(),
             handle=handle, locale="en")
        for handle in handles
    ]
    db.session.add_all(users)
    db.session.flush()
    return users
