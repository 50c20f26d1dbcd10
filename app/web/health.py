"""Probes for load balancers and container platforms: is this process alive, may it take traffic.

`/healthz` answers while the process runs, without touching the database, so a platform
doesn't restart a worker because the database blinked. `/readyz` says whether this worker can
serve pages now: the database answers and its schema is at the migrations' head.
"""
from alembic.script import ScriptDirectory
from flask import Blueprint, current_app
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from app import PACKAGE
from app.core.extensions import db

bp = Blueprint("health", __name__)
HEADS = frozenset(ScriptDirectory(str(PACKAGE / "migrations")).get_heads())


@bp.route("/healthz")
def alive():
    return {"status": "ok"}


@bp.route("/readyz")
def ready():
    try:
        applied = set(db.session.scalars(text("SELECT version_num FROM alembic_version")))
    except SQLAlchemyError as error:
        db.session.rollback()
        current_app.logger.warning("not ready: the database did not answer (%s)", type(error).__name__)
        return {"status": "unavailable", "database": "unreachable"}, 503, {"Retry-After": "5"}
    if applied != HEADS:
        return {"status": "unavailable", "database": "ok", "migrations": "behind"}, 503, {"Retry-After": "30"}
    return {"status": "ok", "database": "ok", "migrations": "current"}
