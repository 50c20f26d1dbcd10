from flask import Blueprint

bp = Blueprint("labour", __name__)

from app.labour import routes  # noqa: E402,F401
