"""When the database can't be reached: which errors mean that, and the request's note that it happened.

`app.core.security` turns such an error into a 503 page that needs no database. Once a request
has met one, `database_down()` is true for the rest of it, so the code that would otherwise ask
the database who is logged in (the language chosen, the caching headers) stops asking.
"""
from flask import current_app, g, has_app_context
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from app.core.extensions import db

RETRY_AFTER = 15  # seconds: the Retry-After a page sends while the database is away


def is_outage(error) -> bool:
    """Whether `error`, or an error that led to it, says the database is out of reach.

    Walks `__cause__`/`__context__`, because the error a request dies of is not always the
    first one: a template that fails after the user loader did, an error page that fails to render.
    """
    seen = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if _unreachable(error):
            return True
        error = error.__cause__ or error.__context__
    return False


def _unreachable(error) -> bool:
    if isinstance(error, PoolTimeout):  # every pooled connection is stuck waiting on the database
        return True
    if not isinstance(error, DBAPIError):
        return False
    if error.connection_invalidated or isinstance(error, InterfaceError):
        return True
    return isinstance(error, OperationalError) and not _sql_mistake(error)


def _sql_mistake(error: DBAPIError) -> bool:
    """SQLite reports a bad statement or a missing table as an OperationalError too
    (SQLITE_ERROR). That is a bug in Canoe, not an outage: it stays a loud 500."""
    return getattr(error.orig, "sqlite_errorname", None) == "SQLITE_ERROR"


def mark_down() -> None:
    """Note, for the rest of this request, that the database did not answer."""
    g.database_down = True


def database_down() -> bool:
    """Whether this request has already found the database out of reach."""
    return has_app_context() and g.get("database_down", False)


def rollback_quietly() -> None:
    """Roll the session back; if the connection is already gone there is nothing to roll back."""
    try:
        db.session.rollback()
    except SQLAlchemyError:
        pass


def release_session(_exc=None) -> None:
    """End the request's session even when its connection died under it.

    Flask-SQLAlchemy's own teardown (`session.remove()`) rolls back over the connection; if the
    database went away mid-request that rollback raises, and an error in teardown reaches the
    server as its bare "Internal Server Error" after the page was already made. Registered after
    Flask-SQLAlchemy, so it runs first and leaves that teardown nothing to do.
    """
    try:
        db.session.remove()
    except SQLAlchemyError as error:
        if not is_outage(error):
            raise
        db.session.registry.clear()  # drop the broken session; the pool already invalidated its connection
        current_app.logger.warning("database went away before the request ended (%s)", type(error).__name__)
