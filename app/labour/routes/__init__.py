"""The care-work pages: one blueprint (`bp`, made in `common`) with its routes by topic.

Importing this package registers every route on `bp`; the app factory (`app.web`) registers `bp`.
Each route is thin: load what the URL names (missing if the viewer may not see it), ask `policy`
once, before any form is read, then parse the form → call the service → redirect, or with htmx
send back the page's block that changed. Bad input re-renders the page with the message next to
what caused it, with a 4xx status.
"""
from app.labour.routes import availability, calendar, mine, recognition, rota, slots, tasks  # noqa: F401
from app.labour.routes.common import bp

__all__ = ["bp"]
