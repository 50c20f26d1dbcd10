"""Search across a group's whole history (DESIGN §7): one interface, two backends."""
from flask import Blueprint

bp = Blueprint("search", __name__)

from app.search import models, routes  # noqa: E402,F401
