"""The archive's services. For now: the group timeline, the spine every feature writes to."""
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.archive.models import Event
from app.extensions import db


def record_event(group, actor, kind: str, target=None, **payload) -> Event:
    """Add a fact to the group's history. The caller's commit makes it stick with the change."""
    event = Event(
        group=group,
        actor=actor,
        kind=kind,
        target_type=type(target).__name__.lower() if target is not None else None,
        target_id=getattr(target, "id", None),
        payload=payload,
    )
    db.session.add(event)
    return event


def timeline(group_ids: list[int], limit: int = 30, before_id: int | None = None) -> list[Event]:
    """The newest events of these groups, with actors loaded in the same round trip."""
    query = (
        select(Event)
        .where(Event.group_id.in_(group_ids))
        .options(selectinload(Event.actor), selectinload(Event.group))
        .order_by(Event.id.desc())
        .limit(limit)
    )
    if before_id is not None:
        query = query.where(Event.id < before_id)
    return list(db.session.scalars(query))
