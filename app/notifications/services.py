"""In-app notifications: who is told about what, and how. Never the person who did it, never someone
outside the group, never someone who left it; each as the member chose (off, in the app, also by email).

`listen` subscribes to the event spine: each event goes to the kinds that react to it (`kinds.KINDS`),
which say who hears of it. Features never call `notify` themselves; the reminders do, on a schedule."""
from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import selectinload

from app.core.database import utcnow
from app.core.errors import Missing
from app.core.events import Happening, happening, type_name
from app.core.extensions import db
from app.groups.policy import readable_group_ids
from app.groups.queries import members_among
from app.notifications import policy, preferences
from app.notifications.kinds import KINDS, MUTABLE, REACTIONS
from app.notifications.models import Notification, OutboxMessage


def listen() -> None:
    """Hear every event of the spine. Connected by the app factory."""
    happening.connect(_tell)


def _tell(kind: str, what: Happening) -> None:
    """Queue what each kind reacting to this event says, in the event's transaction."""
    for name in REACTIONS.get(kind, ()):
        for notice in KINDS[name].tell(what):
            notify(notice.user_ids, name, what.actor, what.group, notice.target, occasion=notice.occasion,
                   members_only=notice.members_only, **notice.payload)


def notify(user_ids, kind: str, actor, group, target, occasion: str | None = None, members_only: bool = True,
           **payload) -> list[Notification]:
    """Queue one notification per person (the actor excluded); the caller's commit sends them.

    Only current members of the group hear of it (`members_only=False`: the caller has checked
    who may still read it). A muted thread stays quiet for replies and comments. A member who
    switched this kind off gets nothing; one who wants it by email also gets an email queued in
    the outbox, which goes out after the commit (`flask mail send-queued`). With an `occasion`,
    someone already told about this target on this occasion is not told again.
    """
    actor_id = getattr(actor, "id", None)
    group_id = getattr(group, "id", None)
    wanted = set(user_ids) - {actor_id, None}
    if group_id is not None and members_only:
        wanted = members_among(group_id, wanted)
    target_type = type_name(target)
    target_id = getattr(target, "id", None)
    if kind in MUTABLE and payload.get("thread_id"):
        muted = preferences.subscriptions(wanted, payload["thread_id"])
        wanted = {uid for uid in wanted if muted.get(uid) != "mute"}
    if occasion is not None and wanted:
        wanted -= set(db.session.scalars(select(Notification.user_id).where(
            Notification.user_id.in_(list(wanted)), Notification.kind == kind, Notification.target_type == target_type,
            Notification.target_id == target_id, Notification.occasion == occasion)))
    channel = preferences.channels(wanted, group_id, kind)
    by_email = {uid for uid, c in channel.items() if c == "email"} - preferences.email_off(
        [uid for uid, c in channel.items() if c == "email"])
    made = []
    for user_id in sorted(uid for uid in wanted if channel[uid] != "off"):
        note = Notification(
            user_id=user_id,
            group_id=group_id,
            actor_id=actor_id,
            kind=kind,
            target_type=target_type,
            target_id=target_id,
            occasion=occasion,
            payload=payload,
        )
        db.session.add(note)
        if user_id in by_email:
            db.session.add(OutboxMessage(user_id=user_id, notification=note))
        made.append(note)
    return made


def _still_readable(user):
    """Only notifications about a group the person may still read: someone who left a private
    group sees none of its words again, not even in what it once told them."""
    return or_(Notification.group_id.is_(None), Notification.group_id.in_(readable_group_ids(user)))


def unread_count(user) -> int:
    return db.session.scalar(
        select(func.count()).select_from(Notification).where(
            Notification.user_id == user.id, Notification.read_at.is_(None), _still_readable(user))
    )


def inbox(user, page: int = 1, per_page: int = 30) -> list[Notification]:
    return list(
        db.session.scalars(
            select(Notification)
            .where(Notification.user_id == user.id, _still_readable(user))
            .options(selectinload(Notification.actor), selectinload(Notification.group))
            .order_by(Notification.id.desc())
            .offset((max(page, 1) - 1) * per_page)
            .limit(per_page)
        )
    )


def settled(user, notes: list[Notification]) -> dict[int, str]:
    """{note id: why}: which of these notes make a call to action that has passed (the proposal
    closed, they voted, the swap was answered, the action is done), for one inbox page.

    Asked of each kind that can be overtaken (`Kind.settled`) once for all its notes on the
    page: a query or two per such kind, however long the page.
    """
    targets: dict[str, list[Notification]] = {}
    for note in notes:
        if note.target_id is not None and note.kind in KINDS and KINDS[note.kind].settled is not None:
            targets.setdefault(note.kind, []).append(note)
    why: dict[int, str] = {}
    for kind, kind_notes in targets.items():
        answered = KINDS[kind].settled(user.id, sorted({n.target_id for n in kind_notes}))
        why.update({n.id: answered[n.target_id] for n in kind_notes if n.target_id in answered})
    return why


def notification_for(user, notification_id: int) -> Notification:
    """One of this person's own notifications; anyone else's is not there (Missing)."""
    note = db.session.get(Notification, notification_id)
    if note is None or not policy.can_see_note(user, note):
        raise Missing()
    return note


def mark_read(user, note: Notification) -> Notification:
    """Mark one of this person's notifications read (the route found it with `notification_for`)."""
    if not policy.can_see_note(user, note):
        raise Missing()
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
