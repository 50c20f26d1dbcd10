"""The group timeline: its events, newest first, narrowed by kind, person, tag and dates."""
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
