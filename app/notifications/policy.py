"""Who may see or change what about notifications: the one place that decides it.

Routes ask here before doing anything; `preferences` and `services` ask again with
`app.core.errors.require`. A group or thread the person may not read does not exist for them
(Missing, 404); one they read as a visitor of a public group has nothing to choose (403).
"""
from app.groups import policy as groups


def can_see_group(user, group) -> bool:
    return groups.can_read(user, group)


def can_choose(user, group) -> bool:
    """Members choose how they hear of their group; a visitor of a public group hears nothing of it."""
    return groups.membership(user, group) is not None


def can_see_thread(user, thread) -> bool:
    return thread.deleted_at is None and groups.can_read(user, thread.group)


def can_follow(user, thread) -> bool:
    """Members follow or mute a thread of their group."""
    return can_see_thread(user, thread) and can_choose(user, thread.group)


def can_see_note(user, note) -> bool:
    """A notification is its addressee's alone: anyone else's is not there."""
    return note.user_id == getattr(user, "id", None)
