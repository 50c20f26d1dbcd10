"""Counting the SQL a page runs, for the no-N+1 tests."""
from contextlib import contextmanager

from sqlalchemy import event

from app.core.extensions import db


@contextmanager
def counting_queries(app):
    """Every SQL statement the app runs inside the block, in a list."""
    with app.app_context():
        engine = db.engine
    statements: list[str] = []

    def before(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", before)
