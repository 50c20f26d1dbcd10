"""Keeping the index in step with the database, from the session's own events.

Flushes note which searchable items changed; just before the commit their rows go into the
search backlog, in the same transaction (an outbox: saved with the change or not at all);
`after_commit` indexes them once the change is saved, never inside the transaction, so a
locked or broken index can't undo a person's work. A rollback forgets what it noted.
"""
from flask import current_app, has_app_context
from flask_sqlalchemy.session import Session as FlaskSession
from sqlalchemy import event, inspect, select

from app.archive.models import Comment, Document, Thread
from app.decisions.models import Outcome, PollOption, Proposal
from app.labour.models import CareTask
from app.search import service

PENDING = "canoe.search.pending"
CASCADE = "canoe.search.threads"

# The attributes an entry is made of: a change to anything else (a thread's comment count,
# a proposal's tally) leaves the index alone.
WATCHED = {
    Thread: ("title", "body_html", "deleted_at", "group_id"),
    Comment: ("body_html", "deleted_at"),
    Document: ("title", "body_html", "folder", "deleted_at"),
    Proposal: ("title", "body_html", "status", "opened_at"),
    CareTask: ("name", "description"),
    PollOption: ("label",),
    Outcome: ("statement_html",),
}


def _key(obj) -> tuple[str, int] | None:
    if isinstance(obj, (PollOption, Outcome)):
        return ("proposal", obj.proposal_id) if obj.proposal_id else None
    kind = {Thread: "thread", Comment: "comment", Document: "document", Proposal: "proposal", CareTask: "care_task"}
    return (kind[type(obj)], obj.id) if obj.id is not None else None


def _changed(obj, names) -> bool:
    state = inspect(obj)
    return any(state.attrs[name].history.has_changes() for name in names)


def _after_flush(session, _context) -> None:
    pending = session.info.setdefault(PENDING, set())
    cascade = session.info.setdefault(CASCADE, set())
    for obj in (*session.new, *session.dirty, *session.deleted):
        names = WATCHED.get(type(obj))
        if names is None or (obj in session.dirty and not _changed(obj, names)):
            continue
        if (key := _key(obj)) is not None:
            pending.add(key)
        # A thread's title heads its comments' entries; deleting it takes them out.
        if isinstance(obj, Thread) and obj in session.dirty and _changed(obj, ("title", "deleted_at", "group_id")):
            cascade.add(obj.id)


def _keeping_index() -> bool:
    return has_app_context() and current_app.config["CANOE_SEARCH_SYNC"]


def _before_commit(session) -> None:
    """While the transaction is open: the comments of a renamed or deleted thread, and the
    backlog rows of everything the commit changes."""
    session.flush()
    pending = session.info.setdefault(PENDING, set())
    cascade = session.info.pop(CASCADE, set())
    if cascade:
        ids = session.scalars(select(Comment.id).where(Comment.thread_id.in_(cascade)))
        pending.update(("comment", i) for i in ids)
    if pending and _keeping_index():
        session.execute(service.outbox_statement(sorted(pending), session.connection().dialect.name))


def _after_commit(session) -> None:
    pending = session.info.pop(PENDING, None)
    if pending and _keeping_index():
        service.index_committed(pending)


def _forget(session, _previous_transaction=None) -> None:
    session.info.pop(PENDING, None)
    session.info.pop(CASCADE, None)


def listen() -> None:
    """Once per process: every Flask-SQLAlchemy session takes part."""
    if event.contains(FlaskSession, "after_commit", _after_commit):
        return
    event.listen(FlaskSession, "after_flush", _after_flush)
    event.listen(FlaskSession, "before_commit", _before_commit)
    event.listen(FlaskSession, "after_commit", _after_commit)
    event.listen(FlaskSession, "after_rollback", _forget)
