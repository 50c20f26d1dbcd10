"""The group's memory: threads with nested comments, documents, attachments, reactions, read state, the timeline and the export.

The blueprint lives in `routes`; the app factory (`app.web`) registers it.
"""
