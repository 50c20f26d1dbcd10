"""Reactions on threads and comments: one of each kind per person, counted for many posts at once."""
from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, select

from app.archive import policy
from app.archive.models import REACTIONS, Comment, Reaction
from app.core.errors import Missing, Refused, require
from app.core.extensions import db


def reactions_for(target_type: str, ids: list[int], user) -> dict[int, dict[str, tuple[int, bool]]]:
    """{target id: {kind: (count, mine?)}} for many targets in one query."""
    if not ids:
        return {}
    me = getattr(user, "id", None) if getattr(user, "is_authenticated", False) else None
    rows = db.session.execute(
        select(Reaction.target_id, Reaction.kind, func.count(), func.sum(case((Reaction.user_id == me, 1), else_=0)))
        .where(Reaction.target_type == target_type, Reaction.target_id.in_(ids))
        .group_by(Reaction.target_id, Reaction.kind)
    ).all()
    result: dict[int, dict[str, tuple[int, bool]]] = {}
    for target_id, kind, count, mine in rows:
        result.setdefault(target_id, {})[kind] = (count, bool(mine))
    return result


def toggle_reaction(user, target, kind: str) -> bool:
    """One of each reaction per person: adds it, or takes it back. Returns whether it is now on."""
    group = target.thread.group if isinstance(target, Comment) else target.group
    require(policy.can_post(user, group))
    if kind not in REACTIONS:
        raise Refused(_l("That reaction isn't one of ours."))
    if getattr(target, "deleted_at", None) is not None:
        raise Missing()
    target_type = type(target).__name__.lower()
    existing = db.session.scalar(
        select(Reaction).where(
            Reaction.target_type == target_type, Reaction.target_id == target.id,
            Reaction.user_id == user.id, Reaction.kind == kind,
        )
    )
    if existing is not None:
        db.session.delete(existing)
    else:
        db.session.add(Reaction(target_type=target_type, target_id=target.id, user_id=user.id, kind=kind))
    db.session.commit()
    return existing is None
