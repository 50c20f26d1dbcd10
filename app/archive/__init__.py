"""The group's memory: threads with nested comments, documents, attachments, reactions, read state, the timeline and the export.

Rooms by topic: `policy` decides who may do what; `threads`, `comments` (with the one comment
tree), `reactions`, `documents`, `attachments` (files riding on posts; `files` keeps their bytes),
`read_state`, `tags`, `mentions` and `timeline` read and write; `contexts` builds what the thread
page and each of its htmx blocks show; `routes` is the blueprint, which the app factory
(`app.web`) registers.
"""
