"""The group timeline: its events, newest first, narrowed by kind, person, tag and dates; runs of
the same thing told once ("made 4 invitation links"); on the group's home, the group's work first."""
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import selectinload

from app.archive.models import Comment
from app.archive.tags import document_ids_tagged, thread_ids_tagged
from app.core.events import Event
from app.core.extensions import db

EVENT_CATEGORIES = ("group", "member", "invitation", "thread", "comment", "document", "care")


@dataclass
class TimelineFilter:
    category: str | None = None
    person_id: int | None = None
    tag: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    # Working groups the viewer can't read: their start stays out of the co-op's timeline.
    hidden_groups: tuple[int, ...] = ()


def timeline(group_ids: list[int], limit: int = 30, before_id: int | None = None,
             where: TimelineFilter | None = None) -> list[Event]:
    """The newest events of these groups (filtered), with actors loaded in the same round trip."""
    query = (
        select(Event)
        .where(Event.group_id.in_(group_ids))
        .options(selectinload(Event.actor), selectinload(Event.group))
        .order_by(Event.id.desc())
        .limit(limit)
    )
    if before_id is not None:
        query = query.where(Event.id < before_id)
    if where is not None:
        query = _filtered(query, where)
    return list(db.session.scalars(query))


def _filtered(query, where: TimelineFilter):
    if where.hidden_groups:
        query = query.where(~and_(Event.target_type == "group", Event.target_id.in_(where.hidden_groups)))
    if where.category in EVENT_CATEGORIES:
        query = query.where(Event.kind.startswith(where.category + "."))
    if where.person_id:
        query = query.where(Event.actor_id == where.person_id)
    if where.since:
        query = query.where(Event.created_at >= where.since)
    if where.until:
        query = query.where(Event.created_at < where.until)
    if where.tag:
        tagged_threads, tagged_documents = thread_ids_tagged(where.tag), document_ids_tagged(where.tag)
        tagged_comments = select(Comment.id).where(Comment.thread_id.in_(tagged_threads))
        query = query.where(
            or_(
                and_(Event.target_type == "thread", Event.target_id.in_(tagged_threads)),
                and_(Event.target_type == "document", Event.target_id.in_(tagged_documents)),
                and_(Event.target_type == "comment", Event.target_id.in_(tagged_comments)),
            )
        )
    return query


# ---------------------------------------------------------------- telling it


# What one person may do several times in a row that reads as one line with a count. Each has a
# sentence with a number in archive/_timeline.html. Only the same person, kind and thing count as
# a repeat: four replies to one thread are one line, replies to two threads are two.
REPEATABLE = frozenset({"invitation.created", "invitation.revoked", "care.task_saved", "comment.added",
                        "document.edited", "proposal.amended"})
# Keeping the group itself: on the home page these fold into one line, so what the group talks
# about, decides and looks after leads. The full timeline shows them one by one.
ADMIN_KINDS = ("member.", "invitation.", "group.updated")


@dataclass
class Entry:
    """One line of the timeline: an event, or a run of the same one (`count` of them; `event` is
    the newest, whose time the line shows)."""

    event: Event
    count: int = 1


def _same_thing(event: Event) -> tuple:
    payload = event.payload or {}
    about = payload.get("thread_id") if event.kind == "comment.added" else event.target_id
    if event.kind in ("invitation.created", "care.task_saved"):
        about = None  # each is a new thing; what matters is how many
    return event.kind, event.actor_id, event.group_id, about


def collapse(events: list[Event]) -> list[Entry]:
    """Consecutive repeats (same person, same kind, same thing; see REPEATABLE) as one entry.

    Pure: the events are already loaded, newest first, and stay in that order.
    """
    entries: list[Entry] = []
    for event in events:
        last = entries[-1] if entries else None
        if last and event.kind in REPEATABLE and _same_thing(last.event) == _same_thing(event):
            last.count += 1
        else:
            entries.append(Entry(event))
    return entries


def is_admin(event: Event) -> bool:
    return event.kind.startswith(ADMIN_KINDS)


@dataclass
class HomeTimeline:
    """The group home's timeline: the work, collapsed, and how many admin events were folded away."""

    entries: list[Entry]
    folded: int = 0


def home_timeline(events: list[Event]) -> HomeTimeline:
    """Threads, documents, decisions and care lead; joining, roles, invitations and settings fold
    into one count. A group with nothing else yet (just made) shows those, so its home isn't empty."""
    work = [e for e in events if not is_admin(e)]
    if not work:
        return HomeTimeline(collapse(events))
    return HomeTimeline(collapse(work), folded=len(events) - len(work))
