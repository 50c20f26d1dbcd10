"""In-app notifications: who is told about what. Never the person who did it."""
from sqlalchemy import func, select, update
from sqlalchemy.orm import selectinload
from werkzeug.exceptions import NotFound

from app.database import utcnow
from app.extensions import db
from app.notifications.models import Notification


def notify(user_ids, kind: str, actor, group, target, **payload) -> list[Notification]:
    """Queue one notification per person (the actor excluded); the caller's commit sends them."""
    actor_id = getattr(actor, "id", None)
    made = []
    for user_id in sorted(set(user_ids) - {actor_id}):
        note = Notification(
            user_id=user_id,
            group_id=getattr(group, "id", None),
            actor_id=actor_id,
            kind=kind,
            target_type=type(target).__name__.lower() if target is not None else None,
            target_id=getattr(target, "id", None),
            payload=payload,
        )
        db.session.add(note)
        made.append(note)
    return made


def unread_count(user) -> int:
    return db.session.scalar(
        select(func.count()).select_from(Notification).where(Notification.user_id == user.id, Notification.read_at.is_(None))
    )


def inbox(user, page: int = 1, per_page: int = 30) -> list[Notification]:
    return list(
        db.session.scalars(
            select(Notification)
            .where(Notification.user_id == user.id)
            .options(selectinload(Notification.actor), selectinload(Notification.group))
            .order_by(Notification.id.desc())
            .offset((max(page, 1) - 1) * per_page)
            .limit(per_page)
        )
    )


def mark_read(user, notification_id: int) -> Notification:
    """A person reads their own notifications only; anyone else's is not there (404)."""
    note = db.session.get(Notification, notification_id)
    if note is None or note.user_id != user.id:
        raise NotFound()
    if note.read_at is None:
        note.read_at = utcnow()
        db.session.commit()
    return note


def mark_all_read(user) -> None:
    db.session.execute(
        update(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
    )
    db.session.commit()
