"""Search across a group's whole history: one interface, two backends (PostgreSQL, whoosh).

The blueprint lives in `routes`; the app factory (`app.web`) registers it.
"""
