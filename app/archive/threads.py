"""Threads: started, edited, closed, pinned and deleted by the people the policy names; listed with unread counts.

Every change says what happened (`core.events.happened`) in the same transaction and renders
markdown once, at write time.
"""
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.archive import policy
from app.archive.mentions import mention_once
from app.archive.models import Tag, Thread
from app.archive.read_state import mark_read, unread_counts
from app.archive.tags import make_tags
from app.core.database import utcnow
from app.core.errors import Missing, require
from app.core.events import happened
from app.core.extensions import db
from app.core.revisions import revise
from app.core.text import check_text, check_title
from app.groups.mentions import render_in
from app.groups.models import Group

PER_PAGE = 25


def thread_for(user, thread_id: int) -> Thread:
    """A thread this person may read (deleted ones included, shown as deleted); else Missing."""
    thread = db.session.scalar(
        select(Thread)
        .where(Thread.id == thread_id)
        .options(selectinload(Thread.group).selectinload(Group.parent), selectinload(Thread.author), selectinload(Thread.tags))
    )
    if thread is None or not policy.can_read(user, thread.group):
        raise Missing()
    return thread


def live_thread_for(user, thread_id: int) -> Thread:
    """A thread this person may read that is not deleted: a deleted one is gone from the pages."""
    thread = thread_for(user, thread_id)
    if thread.deleted_at is not None:
        raise Missing()
    return thread


def start_thread(user, group: Group, title: str, body: str, tags: list[str] | None = None,
                 commit: bool = True) -> Thread:
    """A member starts a thread; it is their first revision, and mentions notify once.

    `commit=False` lets a caller (a proposal) make the thread part of its own transaction.
    """
    require(policy.can_post(user, group))
    title, body = check_title(title), check_text(body)
    html, mentioned = render_in(group, body)
    thread = Thread(group=group, author_id=user.id, title=title, body_md=body, body_html=html,
                    tags=make_tags(group, tags or []))
    db.session.add(thread)
    db.session.flush()
    revise(thread, user, body, title)
    mention_once(user, group, thread, mentioned, title, thread.id)
    happened("thread.started", group, user, thread, title=title)
    mark_read(user, thread)
    if commit:
        db.session.commit()
    return thread


def edit_thread(user, thread: Thread, title: str, body: str, tags: list[str] | None = None) -> Thread:
    """The author edits; the old words stay as a revision and the thread shows "edited"."""
    require(policy.can_edit(user, thread))
    title, body = check_title(title), check_text(body)
    new_tags = make_tags(thread.group, tags) if tags is not None else thread.tags
    if title == thread.title and body == thread.body_md and new_tags == thread.tags:
        return thread
    html, mentioned = render_in(thread.group, body)
    thread.title, thread.body_md, thread.body_html, thread.tags = title, body, html, new_tags
    thread.edited_at = utcnow()
    revise(thread, user, body, title)
    mention_once(user, thread.group, thread, mentioned, title, thread.id)
    db.session.commit()
    return thread


def set_closed(user, thread: Thread, closed: bool) -> None:
    """Closed threads take no new comments. The author or a facilitator closes and reopens."""
    require(policy.can_close(user, thread))
    if thread.closed != closed:
        thread.closed = closed
        happened("thread.closed" if closed else "thread.reopened", thread.group, user, thread, title=thread.title)
        db.session.commit()


def set_pinned(user, thread: Thread, pinned: bool) -> None:
    """Pinned threads head the list. Facilitators pin and unpin."""
    require(policy.can_pin(user, thread))
    if thread.pinned != pinned:
        thread.pinned = pinned
        happened("thread.pinned" if pinned else "thread.unpinned", thread.group, user, thread, title=thread.title)
        db.session.commit()


def delete_thread(user, thread: Thread) -> None:
    """Soft delete by the author or an admin: gone from lists, kept for the record."""
    require(policy.can_delete(user, thread))
    thread.deleted_at = utcnow()
    happened("thread.deleted", thread.group, user, thread, title=thread.title)
    db.session.commit()


@dataclass
class ThreadRow:
    thread: Thread
    unread: int  # comments not yet seen; -1 when the whole thread is new to this person


def thread_list(user, group: Group, tag: str | None = None, author_id: int | None = None,
                page: int = 1) -> tuple[list[ThreadRow], bool]:
    """Pinned first, then by last activity; with unread counts, in a fixed number of queries."""
    query = (
        select(Thread)
        .where(Thread.group_id == group.id, Thread.deleted_at.is_(None))
        .options(selectinload(Thread.author), selectinload(Thread.tags))
        .order_by(Thread.pinned.desc(), Thread.last_activity_at.desc(), Thread.id.desc())
        .offset((max(page, 1) - 1) * PER_PAGE)
        .limit(PER_PAGE + 1)
    )
    if tag:
        query = query.where(Thread.tags.any(Tag.name == tag.lower()))
    if author_id:
        query = query.where(Thread.author_id == author_id)
    threads = list(db.session.scalars(query))
    more = len(threads) > PER_PAGE
    threads = threads[:PER_PAGE]
    # Only members keep read state (see `read_state.visit`).
    unread = unread_counts(user, [t.id for t in threads]) if policy.can_post(user, group) else {}
    return [ThreadRow(t, unread.get(t.id, 0)) for t in threads], more
