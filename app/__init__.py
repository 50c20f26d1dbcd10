"""Canoe: a calm workspace for small working groups and cooperatives.

The package holds its templates, static files, migrations and compiled catalogs, so an
installed Canoe needs nothing from the source tree. The app factory is `app.web.create_app`.
"""
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
