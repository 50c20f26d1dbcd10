from flask import Blueprint

bp = Blueprint("archive", __name__)

from app.archive import routes  # noqa: E402,F401
