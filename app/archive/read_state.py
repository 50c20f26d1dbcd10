"""What each member has read: the newest comment they have seen in each thread.

Only members keep read state: a visitor would see every thread "new" forever.
"""
from sqlalchemy import and_, func, insert, select, update

from app.archive import policy
from app.archive.models import Comment, ReadState, Thread
from app.core.database import utcnow
from app.core.errors import require
from app.core.extensions import db
from app.groups.models import Group


def _signed_in(user) -> bool:
    return getattr(user, "is_authenticated", False)


def unread_counts(user, thread_ids: list[int]) -> dict[int, int]:
    """{thread id: comments not yet seen}, -1 for a thread this person has never opened."""
    if not thread_ids or not _signed_in(user):
        return {}
    seen = dict(
        db.session.execute(
            select(ReadState.thread_id, ReadState.last_seen_comment_id).where(
                ReadState.user_id == user.id, ReadState.thread_id.in_(thread_ids)
            )
        ).all()
    )
    counts = dict(
        db.session.execute(
            select(Comment.thread_id, func.count())
            .outerjoin(ReadState, and_(ReadState.thread_id == Comment.thread_id, ReadState.user_id == user.id))
            .where(
                Comment.thread_id.in_(thread_ids),
                Comment.deleted_at.is_(None),
                Comment.id > func.coalesce(ReadState.last_seen_comment_id, 0),
            )
            .group_by(Comment.thread_id)
        ).all()
    )
    return {tid: (counts.get(tid, 0) if tid in seen else -1) for tid in thread_ids}


def mark_read(user, thread: Thread) -> None:
    """Remember that this person has seen the thread up to its newest comment (no commit)."""
    if not _signed_in(user):
        return
    state = db.session.scalar(select(ReadState).where(ReadState.user_id == user.id, ReadState.thread_id == thread.id))
    newest = thread.last_comment_id or 0
    if state is None:
        db.session.add(ReadState(user_id=user.id, thread_id=thread.id, last_seen_comment_id=newest))
    elif state.last_seen_comment_id < newest:
        state.last_seen_comment_id = newest
        state.seen_at = utcnow()


def last_seen(user, thread: Thread) -> int | None:
    """The newest comment id this person had seen before this visit; None if never here."""
    if not _signed_in(user):
        return None
    return db.session.scalar(
        select(ReadState.last_seen_comment_id).where(ReadState.user_id == user.id, ReadState.thread_id == thread.id)
    )


def visit(user, thread: Thread) -> None:
    """Reading a thread marks it read. Bookkeeping of the reader's own view, so a GET may do it."""
    if policy.can_post(user, thread.group):
        mark_read(user, thread)
        db.session.commit()


def mark_all_read(user, group: Group) -> None:
    """A member marks every thread of the group read, in a fixed number of statements however
    many threads there are (a big group has thousands)."""
    require(policy.can_post(user, group))
    live = select(Thread.id).where(Thread.group_id == group.id, Thread.deleted_at.is_(None))
    newest = dict(db.session.execute(
        select(Thread.id, func.coalesce(Thread.last_comment_id, 0)).where(Thread.id.in_(live))).all())
    seen = {tid: (sid, last) for tid, sid, last in db.session.execute(
        select(ReadState.thread_id, ReadState.id, ReadState.last_seen_comment_id)
        .where(ReadState.user_id == user.id, ReadState.thread_id.in_(live)))}
    now = utcnow()
    fresh = [dict(user_id=user.id, thread_id=tid, last_seen_comment_id=last, seen_at=now)
             for tid, last in newest.items() if tid not in seen]
    behind = [dict(id=seen[tid][0], last_seen_comment_id=last, seen_at=now)
              for tid, last in newest.items() if tid in seen and seen[tid][1] < last]
    if fresh:
        db.session.execute(insert(ReadState), fresh)
    if behind:
        db.session.execute(update(ReadState), behind)
    db.session.commit()
