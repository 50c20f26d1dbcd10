"""What each member wants to hear, and how: per group and kind, per thread, and their email rhythm."""
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select
from sqlalchemy.orm import joinedload

from app.core.database import utcnow
from app.core.errors import Missing, Refused, require
from app.archive.models import Thread
from app.core.extensions import db
from app.notifications import policy
from app.notifications.kinds import DEFAULTS, KINDS
from app.notifications.models import (
    CHANNELS,
    DIGESTS,
    SUBSCRIPTIONS,
    MailSettings,
    NotificationPreference,
    ThreadSubscription,
)


# ---------------------------------------------------------------- reading, for many people at once


def channels(user_ids, group_id: int | None, kind: str) -> dict[int, str]:
    """{user id: channel} for this kind in this group, defaults filled in: one query."""
    chosen = {}
    if group_id is not None and user_ids:
        chosen = dict(db.session.execute(
            select(NotificationPreference.user_id, NotificationPreference.channel).where(
                NotificationPreference.user_id.in_(list(user_ids)), NotificationPreference.group_id == group_id,
                NotificationPreference.kind == kind)
        ).all())
    default = DEFAULTS.get(kind, "app")
    return {uid: chosen.get(uid, default) for uid in user_ids}


def email_off(user_ids) -> set[int]:
    """Those of these people who switched every email off: one query."""
    if not user_ids:
        return set()
    return set(db.session.scalars(
        select(MailSettings.user_id).where(MailSettings.user_id.in_(list(user_ids)), MailSettings.email_off.is_(True))
    ))


def subscriptions(user_ids, thread_id: int) -> dict[int, str]:
    if not user_ids or thread_id is None:
        return {}
    return dict(db.session.execute(
        select(ThreadSubscription.user_id, ThreadSubscription.state).where(
            ThreadSubscription.thread_id == thread_id, ThreadSubscription.user_id.in_(list(user_ids)))
    ).all())


# ---------------------------------------------------------------- one member's own settings


def _require_member(user, group) -> None:
    if not policy.can_see_group(user, group):
        raise Missing()
    require(policy.can_choose(user, group))


def group_preferences(user, group) -> dict[str, str]:
    """{kind: channel} of this member in this group, every kind present."""
    _require_member(user, group)
    chosen = dict(db.session.execute(
        select(NotificationPreference.kind, NotificationPreference.channel).where(
            NotificationPreference.user_id == user.id, NotificationPreference.group_id == group.id)
    ).all())
    return {kind: chosen.get(kind, default) for kind, default in DEFAULTS.items()}


def set_group_preferences(user, group, wanted: dict[str, str]) -> None:
    """A member chooses, kind by kind, off / in the app / in the app and by email. All or nothing:
    one unknown kind or channel and nothing changes. A choice equal to the default is kept as no row."""
    _require_member(user, group)
    for kind, channel in wanted.items():
        if kind not in KINDS:
            raise Refused(_l("There is no such kind of notification."))
        if channel not in CHANNELS:
            raise Refused(_l("Choose off, in Canoe, or in Canoe and by email."), kind)
    db.session.execute(delete(NotificationPreference).where(
        NotificationPreference.user_id == user.id, NotificationPreference.group_id == group.id,
        NotificationPreference.kind.in_(list(wanted))))
    for kind, channel in wanted.items():
        if channel != DEFAULTS[kind]:
            db.session.add(NotificationPreference(user_id=user.id, group_id=group.id, kind=kind, channel=channel))
    db.session.commit()


def set_channel(user_id: int, group_id: int, kind: str, channel: str) -> None:
    """One kind in one group, without a login (the signed link in an email). No commit."""
    db.session.execute(delete(NotificationPreference).where(
        NotificationPreference.user_id == user_id, NotificationPreference.group_id == group_id,
        NotificationPreference.kind == kind))
    if channel != DEFAULTS.get(kind):
        db.session.add(NotificationPreference(user_id=user_id, group_id=group_id, kind=kind, channel=channel))


def mail_settings(user) -> MailSettings:
    """This person's email settings (defaults if they never chose), not added to the session."""
    found = db.session.scalar(select(MailSettings).where(MailSettings.user_id == user.id))
    return found or MailSettings(user_id=user.id, digest="weekly", email_off=False)


def digest_choices(user_ids) -> dict[int, MailSettings]:
    return {s.user_id: s for s in db.session.scalars(select(MailSettings).where(MailSettings.user_id.in_(list(user_ids))))}


def set_mail_settings(user_id: int, digest: str | None = None, email_off: bool | None = None,
                      commit: bool = True) -> MailSettings:
    """The digest rhythm (off, daily, weekly) and the switch for all email."""
    if digest is not None and digest not in DIGESTS:
        raise Refused(_l("Choose no digest, daily or weekly."), "digest")
    found = db.session.scalar(select(MailSettings).where(MailSettings.user_id == user_id))
    if found is None:
        found = MailSettings(user_id=user_id, digest="weekly", email_off=False)
        db.session.add(found)
    if digest is not None:
        found.digest = digest
    if email_off is not None:
        found.email_off = email_off
    found.updated_at = utcnow()
    if commit:
        db.session.commit()
    return found


# ---------------------------------------------------------------- threads


def thread_state(user, thread) -> str:
    """"follow", "mute" or "normal" for this person and thread."""
    if not getattr(user, "is_authenticated", False):
        return "normal"
    return subscriptions([user.id], thread.id).get(user.id, "normal")


def set_thread_state(user, thread, state: str) -> None:
    """A member follows a thread (every new comment), mutes it (no replies or comments), or goes back to normal."""
    if not policy.can_see_thread(user, thread):
        raise Missing()
    require(policy.can_follow(user, thread))
    if state not in (*SUBSCRIPTIONS, "normal"):
        raise Refused(_l("Choose follow, normal or mute."), "state")
    db.session.execute(delete(ThreadSubscription).where(
        ThreadSubscription.user_id == user.id, ThreadSubscription.thread_id == thread.id))
    if state != "normal":
        db.session.add(ThreadSubscription(user_id=user.id, thread_id=thread.id, state=state))
    db.session.commit()


def my_thread_states(user, group) -> list[ThreadSubscription]:
    """Threads of this group I follow or mute, with their threads loaded: one query."""
    return list(db.session.scalars(
        select(ThreadSubscription).join(Thread, Thread.id == ThreadSubscription.thread_id)
        .where(ThreadSubscription.user_id == user.id, Thread.group_id == group.id, Thread.deleted_at.is_(None))
        .options(joinedload(ThreadSubscription.thread)).order_by(Thread.title)
    ))
