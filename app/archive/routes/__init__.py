"""The archive's pages: one blueprint (`bp`, made in `common`) with its routes by topic.

Importing this package registers every route on `bp`; the app factory (`app.web`) registers `bp`.
A route loads what the address names (Missing → 404 for what the viewer may not see), asks
`policy` once (`require` → 403) before any form is read, then calls a service and renders a page,
or for htmx a block of that same page from the block's own context builder (`contexts`).
"""
from app.archive.routes import comments, compose, documents, files, threads, timeline  # noqa: F401
from app.archive.routes.common import bp

__all__ = ["bp"]
